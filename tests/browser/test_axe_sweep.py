"""An axe sweep of the pages no other browser test scans, in English and Traditional Chinese.

One signed-in browser context per role and language; each page is loaded once. Every page's
violations are collected before the test fails, so one broken page does not hide the others.
The error pages (400, 403, 413, 429, 500) are rendered by their handlers and served at a portal
URL through Playwright's routing, so their CSS and scripts load from the live server as usual.
"""

import datetime
import os
import re
from collections.abc import Callable, Iterator

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.test import Client as DjangoClient
from django.test import RequestFactory
from django.utils import translation

from eid.models import User, VerificationRequest
from eid.verification import verification_request_submit
from portal import views as portal_views
from portal.demo import DEMO_TOTP_SECRET, seed_demo_data
from services.eforms import builder
from services.eforms.models import Form, Submission
from services.notifications.actions import unsubscribe_token
from tests.browser.conftest import serious_violations
from tests.eid.oidc.flow import Authorization, code_for, new_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hant"]
_axe = Axe()


@pytest.fixture
def demo(live_server: object, settings: object) -> dict[str, User]:
    settings.SITE_URL = live_server.url
    cache.clear()
    seed_demo_data()
    return {user.email.split("@")[0]: user for user in User.objects.filter(email__endswith="@demo.local")}


@pytest.fixture
def context_for(browser: object, live_server: object) -> Iterator[Callable[[User | None], object]]:
    """A page in a fresh browser context, signed in as `user` (anonymous for None)."""
    contexts = []

    def open_page(user: User | None) -> object:
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        if user is not None:
            client = DjangoClient()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def outside_landmarks(page: object) -> list[str]:
    """axe's "region" rule (a best practice, so not in the WCAG tags): a screen reader user moving
    by landmarks misses any content outside them, such as the demonstration-system notice."""
    results = _axe.run(page, options={"runOnly": {"type": "rule", "values": ["region"]}})
    return [
        f"{violation['id']}: " + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


def sweep(page: object, base: str, language: str, paths: list[str]) -> list[str]:
    """Loads each path; returns the problems: a page that is not 200 in the right language, axe's
    serious and critical WCAG 2.1 A/AA violations, or content outside the landmarks."""
    problems = []
    for path in paths:
        response = page.goto(base + path)
        if response is None or response.status != 200:
            problems.append(f"{path}: HTTP {response.status if response else '?'}")
            continue
        lang = page.locator("html").get_attribute("lang")
        if lang != language:
            problems.append(f"{path}: <html lang={lang!r}>")
        problems += [f"{path}: {violation}" for violation in serious_violations(page)]
        problems += [f"{path}: {violation}" for violation in outside_landmarks(page)]
        report_english(page, path, language)
    return problems


def report_english(page: object, where: str, language: str) -> None:
    """With AXE_SWEEP_ENGLISH=<file>, appends the English-looking text of Chinese pages to it."""
    report = os.environ.get("AXE_SWEEP_ENGLISH")
    if report and language != "en":
        with open(report, "a", encoding="utf-8") as out:
            for run in english_on_chinese_page(page):
                out.write(f"{where}\t{run.strip()}\n")


def english_on_chinese_page(page: object) -> list[str]:
    """Visible text on a Chinese page that reads as English words (a debugging aid, not asserted:
    names of people, departments and e-mail addresses come from the data)."""
    english = re.compile(r"[A-Za-z][A-Za-z ,.'\u2019-]*[a-z]{3,}")
    lines = page.locator("body").inner_text().splitlines()
    return [line.strip()[:160] for line in lines if english.search(line)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_resident_pages(context_for: Callable, live_server: object, demo: dict, language: str) -> None:
    resident = demo["substantial"]
    submission = Submission.objects.filter(resident=resident).order_by("pk").first()
    bank = Authorization(new_client(name="Harbour Bank"))  # not used yet: its consent page
    insurer = Authorization(new_client(name="Harbour Insurance"))
    web = DjangoClient()
    web.force_login(resident)
    insurer.token(web, code_for(web, insurer))  # a connected service to list
    page = context_for(resident)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )  # the OIDC endpoints are not language-prefixed
    paths = [
        f"/{language}/services/eforms/",
        f"/{language}/eid/security/",
        f"/{language}/eid/verification/",
        f"/{language}/eid/connected-services/",
        f"/{language}/services/eforms/applications/{submission.public_id}/",
        f"/{language}/accounts/reauthenticate/",
        bank.url(),
        "/identity/o/logout",
    ]
    problems = sweep(page, live_server.url, language, paths)
    assert problems == [], "\n".join(problems)


def verification_requested(resident: User) -> VerificationRequest:
    TOTP.activate(resident, DEMO_TOTP_SECRET)  # verification needs a second factor
    return verification_request_submit(
        user=resident,
        legal_name_en="CHAN Tai Man",
        legal_name_zh="陳大文",
        date_of_birth=datetime.date(1985, 6, 15),
        raw_hkid="A123456(3)",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_verification_and_unsubscribe_pages(
    context_for: Callable, live_server: object, demo: dict, language: str
) -> None:
    """A resident who asked to be verified, and the unsubscribe page anyone reaches from an email."""
    resident = demo["low"]
    verification_requested(resident)
    token = unsubscribe_token(channel="email", topic="general", user=resident)
    problems = sweep(
        context_for(resident),
        live_server.url,
        language,
        [f"/{language}/eid/verification/", f"/{language}/notifications/unsubscribe/{token}/"],
    )
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_officer_pages(context_for: Callable, live_server: object, demo: dict, language: str) -> None:
    officer = demo["officer"]
    form = Form.objects.get(slug="residential-parking-permit")
    draft = builder.version_new_draft(form=form, officer=officer)
    published = form.versions.exclude(pk=draft.pk).order_by("-number").first()
    version = f"/{language}/back-office/forms/{form.public_id}/v{draft.number}"
    case = Submission.objects.filter(form=form).first()
    request = verification_requested(demo["low"])
    paths = [
        f"/{language}/back-office/",
        f"/{language}/back-office/verification/",
        f"/{language}/back-office/verification/{request.pk}/",
        f"/{language}/back-office/certificates/",
        f"/{language}/back-office/payments/",
        f"/{language}/back-office/messages/templates/",
        f"/{language}/back-office/forms/",
        f"/{language}/back-office/forms/new/",
        f"/{language}/back-office/forms/{form.public_id}/",
        f"{version}/settings/",
        f"{version}/json/",
        f"{version}/pages/0/",
        f"{version}/pages/0/fields/0/",
        f"/{language}/back-office/forms/{form.public_id}/v{published.number}/preview/",
        f"/{language}/back-office/applications/{case.public_id}/",
    ]
    problems = sweep(context_for(officer), live_server.url, language, paths)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_partner_review_pages(context_for: Callable, live_server: object, demo: dict, language: str) -> None:
    """The administrator reviews partners' production requests."""
    problems = sweep(
        context_for(demo["admin"]), live_server.url, language, [f"/{language}/back-office/partners/"]
    )
    assert problems == [], "\n".join(problems)


ERROR_VIEWS = {
    400: portal_views.bad_request,
    403: portal_views.permission_denied,
    413: lambda request: portal_views._error(request, 413),
    429: portal_views.too_many_requests,
    500: portal_views.server_error,
}


def error_page(language: str, status: int) -> bytes:
    request = RequestFactory().get(f"/{language}/services/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.LANGUAGE_CODE = language
    with translation.override(language):
        response = ERROR_VIEWS[status](request)
    assert response.status_code == status
    return response.content


def serve(status: int, body: bytes) -> Callable[[object], None]:
    def fulfill(route: object) -> None:
        route.fulfill(status=status, body=body, content_type="text/html; charset=utf-8")

    return fulfill


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages(context_for: Callable, live_server: object, demo: dict, language: str) -> None:
    page = context_for(None)
    problems = []
    for status in ERROR_VIEWS:
        url = f"{live_server.url}/{language}/error-{status}/"
        page.route(url, serve(status, error_page(language, status)))
        page.goto(url)
        if page.locator("html").get_attribute("lang") != language:
            problems.append(f"{status}: <html lang> is not {language}")
        problems += [f"{status}: {violation}" for violation in serious_violations(page)]
        problems += [f"{status}: {violation}" for violation in outside_landmarks(page)]
        report_english(page, str(status), language)
    assert problems == [], "\n".join(problems)
