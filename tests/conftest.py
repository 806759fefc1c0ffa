"""Shared fixtures: factories, a real Celery worker when a broker is configured, and Chromium."""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import django.test.client
import pytest
from django.conf import settings

from portal.handlers import MachineRoutingMixin
from tests.factories import DepartmentFactory, MessageFactory, OfficerMembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class RoutingClientHandler(MachineRoutingMixin, django.test.client.ClientHandler):
    """The test client's handler, routing the OIDC machine endpoints to their own middleware stack
    as production's RoutingWSGIHandler does (portal/handlers.py)."""


# Every django.test.Client (pytest-django's `client` included) builds its handler from this name.
django.test.client.ClientHandler = RoutingClientHandler


@pytest.fixture
def user_factory() -> type[UserFactory]:
    return UserFactory


@pytest.fixture
def resident(db: None) -> UserFactory:
    return UserFactory()


@pytest.fixture
def department(db: None) -> DepartmentFactory:
    return DepartmentFactory(code="ogcio", name_en="Digital Policy Office")


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A host name → addresses table standing in for DNS in eid/outbound.py (no network); unknown
    names do not resolve."""
    from eid import outbound

    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    monkeypatch.setattr(outbound, "resolve_host", resolve)
    return table


@pytest.fixture
def officer_membership_factory() -> type[OfficerMembershipFactory]:
    return OfficerMembershipFactory


@pytest.fixture
def message_factory() -> type[MessageFactory]:
    return MessageFactory


# A real Celery worker ----------------------------------------------------------------------------


@pytest.fixture
def eager_unless_worker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run tasks in process, even with a broker configured, unless the test is marked `worker`.

    Such tests observe a task's effect synchronously (some patch a provider a worker would not see).
    Areas opt in with an autouse fixture in their conftest.
    """
    if request.node.get_closest_marker("worker"):
        yield
        return
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None, django_db_blocker: object) -> Iterator[str]:
    """A real worker on the configured broker against the test database; eager mode without one.

    Yields "worker" or "eager" so a test can say which it exercised.
    """
    if not settings.CELERY_BROKER_URL:
        yield "eager"
        return
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("A real Celery worker needs PostgreSQL (DATABASE_URL) so both see the same data.")
    url = (
        f"postgres://{database['USER'] or ''}@{database['HOST'] or ''}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "test-worker.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname=test-worker@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_for_worker(process)
    try:
        yield "worker"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for_worker(process: subprocess.Popen, timeout: float = 60) -> None:
    from portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The Celery worker exited with {process.returncode}; see var/test-worker.log")
        if app.control.ping(timeout=1.0):
            return
    pytest.fail("The Celery worker did not answer a ping within 60 s; see var/test-worker.log")


# Chromium through Playwright ---------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: browser tests need Debian's chromium package."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, live_server: object) -> Iterator[object]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: object, live_server: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def pytest_terminal_summary(terminalreporter: object, exitstatus: int, config: object) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped and IN_CI:
        terminalreporter.write_line(
            f"CI allows no skipped test: {len(skipped)} skipped. Failing the run.", red=True
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 1
