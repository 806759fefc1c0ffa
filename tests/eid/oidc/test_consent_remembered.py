"""Consent is remembered per client and claim set (eid/oidc/consents.py)."""

import pytest
from django.test import Client as BrowserClient

from eid.audit.models import AuditEvent
from eid.oidc.connected import connected_service_revoke
from tests.eid.oidc.flow import AUTHORIZE, USERINFO, Authorization, new_client, redirect_params

pytestmark = pytest.mark.django_db


def _answer(web: BrowserClient, url: str, scopes: list[str] | None = None) -> object:
    """The consent page, answered with `scopes` (all requested ones by default)."""
    page = web.get(url)
    assert page.status_code == 200 and "form" in page.context, page.status_code
    form = page.context["form"]
    chosen = list(form.fields["scopes"].initial) if scopes is None else scopes
    return web.post(AUTHORIZE, {"request": form.initial["request"], "scopes": chosen, "action": "grant"})


def _straight_back(web: BrowserClient, authorization: Authorization, **overrides: str) -> dict[str, str]:
    """The authorization response without a consent page."""
    return redirect_params(web.get(authorization.url(**overrides)), authorization.redirect_uri)


@pytest.fixture
def signed_in(web: BrowserClient, resident: object) -> BrowserClient:
    web.force_login(resident)
    return web


def test_the_same_request_again_gets_a_code_without_the_page_and_is_audited(signed_in) -> None:
    authorization = Authorization(new_client(), scope="openid profile email")
    redirect_params(_answer(signed_in, authorization.url()), authorization.redirect_uri)
    params = _straight_back(signed_in, authorization)
    assert params["code"] and params["state"] == authorization.state
    tokens = authorization.token(BrowserClient(), params["code"]).json()
    assert set(tokens["scope"].split()) == {"openid", "profile", "email"}
    events = AuditEvent.objects.filter(event_type="oidc.consent_granted").order_by("id")
    assert [event.data["remembered"] for event in events] == [False, True]


def test_fewer_claims_than_before_are_covered_more_are_asked_again(signed_in) -> None:
    new = new_client()
    first = Authorization(new, scope="openid profile email")
    redirect_params(_answer(signed_in, first.url()), first.redirect_uri)
    assert _straight_back(signed_in, Authorization(new, scope="openid profile"))["code"]
    more = signed_in.get(Authorization(new, scope="openid profile email address").url())
    assert more.status_code == 200 and "form" in more.context


def test_a_declined_claim_stays_declined(signed_in) -> None:
    authorization = Authorization(new_client(), scope="openid profile email")
    redirect_params(
        _answer(signed_in, authorization.url(), ["openid", "profile"]), authorization.redirect_uri
    )
    code = _straight_back(signed_in, authorization)["code"]
    tokens = authorization.token(BrowserClient(), code).json()
    assert set(tokens["scope"].split()) == {"openid", "profile"}
    info = BrowserClient().get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert "email" not in info and info["name"]
    # prompt=none must not narrow a request silently: the declined claim makes it consent_required.
    assert _straight_back(signed_in, authorization, prompt="none")["error"] == "consent_required"


def test_prompt_consent_another_client_and_a_withdrawal_ask_again(signed_in, resident) -> None:
    new = new_client()
    authorization = Authorization(new, scope="openid profile")
    redirect_params(_answer(signed_in, authorization.url()), authorization.redirect_uri)
    assert signed_in.get(authorization.url(prompt="consent")).status_code == 200
    other = Authorization(
        new_client(name="Other", redirect_uri="https://other.example/cb"), scope="openid profile"
    )
    assert signed_in.get(other.url()).status_code == 200
    code = _straight_back(signed_in, authorization)["code"]
    authorization.token(BrowserClient(), code)  # tokens held: "Connected services" lists the client
    assert connected_service_revoke(user=resident, client_id=new.client.id)
    assert signed_in.get(authorization.url()).status_code == 200


def test_prompt_none_succeeds_on_a_remembered_consent_without_live_tokens(signed_in) -> None:
    authorization = Authorization(new_client(), scope="openid profile")
    redirect_params(_answer(signed_in, authorization.url()), authorization.redirect_uri)  # no token yet
    assert _straight_back(signed_in, authorization, prompt="none")["code"]
