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


def test_pages_for_a_signed_in_resident_are_never_cached(resident: object) -> None:
    """The gap: /my/, the security page and allauth's authenticator set-up (its secret) had no
    Cache-Control, so a shared computer's back button or a proxy could show them to the next person."""
    browser = Client()
    browser.force_login(resident)
    for url in ("/en/my/", "/en/eid/security/"):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url


def test_public_pages_and_a_views_own_cache_policy_are_left_alone(client: object, resident: object) -> None:
    assert "no-store" not in client.get("/en/").get("Cache-Control", "")
    browser = Client()
    browser.force_login(resident)
    from eid.pki.actions import pki_initialise

    pki_initialise()
    certificate = browser.get("/pki/ca/root.pem")
    assert certificate.status_code == 200
    assert certificate["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize(("language", "text"), [("en", "too large"), ("zh-hant", "太大")])
def test_an_oversized_request_is_refused_before_it_is_read(
    resident: object, settings: object, language: str, text: str
) -> None:
    """The gap: uploaded files are not counted by DATA_UPLOAD_MAX_MEMORY_SIZE, so any size was
    streamed to disk before the form refused it."""
    settings.REQUEST_BODY_MAX_BYTES = 1024
    browser = Client()
    browser.force_login(resident)
    response = browser.post(f"/{language}/my/", {"note": "x" * 2048})
    assert response.status_code == 413
    assert text in response.content.decode()
    assert "Connection" not in response  # hop-by-hop: WSGI servers refuse it (wsgiref raised)
    api = browser.post("/api/v1/eforms/submissions/", {"note": "x" * 2048})
    assert api.status_code == 413 and "detail" in api.json()
    # Under the limit the request goes on to its view (here: /my/ answers GET only).
    assert browser.post(f"/{language}/my/", {"note": "x"}).status_code != 413
