import pytest
from django.core.cache import cache
from django.test import Client as BrowserClient

from eid.public import District
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_unless_worker: None) -> None:
    """Periodic tasks called with .delay().get() run here unless a test is marked `worker` (with a
    broker configured and no worker listening, .get() would wait forever)."""


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Every test from 127.0.0.1: the provider's rate limits (on, as in production) start empty."""
    cache.clear()


@pytest.fixture
def resident(db: None) -> UserFactory:
    return UserFactory(
        legal_name_en="CHAN Tai Man",
        legal_name_zh="陳大文",
        address_flat="Flat 12A, 3/F",
        address_building="Harbour Court",
        address_street="1 Sha Tin Centre Street",
        address_district=District.SHA_TIN,
    )


@pytest.fixture
def web() -> BrowserClient:
    """The resident's browser, as Django's test client (the Playwright one is `browser`)."""
    return BrowserClient()
