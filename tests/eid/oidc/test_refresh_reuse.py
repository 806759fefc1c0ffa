"""Refresh-token rotation with reuse detection: a rotated token presented again revokes its family
(RFC 9700 §4.14.2; eid/oidc/refresh_tokens.py)."""

import datetime

import pytest
from allauth.idp.oidc.models import Token
from django.test import Client as BrowserClient
from django.utils import timezone

from eid.audit.models import AuditEvent
from eid.oidc.models import SpentRefreshToken
from eid.oidc.refresh_tokens import spent_refresh_tokens_purge
from tests.eid.oidc.flow import TOKEN, USERINFO, Authorization, basic_auth, code_for, new_client

pytestmark = pytest.mark.django_db


def _refresh(new, refresh_token: str) -> object:
    return BrowserClient().post(
        TOKEN,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic_auth(new.client.id, new.secret),
    )


def _userinfo(access_token: str) -> int:
    return BrowserClient().get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


@pytest.fixture
def chain(web: BrowserClient, resident: object) -> tuple:
    """A client's tokens after a code exchange (first) and one rotation (second)."""
    web.force_login(resident)
    new = new_client()
    authorization = Authorization(new)
    first = authorization.token(web, code_for(web, authorization)).json()
    second = _refresh(new, first["refresh_token"])
    assert second.status_code == 200, second.content
    return new, first, second.json()


def test_rotation_issues_a_new_refresh_token_and_the_old_one_stops_working(chain: tuple) -> None:
    new, first, second = chain
    assert second["refresh_token"] != first["refresh_token"]
    third = _refresh(new, second["refresh_token"])
    assert third.status_code == 200, third.content


def test_a_reused_refresh_token_revokes_every_token_of_its_family(chain: tuple, resident: object) -> None:
    new, first, second = chain
    assert _userinfo(second["access_token"]) == 200
    replay = _refresh(new, first["refresh_token"])  # the rotated one, e.g. stolen earlier
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The legitimate client's current tokens are gone too: the provider cannot tell who is who.
    assert _userinfo(second["access_token"]) == 401
    assert _userinfo(first["access_token"]) == 401
    assert _refresh(new, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert not Token.objects.filter(client=new.client, user=resident).exists()
    event = AuditEvent.objects.filter(event_type="oidc.refresh_token_reused").get()
    assert (
        event.data["client_id"] == new.client.id and event.data["tokens_revoked"] == 3
    )  # both access tokens, the live refresh token


def test_other_families_of_the_same_client_and_resident_survive(
    chain: tuple, web: BrowserClient, resident: object
) -> None:
    new, first, _ = chain
    authorization = Authorization(new)
    other = authorization.token(web, code_for(web, authorization)).json()  # a second sign-in
    _refresh(new, first["refresh_token"])  # reuse in the first family
    assert _userinfo(other["access_token"]) == 200
    assert _refresh(new, other["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_invalid_grant_and_revokes_nothing(chain: tuple) -> None:
    new, _, second = chain
    assert _refresh(new, "not-a-token").json()["error"] == "invalid_grant"
    assert _userinfo(second["access_token"]) == 200
    assert not AuditEvent.objects.filter(event_type="oidc.refresh_token_reused").exists()


def test_another_clients_spent_token_does_not_touch_this_client(chain: tuple) -> None:
    _, first, second = chain
    intruder = new_client(name="Other shop", redirect_uri="https://shop.example/cb")
    assert _refresh(intruder, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert _userinfo(second["access_token"]) == 200


def test_only_the_hash_is_kept_until_the_token_would_expire(chain: tuple) -> None:
    _, first, _ = chain
    spent = SpentRefreshToken.objects.get()
    assert first["refresh_token"] not in spent.hash
    lifetime = spent.expires_at - timezone.now()
    assert datetime.timedelta(days=29) < lifetime <= datetime.timedelta(days=30)
    SpentRefreshToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert spent_refresh_tokens_purge() == 1


def test_without_rotation_a_refresh_token_is_reused_legitimately(chain: tuple, settings) -> None:
    """With IDP_OIDC_ROTATE_REFRESH_TOKEN off allauth keeps the token: using it again is no reuse."""
    new, _, second = chain
    settings.IDP_OIDC_ROTATE_REFRESH_TOKEN = False
    for _ in range(2):
        again = _refresh(new, second["refresh_token"])
        assert again.status_code == 200, again.content
        assert again.json().get("refresh_token", second["refresh_token"]) == second["refresh_token"]
    assert not AuditEvent.objects.filter(event_type="oidc.refresh_token_reused").exists()
