"""The approximate place of an IP address is shown only when a locator is configured."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory

CALLS: list[str] = []


def fake_locator(ip: str) -> str:
    CALLS.append(ip)
    return "Sha Tin, Hong Kong"


def broken_locator(ip: str) -> str:
    raise RuntimeError("database missing")


@pytest.fixture(autouse=True)
def _clean() -> None:
    cache.clear()
    CALLS.clear()


def _signed_in() -> Client:
    client = Client()
    user = UserFactory()
    client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    return client


def test_without_a_locator_no_place_is_shown_or_looked_up(db: None) -> None:
    client = _signed_in()
    for page in ("/en/accounts/sessions/", "/en/eid/security/"):
        assert b"Approximate place" not in client.get(page).content
    assert CALLS == []


def test_with_a_locator_sessions_and_history_show_the_place(db: None, settings: object) -> None:
    settings.EID_IP_LOCATOR = "tests.eid.test_geo.fake_locator"
    client = _signed_in()
    for page in ("/en/accounts/sessions/", "/en/eid/security/"):
        content = client.get(page).content
        assert b"Approximate place" in content and b"Sha Tin, Hong Kong" in content
    assert set(CALLS) == {"127.0.0.1"}
    assert len(CALLS) == 1  # cached


def test_a_broken_locator_never_breaks_the_page(db: None, settings: object) -> None:
    settings.EID_IP_LOCATOR = "tests.eid.test_geo.broken_locator"
    response = _signed_in().get("/en/eid/security/")
    assert response.status_code == 200
