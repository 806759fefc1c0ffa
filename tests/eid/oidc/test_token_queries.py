"""The token endpoint's database round trips (bench/README.md: the portal is bound by them)."""

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext

from tests.eid.oidc.flow import Authorization, code_for, new_client

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
