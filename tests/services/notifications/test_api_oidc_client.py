"""A department system registered as an OIDC client (client credentials grant) uses the notifications
API with an access token from the portal's token endpoint, as a live key of its department (a test
key if it is a sandbox client): the same rules, idempotency and rate limits as an API key."""

import base64
import io
import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from allauth.idp.oidc.models import Client, Token
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client as WebClient
from django.utils import timezone
from rest_framework.test import APIClient

from eid.constants import CLIENT_SCOPES
from eid.oidc.clients import client_create
from services.notifications.models import ApiKey, Notification
from tests.factories import DepartmentFactory
from tests.services.notifications.conftest import api, body

URL = "/api/v1/notifications/"
TOKEN_URL = "/identity/o/api/token"
REVOKE_URL = "/identity/o/api/revoke"


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def register() -> Callable[..., tuple[Client, str]]:
    def make(
        department: str = "td", scopes: tuple[str, ...] = ("notifications.send",), **kw: object
    ) -> tuple:
        new = client_create(
            name="Permit system",
            redirect_uris=[],
            grant="client-credentials",
            department=department,
            scopes=list(scopes),
            **kw,
        )
        return new.client, new.secret

    return make


def token_for(client: Client, secret: str, scope: str = "notifications.send") -> dict:
    response = WebClient().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=basic(client.id, secret),
    )
    return {"status": response.status_code, **response.json()}


def test_a_token_from_the_token_endpoint_sends_as_a_live_key_of_the_department(
    register: Callable, permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    client, secret = register()
    token = token_for(client, secret)
    assert token["status"] == 200, token
    assert token["token_type"] == "Bearer" and token["scope"] == "notifications.send"
    assert "refresh_token" not in token and "id_token" not in token
    with django_capture_on_commit_callbacks(execute=True):
        response = api(token["access_token"]).post(URL, body(resident, channels=["inbox"]), format="json")
    assert response.status_code == 201, response.content
    (sent,) = response.json()["notifications"]
    assert sent["status"] == "created" and sent["test"] is False  # delivered after the commit
    notification = Notification.objects.select_related("api_key").get(pk=sent["id"])
    assert notification.api_key.oidc_client_id == client.id
    assert notification.api_key.key_type == "live" and notification.department == permit_template.department
    # The status is read with the same token; the key behind it cannot be used as an API key.
    assert api(token["access_token"]).get(f"{URL}{sent['id']}/").json()["status"] == "delivered"
    assert api(notification.api_key.prefix).post(URL, body(resident), format="json").status_code == 401


def test_idempotency_and_rate_limits_are_those_of_a_key(
    register: Callable, permit_template: object, resident: object, settings: object
) -> None:
    client, secret = register()
    access_token = token_for(client, secret)["access_token"]
    first = api(access_token).post(URL, body(resident, idempotency_key="k-1"), format="json")
    again = api(access_token).post(URL, body(resident, idempotency_key="k-1"), format="json")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Notification.objects.count() == len(first.json()["notifications"])
    settings.NOTIFICATIONS_API_RATE_LIMIT = 2
    refused = api(access_token).post(URL, body(resident), format="json")
    assert refused.status_code == 429 and refused["Retry-After"]
    # Every token of the client shares the one budget (the client's key).
    other_token = token_for(client, secret)["access_token"]
    assert api(other_token).post(URL, body(resident), format="json").status_code == 429


def test_a_sandbox_client_is_a_test_key(
    register: Callable, make_template: Callable, resident: object
) -> None:
    client, secret = register(sandbox=True)
    access_token = token_for(client, secret)["access_token"]
    make_template()
    response = api(access_token).post(URL, body(resident), format="json")
    assert response.status_code == 201 and all(n["test"] for n in response.json()["notifications"])
    make_template(notification_type="legal", legally_required=True)
    refused = api(access_token).post(URL, body(resident, template_id="legal"), format="json")
    assert refused.status_code == 400 and refused.json()["error"] == "live_template"


def test_a_token_without_the_scope_is_a_403_insufficient_scope(
    register: Callable, permit_template: object, resident: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token for another of the portal's APIs (a client scope other than notifications.send)."""
    monkeypatch.setitem(CLIENT_SCOPES, "reports.read", "Read reports")
    client, secret = register(scopes=("reports.read",))
    token = token_for(client, secret, scope="reports.read")
    assert token["status"] == 200, token
    response = api(token["access_token"]).post(URL, body(resident), format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="notifications.send"' in response["WWW-Authenticate"]
    assert not Notification.objects.exists()
    # Nor may it ask the token endpoint for a scope it was not registered with.
    assert token_for(client, secret, scope="notifications.send")["error"] == "invalid_scope"


def test_an_expired_or_revoked_token_is_a_401_with_a_challenge(
    register: Callable, permit_template: object, resident: object
) -> None:
    client, secret = register()
    expired = token_for(client, secret)["access_token"]
    Token.objects.filter(client=client).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api(expired).post(URL, body(resident), format="json")
    assert response.status_code == 401
    assert (
        response["WWW-Authenticate"].startswith("Bearer") and "invalid_token" in response["WWW-Authenticate"]
    )

    revoked = token_for(client, secret)["access_token"]
    assert api(revoked).post(URL, body(resident, channels=["inbox"]), format="json").status_code == 201
    answer = WebClient().post(REVOKE_URL, {"token": revoked}, HTTP_AUTHORIZATION=basic(client.id, secret))
    assert answer.status_code == 200
    response = api(revoked).post(URL, body(resident), format="json")
    assert response.status_code == 401 and "invalid_token" in response["WWW-Authenticate"]
    assert api("not-a-token").get(URL + "x/").status_code == 401


def test_a_client_of_one_department_cannot_use_anothers_templates(
    register: Callable, permit_template: object, resident: object
) -> None:
    DepartmentFactory(code="hd", name_en="Housing Department")
    client, secret = register(department="hd")
    access_token = token_for(client, secret)["access_token"]
    for template_id in ("permit_ready", str(permit_template.public_id)):
        response = api(access_token).post(URL, body(resident, template_id=template_id), format="json")
        assert response.status_code == 400 and response.json()["error"] == "unknown_template"
    assert not Notification.objects.exists()


def test_a_revoked_client_key_stops_the_client(
    register: Callable, permit_template: object, resident: object
) -> None:
    client, secret = register()
    access_token = token_for(client, secret)["access_token"]
    assert api(access_token).post(URL, body(resident, channels=["inbox"]), format="json").status_code == 201
    ApiKey.objects.filter(oidc_client_id=client.id).update(revoked_at=timezone.now())
    assert api(access_token).post(URL, body(resident), format="json").status_code == 401


def test_client_scopes_and_resident_scopes_never_mix(register: Callable, transport: object) -> None:
    with pytest.raises(ValidationError):
        register(scopes=("openid", "notifications.send"))
    with pytest.raises(ValidationError):
        register(department="nowhere")
    with pytest.raises(ValidationError):
        client_create(
            name="Bank", redirect_uris=["https://bank.example/cb"], scopes=["openid", "notifications.send"]
        )
    client, secret = register()
    # A resident's scope is refused at the token endpoint even if asked for.
    assert token_for(client, secret, scope="openid")["error"] == "invalid_scope"
    assert client.get_grant_types() == ["client_credentials"]


def test_not_on_the_consent_screen_and_discovery_lists_the_grant_not_the_scope(
    transport: object, resident: object
) -> None:
    """An authorization request asking for notifications.send is refused before any consent."""
    metadata = WebClient().get("/.well-known/openid-configuration").json()
    assert "client_credentials" in metadata["grant_types_supported"]
    assert "notifications.send" not in metadata["scopes_supported"]
    bank = client_create(name="Bank", redirect_uris=["https://bank.example/cb"]).client
    bank.set_scopes([*bank.get_scopes(), "notifications.send"])  # even if an admin adds it
    bank.save()
    web = WebClient()
    web.force_login(resident)
    response = web.get(
        "/identity/o/authorize",
        {
            "client_id": bank.id,
            "response_type": "code",
            "redirect_uri": "https://bank.example/cb",
            "scope": "openid notifications.send",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "state": "s",
        },
    )
    assert response.status_code == 302
    assert "error=invalid_scope" in response["Location"]
    assert "notifications.send" not in response.content.decode()


def test_the_command_registers_a_department_system(transport: object) -> None:
    out = io.StringIO()
    call_command(
        "oidc_client",
        "create",
        "--name=Permit system",
        "--grant=client-credentials",
        "--department=td",
        "--scopes=notifications.send",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["grant_types"] == ["client_credentials"] and data["scope"] == "notifications.send"
    assert data["client_secret"]
    client = Client.objects.get(pk=data["client_id"])
    assert client.data["department"] == "td" and client.get_redirect_uris() == []


def test_a_dpop_bound_client_token_needs_its_proof(
    register: Callable, permit_template: object, resident: object, settings: object
) -> None:
    """A system that binds its token to a key (RFC 9449) sends `Authorization: DPoP` with a proof;
    the same token as a plain bearer token is refused (eid's token check, reused)."""
    from tests.eid.oidc.test_dpop import DPoPKey

    key = DPoPKey()
    client, secret = register()
    response = WebClient().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "scope": "notifications.send"},
        HTTP_AUTHORIZATION=basic(client.id, secret),
        HTTP_DPOP=key.proof("POST", f"{settings.SITE_URL}{TOKEN_URL}"),
    )
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"] == "DPoP"
    access_token = token["access_token"]
    sent = APIClient().post(
        URL,
        body(resident, channels=["inbox"]),
        format="json",
        HTTP_AUTHORIZATION=f"DPoP {access_token}",
        HTTP_DPOP=key.proof("POST", f"{settings.SITE_URL}{URL}", access_token=access_token),
    )
    assert sent.status_code == 201, sent.content
    as_bearer = api(access_token).post(URL, body(resident), format="json")
    assert as_bearer.status_code == 401
    other_key = DPoPKey()
    stolen = APIClient().post(
        URL,
        body(resident),
        format="json",
        HTTP_AUTHORIZATION=f"DPoP {access_token}",
        HTTP_DPOP=other_key.proof("POST", f"{settings.SITE_URL}{URL}", access_token=access_token),
    )
    assert stolen.status_code == 401 and stolen["WWW-Authenticate"].startswith("DPoP")
    assert Notification.objects.count() == 1
