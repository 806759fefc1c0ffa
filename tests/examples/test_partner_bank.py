"""The example partner's own logic, in process (the browser test drives it end to end)."""

import sys
import types
from pathlib import Path

import pytest
from django.core.cache import cache

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "partner_bank"))
from partner_bank import views


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    cache.clear()


def at(now: float) -> types.SimpleNamespace:
    return types.SimpleNamespace(time=lambda: now)


def test_a_sign_in_within_the_second_after_a_back_channel_logout_stays(monkeypatch) -> None:
    """The bug: logouts were remembered by the token's whole-second `iat`, so signing in again
    within that second was undone at once (the browser test failed one run in three)."""
    monkeypatch.setattr(views, "time", at(1_000.4))
    views.remember_logout({"sub": "resident", "iat": 1_000})

    assert views._logged_out_by_portal({"claims": {"sub": "resident"}, "signed_in_at": 1_000.7}) is False


def test_a_session_from_before_the_logout_is_ended(monkeypatch) -> None:
    monkeypatch.setattr(views, "time", at(1_000.4))
    views.remember_logout({"sub": "resident", "iat": 1_000})

    assert views._logged_out_by_portal({"claims": {"sub": "resident"}, "signed_in_at": 1_000.2}) is True
    assert views._logged_out_by_portal({"claims": {"sub": "resident"}, "signed_in_at": 990}) is True


def test_a_logout_ends_only_that_residents_sessions(monkeypatch) -> None:
    monkeypatch.setattr(views, "time", at(1_000.4))
    views.remember_logout({"sub": "resident"})

    assert views._logged_out_by_portal({"claims": {"sub": "someone-else"}, "signed_in_at": 990}) is False
