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


def test_a_code_exchange_with_client_secret_basic_costs_six_queries(
    web: BrowserClient, resident: object
) -> None:
    authorization = Authorization(
        new_client(scopes=["openid", "profile", "email"]), scope="openid profile email"
    )
    code = code_for(web, authorization, email=resident.email)
    with CaptureQueriesContext(connection) as captured:
        response = authorization.token(BrowserClient(), code)
    assert response.status_code == 200, response.content
    # Transaction, client, pairwise subject, email, token insert. No lookup of a client without an
    # id: client_secret_basic sends none in the body.
    assert not [query for query in captured if '"id" IS NULL' in query["sql"]]
    assert len(captured) <= 6, [query["sql"][:120] for query in captured]


def _tables(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"][:100] + " … " + query["sql"][-80:] for query in captured]


def test_userinfo_reads_the_token_its_user_and_client_in_one_query(
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
    # The token joined to its user and client, then the email address.
    assert len(captured) == 2, _tables(captured)


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
    with CaptureQueriesContext(connection) as captured:
        params = redirect_params(consent(web, authorization.url()), authorization.redirect_uri)
    assert params["code"]
    client_lookups = [
        query for query in captured if query["sql"].startswith('SELECT "allauth_idp_oidc_client"')
    ]
    # The consent page GET and the consent POST: one each (there were two each).
    assert len(client_lookups) == 2, _tables(captured)
    # Session and user twice, the emails twice, the pairwise subject, the audit event (head, insert,
    # head update in a savepoint) and the page's navigation check: 17 before.
    assert len(captured) <= 15, _tables(captured)


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
