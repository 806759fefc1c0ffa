"""The OIDC provider's machine endpoints run their own short middleware stack (portal/handlers.py)."""

import io

import pytest
from django.test import Client, RequestFactory

from portal.handlers import RoutingWSGIHandler, is_machine_path
from portal.middleware import MACHINE_CSP

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, machine",
    [
        ("/.well-known/openid-configuration", True),
        ("/.well-known/jwks.json", True),
        ("/identity/o/par", True),
        ("/identity/o/api/token", True),
        ("/identity/o/api/userinfo", True),
        ("/identity/o/authorize", False),  # a browser page: sessions, CSRF, consent
        ("/identity/o/logout", False),
        ("/identity/o/parx", False),
        ("/.well-known/jwks.json/x", False),
        ("/en/", False),
        ("/api/v1/me", False),
    ],
)
def test_which_paths_are_machine_endpoints(path: str, machine: bool) -> None:
    assert is_machine_path(path) is machine


def test_discovery_gets_the_json_headers_and_nothing_of_the_browser_stack(client: Client) -> None:
    response = client.get("/.well-known/openid-configuration", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == MACHINE_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Permissions-Policy" in response
    assert int(response["Content-Length"]) == len(response.content)
    assert response["Access-Control-Allow-Origin"] == "*"
    # No locale negotiation, no session: nothing varies on the caller's cookies or language.
    assert "Content-Language" not in response
    assert "Vary" not in response
    assert not response.cookies


def test_a_signed_in_browser_session_is_not_read_at_machine_endpoints(client: Client, resident) -> None:
    client.force_login(resident)
    response = client.get("/identity/o/api/userinfo")
    assert response.status_code == 401  # a session is not a bearer token
    assert "Bearer" in response["WWW-Authenticate"]
    assert not response.cookies


def test_pages_keep_the_full_stack(client: Client) -> None:
    response = client.get("/en/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Security-Policy"] != MACHINE_CSP
    assert "'self'" in response["Content-Security-Policy"]
    assert response["Content-Language"] == "en"


def test_the_wsgi_application_routes_the_same_way() -> None:
    """portal.wsgi's handler, called as gunicorn calls it."""
    handler = RoutingWSGIHandler()
    outcome: dict = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
        outcome["status"], outcome["headers"] = status, dict(headers)
        return io.BytesIO().write

    for path, csp_is_machine in (("/.well-known/jwks.json", True), ("/en/", False)):
        environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
        body = b"".join(handler(environ, start_response))
        assert outcome["status"].startswith("200"), (path, outcome["status"])
        assert (outcome["headers"]["Content-Security-Policy"] == MACHINE_CSP) is csp_is_machine
        if csp_is_machine:
            assert b'"keys"' in body
