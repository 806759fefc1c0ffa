"""While an authorization request waits for a sign-in, the portal's pages may send forms on to that
client's origin (CSP form-action) — only that client's, only for a while (eid/oidc/form_action.py)."""

import time

import pytest
from django.test import Client as BrowserClient

from eid.oidc import form_action
from tests.eid.oidc.flow import Authorization, new_client

pytestmark = pytest.mark.django_db


def form_action_of(response: object) -> str:
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split(";") if part.strip().startswith("form-action"))


def test_the_sign_in_page_allows_the_waiting_clients_origin_only() -> None:
    web = BrowserClient()
    new_client(name="Other", redirect_uri="https://other.example/cb")
    auth = Authorization(new_client(redirect_uri="https://bank.example/callback"))
    assert "'self'" in form_action_of(web.get("/en/accounts/login/"))
    assert "bank.example" not in form_action_of(web.get("/en/accounts/login/"))

    response = web.get(auth.url())
    assert response.status_code == 302 and response["Location"].startswith("/")
    allowed = form_action_of(web.get(response["Location"]))
    assert "'self'" in allowed and "https://bank.example" in allowed
    assert "other.example" not in allowed


def test_the_allowance_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    web = BrowserClient()
    auth = Authorization(new_client(redirect_uri="https://bank.example/callback"))
    web.get(auth.url())
    later = time.time() + form_action.PENDING_SECONDS + 1
    monkeypatch.setattr(form_action.time, "time", lambda: later)
    assert "bank.example" not in form_action_of(web.get("/en/accounts/login/"))


def test_an_unknown_client_adds_nothing() -> None:
    web = BrowserClient()
    web.get("/identity/o/authorize?client_id=nope&response_type=code")
    assert "https:" not in form_action_of(web.get("/en/accounts/login/"))


def test_remembering_the_client_costs_no_extra_query() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web = BrowserClient()
    auth = Authorization(new_client(redirect_uri="https://bank.example/callback"))
    with CaptureQueriesContext(connection) as captured:
        web.get(auth.url())
    client_queries = [q for q in captured.captured_queries if "allauth_idp_oidc_client" in q["sql"]]
    assert len(client_queries) == 1
