"""OpenID Connect Back-Channel Logout 1.0: logout tokens posted to relying parties, verified as a
partner's stack would (python-jose against the published JWKS)."""

import json
import socket
from collections.abc import Iterator
from urllib.parse import parse_qs

import jwt as pyjwt
import pytest
from allauth.idp.oidc.models import Token
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as BrowserClient
from jose import jwt as jose_jwt

from eid.actions import user_deactivate
from eid.audit.models import AuditEvent
from eid.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_SECONDS
from eid.oidc.tasks import BACKCHANNEL_MAX_RETRIES
from tests import receivers
from tests.eid.oidc.flow import DISCOVERY, JWKS, Authorization, code_for, new_client

pytestmark = pytest.mark.django_db
CONNECTED = "/en/eid/connected-services/"
LOGOUT = "/identity/o/logout"


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_unless_worker: None) -> None:
    """The receiver patches nothing, but the tests read its log right after the request."""


class Receiver(receivers.Receiver):
    """A relying party's back-channel logout endpoint (answers the next of `statuses`, the last repeats)."""

    def __init__(self, statuses: tuple[int, ...] = (200,)) -> None:
        super().__init__(statuses, path="/oidc/backchannel-logout")

    def logout_tokens(self) -> list[str]:
        tokens = []
        for request in self.requests:
            assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
            form = parse_qs(request.body.decode())
            assert list(form) == ["logout_token"]
            tokens.append(form["logout_token"][0])
        return tokens


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def signed_in_client(web: BrowserClient, **kwargs: object) -> tuple[Authorization, dict]:
    """A client the (signed-in) resident has granted access to, with its token response."""
    authorization = Authorization(new_client(**kwargs))
    tokens = authorization.token(web, code_for(web, authorization)).json()
    return authorization, tokens


def verified_logout_token(web: BrowserClient, token: str, client_id: str) -> dict:
    """What the relying party must check (§2.6), with python-jose and the provider's JWKS."""
    header = jose_jwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt"
    assert header["alg"] == "RS256"
    claims = jose_jwt.decode(
        token,
        published_key(web, header["kid"]),
        algorithms=["RS256"],
        audience=client_id,
        issuer=settings.SITE_URL,
    )
    assert set(claims) == {"iss", "aud", "iat", "exp", "jti", "sub", "events"}
    assert "nonce" not in claims
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert 0 < claims["exp"] - claims["iat"] <= LOGOUT_TOKEN_SECONDS
    assert claims["jti"]
    return claims


def published_key(web: BrowserClient, kid: str) -> dict:
    """The JWKS entry the header names (python-jose gives up on a set holding other key types)."""
    [key] = [key for key in web.get(JWKS).json()["keys"] if key["kid"] == kid]
    return key


def id_token_sub(web: BrowserClient, tokens: dict) -> str:
    return jose_jwt.get_unverified_claims(tokens["id_token"])["sub"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_discovery_advertises_back_channel_logout_without_sessions(web: BrowserClient) -> None:
    metadata = web.get(DISCOVERY).json()
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is False


def test_signing_out_of_the_portal_posts_a_signed_logout_token_and_revokes_tokens(
    web: BrowserClient, resident: object, receiver: Receiver, django_capture_on_commit_callbacks: object
) -> None:
    """Every client holding tokens for the resident loses them; those with a URI are told."""
    web.force_login(resident)
    bank, bank_tokens = signed_in_client(web, name="Harbour Bank", backchannel_logout_uri=receiver.url)
    shop, _ = signed_in_client(web, name="Kowloon Shop", redirect_uri="https://shop.example/cb")

    with django_capture_on_commit_callbacks(execute=True):
        assert web.post("/en/accounts/logout/").status_code == 302

    [token] = receiver.logout_tokens()
    claims = verified_logout_token(web, token, bank.new.client.id)
    assert claims["sub"] == id_token_sub(web, bank_tokens)  # the pairwise sub the bank knows
    assert not Token.objects.filter(user=resident, client__in=[bank.new.client, shop.new.client]).exists()
    sent = AuditEvent.objects.get(event_type="oidc.backchannel_logout_sent")
    assert sent.subject_id == resident.pk
    assert sent.data["client_id"] == bank.new.client.id and sent.data["reason"] == "signed_out"


def test_a_503_is_retried_with_a_fresh_token_until_the_client_accepts(
    web: BrowserClient, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with Receiver(statuses=(503, 503, 200)) as receiver:
        web.force_login(resident)
        bank, _ = signed_in_client(web, backchannel_logout_uri=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            web.post("/en/accounts/logout/")
    tokens = receiver.logout_tokens()
    assert len(tokens) == 3
    assert len({verified_logout_token(web, token, bank.new.client.id)["jti"] for token in tokens}) == 3
    sent = AuditEvent.objects.get(event_type="oidc.backchannel_logout_sent")
    assert sent.data["attempt"] == 3
    assert not AuditEvent.objects.filter(event_type="oidc.backchannel_logout_failed").exists()


def test_a_400_from_the_client_is_final_and_audited(
    web: BrowserClient, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with Receiver(statuses=(400,)) as receiver:
        web.force_login(resident)
        signed_in_client(web, backchannel_logout_uri=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            web.post("/en/accounts/logout/")
    assert len(receiver.requests) == 1
    failed = AuditEvent.objects.get(event_type="oidc.backchannel_logout_failed")
    assert failed.data["status"] == 400 and failed.data["permanent"] is True


def test_an_unreachable_client_does_not_break_sign_out_and_the_failure_is_audited(
    web: BrowserClient, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    web.force_login(resident)
    signed_in_client(web, backchannel_logout_uri=f"http://127.0.0.1:{free_port()}/logout")
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post("/en/accounts/logout/").status_code == 302
    failed = AuditEvent.objects.get(event_type="oidc.backchannel_logout_failed")
    assert failed.data["permanent"] is False
    assert failed.data["attempt"] == BACKCHANNEL_MAX_RETRIES + 1
    assert failed.data["error"] == "connection"


def test_withdrawing_access_tells_that_client_only(
    web: BrowserClient, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with Receiver() as bank_endpoint, Receiver() as shop_endpoint:
        web.force_login(resident)
        bank, _ = signed_in_client(web, backchannel_logout_uri=bank_endpoint.url)
        shop, _ = signed_in_client(
            web, redirect_uri="https://shop.example/cb", backchannel_logout_uri=shop_endpoint.url
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = web.post(f"{CONNECTED}{bank.new.client.pk}/withdraw/")
        assert response.status_code == 302
    [token] = bank_endpoint.logout_tokens()
    verified_logout_token(web, token, bank.new.client.id)
    assert shop_endpoint.requests == []
    assert Token.objects.filter(user=resident, client=shop.new.client).exists()
    assert AuditEvent.objects.get(event_type="oidc.backchannel_logout_sent").data["reason"] == "withdrawn"


def test_rp_initiated_logout_tells_the_other_clients_not_the_initiating_one(
    web: BrowserClient, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with Receiver() as bank_endpoint, Receiver() as shop_endpoint:
        web.force_login(resident)
        bank, bank_tokens = signed_in_client(web, backchannel_logout_uri=bank_endpoint.url)
        shop, shop_tokens = signed_in_client(
            web, redirect_uri="https://shop.example/cb", backchannel_logout_uri=shop_endpoint.url
        )
        hint = {"id_token_hint": bank_tokens["id_token"], "client_id": bank.new.client.id}
        assert web.get(LOGOUT, hint).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = web.post(LOGOUT, {**hint, "action": "logout", "csrfmiddlewaretoken": "x"})
        assert response.status_code == 302
    assert bank_endpoint.requests == []
    [token] = shop_endpoint.logout_tokens()
    assert verified_logout_token(web, token, shop.new.client.id)["sub"] == id_token_sub(web, shop_tokens)
    assert not Token.objects.filter(user=resident).exists()


def test_closing_an_account_ends_its_sessions_at_clients(
    web: BrowserClient, resident: object, receiver: Receiver, django_capture_on_commit_callbacks: object
) -> None:
    web.force_login(resident)
    bank, _ = signed_in_client(web, backchannel_logout_uri=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=resident, by=None, reason="test")
    [token] = receiver.logout_tokens()
    verified_logout_token(web, token, bank.new.client.id)
    assert not Token.objects.filter(user=resident).exists()


def test_the_command_registers_the_logout_uris(capsys: pytest.CaptureFixture[str]) -> None:
    from allauth.idp.oidc.models import Client

    from eid.oidc.backchannel import backchannel_logout_uri

    call_command(
        "oidc_client",
        "create",
        "--name=Bank",
        "--redirect-uri=https://bank.example/cb",
        "--backchannel-logout-uri=https://bank.example/bcl",
        "--post-logout-redirect-uri=https://bank.example/bye",
    )
    client = Client.objects.get(pk=json.loads(capsys.readouterr().out)["client_id"])
    assert backchannel_logout_uri(client) == "https://bank.example/bcl"
    assert client.get_post_logout_redirect_uris() == ["https://bank.example/bye"]
    with pytest.raises(CommandError):
        call_command(
            "oidc_client",
            "create",
            "--name=Bank",
            "--redirect-uri=https://bank.example/cb",
            "--backchannel-logout-uri=http://bank.example/bcl#frag",
        )


def test_a_uri_inside_the_providers_network_is_never_called(
    web: BrowserClient, resident: object, django_capture_on_commit_callbacks: object, fake_dns: dict
) -> None:
    """The post goes through eid/outbound.py (tests/eid/test_outbound.py): a private address is refused,
    permanently, before anything is sent."""
    fake_dns["bcl.bank.example"] = ["10.0.0.7"]
    web.force_login(resident)
    signed_in_client(web, backchannel_logout_uri="https://bcl.bank.example/logout")
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post("/en/accounts/logout/").status_code == 302
    failed = AuditEvent.objects.get(event_type="oidc.backchannel_logout_failed")
    assert failed.data["error"] == "private" and failed.data["permanent"] is True
    assert not AuditEvent.objects.filter(event_type="oidc.backchannel_logout_sent").exists()


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_a_fapi_clients_logout_token_is_signed_like_its_id_tokens(web: BrowserClient, alg: str) -> None:
    from eid.oidc.backchannel import logout_token_create
    from eid.oidc.clients import client_create

    partner_key = {
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }
    fapi = client_create(
        name="Harbour Bank",
        redirect_uris=["https://bank.example/cb"],
        fapi=True,
        jwks={"keys": [partner_key]},
        id_token_alg=alg,
        backchannel_logout_uri="https://bank.example/bcl",
    ).client
    token = logout_token_create(client=fapi, sub="pairwise-sub")
    header = jose_jwt.get_unverified_header(token)
    assert header["alg"] == alg and header["typ"] == "logout+jwt"
    key = published_key(web, header["kid"])
    if alg == "ES256":
        claims = jose_jwt.decode(token, key, algorithms=[alg], audience=fapi.id, issuer=settings.SITE_URL)
    else:  # python-jose has no PS256: PyJWT, as the FAPI ID token tests do
        claims = pyjwt.decode(
            token, pyjwt.PyJWK(key).key, algorithms=[alg], audience=fapi.id, issuer=settings.SITE_URL
        )
    assert claims["sub"] == "pairwise-sub" and "nonce" not in claims
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_posts_the_logout_token_and_retries_a_503(
    celery_worker_process: str, web: BrowserClient, resident: object
) -> None:
    """On PostgreSQL with a broker a worker process posts (after a backoff); eagerly otherwise."""
    import time

    with Receiver(statuses=(503, 200)) as receiver:
        web.force_login(resident)
        bank, _ = signed_in_client(web, backchannel_logout_uri=receiver.url)
        assert web.post("/en/accounts/logout/").status_code == 302  # committed: the task is queued
        deadline = time.monotonic() + 90
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    tokens = receiver.logout_tokens()
    assert len(tokens) == 2
    verified_logout_token(web, tokens[-1], bank.new.client.id)
    deadline = time.monotonic() + 30
    while not AuditEvent.objects.filter(event_type="oidc.backchannel_logout_sent").exists():
        assert time.monotonic() < deadline, "the worker did not record the delivery"
        time.sleep(0.2)


def test_in_process_a_client_that_does_not_answer_is_given_up_after_one_timeout(
    web: BrowserClient,
    resident: object,
    django_capture_on_commit_callbacks: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a worker the post runs in the resident's sign-out: one timeout, not seven."""
    import time

    from eid.oidc import backchannel

    monkeypatch.setattr(backchannel, "POST_TIMEOUT_SECONDS", 0.5)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        web.force_login(resident)
        signed_in_client(web, backchannel_logout_uri=f"http://127.0.0.1:{silent.getsockname()[1]}/bcl")
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            assert web.post("/en/accounts/logout/").status_code == 302
        assert time.monotonic() - started < 3
    finally:
        silent.close()
    failed = AuditEvent.objects.get(event_type="oidc.backchannel_logout_failed")
    assert failed.data["error"] == "timeout" and failed.data["attempt"] == 1
