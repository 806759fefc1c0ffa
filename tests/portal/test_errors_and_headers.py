"""Error pages in every language, never a stack trace; security headers on every answer."""

import pytest
from django.test import Client
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def _boom(request: object) -> None:
    raise RuntimeError("secret internals")


urlpatterns = [*portal_urlpatterns, path("boom/", _boom)]
handler500 = "portal.views.server_error"


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Page not found"), ("zh-hant", "找不到網頁"), ("zh-hans", "找不到网页")],
)
def test_404_is_in_the_pages_language(client: object, db: None, language: str, text: str) -> None:
    response = client.get(f"/{language}/no-such-page/")
    assert response.status_code == 404
    assert f'lang="{language}"' in response.content.decode()
    assert text in response.content.decode()


@pytest.mark.urls("tests.portal.test_errors_and_headers")
def test_a_server_error_shows_the_500_page_without_internals(db: None) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_a_post_without_csrf_token_is_refused_with_an_explanation(resident: object) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    response = client.post("/en/services/inbox/read-all/")
    assert response.status_code == 403
    assert b"Your form expired" in response.content


def test_security_headers(client: object, db: None) -> None:
    response = client.get("/en/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_the_root_redirects_to_a_language(client: object, db: None) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hk,zh-hant;q=0.9")
    assert response.status_code == 302
    assert response["Location"] == "/zh-hant/"
