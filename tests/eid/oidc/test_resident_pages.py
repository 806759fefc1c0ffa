"""The consent page and the resident's Connected services page."""

import pytest
from allauth.idp.oidc.models import Token
from django.test import Client as BrowserClient

from eid.audit.models import AuditEvent
from tests.eid.oidc.flow import AUTHORIZE, USERINFO, Authorization, code_for, new_client, redirect_params

pytestmark = pytest.mark.django_db
CONNECTED = "/en/eid/connected-services/"


def test_the_consent_page_names_the_client_and_each_item(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client(name="Harbour Bank"))
    page = web.get(authorization.url())
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en"' in html
    assert "Harbour Bank wants you to sign in with your eID" in html
    assert "bank.example" in html
    assert "Your residential address" in html and "Your legal name in English and Chinese" in html
    assert 'name="action" value="grant"' in html


def test_a_declined_item_is_not_released_and_openid_stays(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    form = web.get(authorization.url()).context["form"]
    response = web.post(
        AUTHORIZE, {"request": form.initial["request"], "scopes": ["openid", "profile"], "action": "grant"}
    )
    params = redirect_params(response, authorization.redirect_uri)
    tokens = authorization.token(web, params["code"]).json()
    info = web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert info["name"] == "CHAN Tai Man"
    assert "address" not in info and "email" not in info
    assert AuditEvent.objects.filter(event_type="oidc.consent_granted", subject_id=resident.pk).exists()


def test_the_error_page_is_in_the_portal_layout_with_a_4xx(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    response = web.get(Authorization(new_client()).url(redirect_uri="https://evil.example/cb"))
    assert response.status_code == 400
    assert "This sign-in request cannot be used" in response.content.decode()


def test_connected_services_lists_and_withdraws_access(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    bank = Authorization(new_client(name="Harbour Bank"))
    tokens = bank.token(web, code_for(web, bank)).json()

    page = web.get(CONNECTED)
    assert page.status_code == 200
    assert "Harbour Bank" in page.content.decode()
    assert "Your residential address" in page.content.decode()

    response = web.post(f"{CONNECTED}{bank.new.client.pk}/withdraw/")
    assert response.status_code == 302
    assert not Token.objects.filter(user=resident, client=bank.new.client).exists()
    assert web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code == 401
    assert "Harbour Bank" not in web.get(CONNECTED).content.decode()
    assert AuditEvent.objects.filter(event_type="oidc.access_revoked", subject_id=resident.pk).exists()
    # Withdrawn: prompt=none no longer signs the resident in silently.
    again = Authorization(bank.new)
    assert (
        redirect_params(web.get(again.url(prompt="none")), again.redirect_uri)["error"] == "consent_required"
    )


def test_one_resident_cannot_withdraw_anothers_access(
    web: BrowserClient, resident: object, user_factory: type
) -> None:
    web.force_login(resident)
    bank = Authorization(new_client())
    bank.token(web, code_for(web, bank))
    other = BrowserClient()
    other.force_login(user_factory())
    other.post(f"{CONNECTED}{bank.new.client.pk}/withdraw/")
    assert Token.objects.filter(user=resident).exists()


def test_connected_services_needs_a_sign_in(web: BrowserClient) -> None:
    assert "/accounts/login/" in web.get(CONNECTED)["Location"]


def test_rp_initiated_logout_with_an_id_token_hint(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    bank = Authorization(new_client())
    tokens = bank.token(web, code_for(web, bank)).json()
    page = web.get(
        "/identity/o/logout", {"id_token_hint": tokens["id_token"], "client_id": bank.new.client.id}
    )
    assert page.status_code == 200  # the resident is asked whether to sign out of the portal too
    response = web.post("/identity/o/logout", {"action": "logout", "csrfmiddlewaretoken": "x"})
    assert response.status_code == 302
    assert "_auth_user_id" not in web.session


@pytest.mark.filterwarnings("ignore::django.utils.deprecation.RemovedInDjango60Warning")  # in allauth
def test_an_unregistered_post_logout_redirect_is_a_4xx_error_page(
    web: BrowserClient, resident: object
) -> None:
    web.force_login(resident)
    bank = new_client()
    response = web.get(
        "/identity/o/logout",
        {"client_id": bank.client.id, "post_logout_redirect_uri": "https://evil.example/bye"},
    )
    assert response.status_code == 400
    assert "Location" not in response
