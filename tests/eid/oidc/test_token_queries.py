"""The token endpoint's database round trips (bench/README.md: the portal is bound by them)."""

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext

from eid.oidc.discovery import discovery_document, discovery_metadata
from tests.eid.oidc.flow import (
    DISCOVERY,
    USERINFO,
    Authorization,
    code_for,
    consent,
    new_client,
    redirect_params,
)

pytestmark = pytest.mark.django_db


def test_a_code_exchange_with_client_secret_basic_costs_five_queries(
    web: BrowserClient, resident: object
) -> None:
    authorization = Authorization(
        new_client(scopes=["openid", "profile", "email"]), scope="openid profile email"
    )
    code = code_for(web, authorization, email=resident.email)
    with CaptureQueriesContext(connection) as captured:
        response = authorization.token(BrowserClient(), code)
    assert response.status_code == 200, response.content
    assert response.json()["id_token"]
    # Transaction, client, pairwise subject with its resident and their email, token insert. No
    # lookup of a client without an id: client_secret_basic sends none in the body.
    assert not [query for query in captured if '"id" IS NULL' in query["sql"]]
    selects = [query["sql"] for query in captured if query["sql"].startswith("SELECT")]
    assert len(selects) == 2, _tables(captured)
    assert "account_emailaddress" in selects[1] and "eid_user" in selects[1]
    assert len(captured) <= 5, _tables(captured)


def _tables(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"][:100] + " … " + query["sql"][-80:] for query in captured]


def test_userinfo_reads_the_token_its_user_client_and_email_in_one_query(
    web: BrowserClient, resident: object
) -> None:
    authorization = Authorization(
        new_client(scopes=["openid", "profile", "email"]), scope="openid profile email"
    )
    access_token = authorization.token(BrowserClient(), code_for(web, authorization, email=resident.email))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access_token.json()['access_token']}"}
    with CaptureQueriesContext(connection) as captured:
        response = BrowserClient().get(USERINFO, **bearer)
    assert response.status_code == 200, response.content
    assert response.json()["email"] == resident.email
    # The token joined to its user and client, the email address in the same query.
    assert len(captured) == 1, _tables(captured)


def test_userinfo_still_refuses_an_inactive_residents_token(web: BrowserClient, resident: object) -> None:
    authorization = Authorization(new_client(scopes=["openid", "profile"]), scope="openid profile")
    access_token = authorization.token(BrowserClient(), code_for(web, authorization, email=resident.email))
    type(resident).objects.filter(pk=resident.pk).update(is_active=False)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access_token.json()['access_token']}"}
    assert BrowserClient().get(USERINFO, **bearer).status_code == 401


def test_a_consent_round_trip_looks_the_client_up_once_per_request(
    web: BrowserClient, resident: object
) -> None:
    new = new_client(scopes=["openid", "profile", "email"])
    authorization = Authorization(new, scope="openid profile email")
    code_for(web, authorization, email=resident.email)  # signed in, one consent given
    with CaptureQueriesContext(connection) as captured:  # prompt=consent: the page again
        params = redirect_params(
            consent(web, authorization.url(prompt="consent")), authorization.redirect_uri
        )
    assert params["code"]
    client_lookups = [  # the ORM's, or the validator's prepared one (FROM the client table as t0)
        query
        for query in captured
        if query["sql"].startswith('SELECT "allauth_idp_oidc_client"')
        or 'FROM "allauth_idp_oidc_client" t0' in query["sql"]
    ]
    # The consent page GET and the consent POST: one each (there were two each).
    assert len(client_lookups) == 2, _tables(captured)
    # Session and user twice, the emails twice, the pairwise subject, the audit event (head, insert,
    # head update in a savepoint), the page's navigation check, the remembered consent's upsert: 17
    # before.
    assert len(captured) <= 16, _tables(captured)


def test_discovery_is_built_once_per_process_and_follows_a_settings_change(
    web: BrowserClient, settings: object
) -> None:
    discovery_document.cache_clear()
    first = web.get(DISCOVERY)
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert first.json() == discovery_metadata()
    assert web.get(DISCOVERY).content == first.content
    assert discovery_document.cache_info().hits >= 1
    settings.SITE_URL = "https://other.example"  # only tests change settings at run time
    metadata = web.get(DISCOVERY).json()
    assert metadata["issuer"] == "https://other.example"
    assert metadata["token_endpoint"] == "https://other.example/identity/o/api/token"


def _id_token_and_userinfo(web: BrowserClient, email: str | None) -> tuple[dict, dict]:
    """A new client's code exchange and userinfo; `email` signs `web` in first."""
    import jwt

    authorization = Authorization(new_client(scopes=["openid", "email"]), scope="openid email")
    tokens = authorization.token(BrowserClient(), code_for(web, authorization, email=email)).json()
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    return id_token, BrowserClient().get(USERINFO, **bearer).json()


def test_the_joined_email_claim_is_the_current_primary_address_and_its_verified_flag(
    web: BrowserClient, resident: object
) -> None:
    from allauth.account.models import EmailAddress

    id_token, userinfo = _id_token_and_userinfo(web, resident.email)
    assert (id_token["email"], id_token["email_verified"]) == (resident.email, True)
    assert (userinfo["email"], userinfo["email_verified"]) == (resident.email, True)
    # Another address made primary (unverified) after sign-in: userinfo reads it, not a stale copy.
    EmailAddress.objects.filter(user=resident).update(primary=False)
    EmailAddress.objects.create(user=resident, email="new@example.hk", primary=True, verified=False)
    id_token, later = _id_token_and_userinfo(web, None)
    assert (id_token["email"], id_token["email_verified"]) == ("new@example.hk", False)
    assert (later["email"], later["email_verified"]) == ("new@example.hk", False)


def test_no_email_claim_when_the_resident_has_no_primary_address(
    web: BrowserClient, resident: object
) -> None:
    from allauth.account.models import EmailAddress

    _id_token_and_userinfo(web, resident.email)  # signs in
    EmailAddress.objects.filter(user=resident).update(primary=False)
    id_token, userinfo = _id_token_and_userinfo(web, None)
    for claims in (id_token, userinfo):
        assert "email" not in claims and "email_verified" not in claims and claims["sub"]
