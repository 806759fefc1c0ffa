"""Every string translated: complete catalogues, compiled, and no English left on a Chinese page."""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.test import Client

from tests.factories import DepartmentFactory, MessageFactory, OfficerMembershipFactory

LOCALE = Path(__file__).resolve().parents[2] / "locale"
CATALOGUES = ["zh_Hant", "zh_Hans"]
# Words that stay in Latin letters on a Chinese page: the product name and the language names.
ALLOWED_LATIN = {"eID", "English", "HKID", "IP"}


@pytest.mark.parametrize("language", CATALOGUES)
def test_the_catalogue_is_complete_and_not_fuzzy(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert len(po.translated_entries()) > 100


@pytest.mark.parametrize("language", CATALOGUES)
def test_the_compiled_catalogue_matches_the_source(language: str) -> None:
    """The committed .mo was compiled from the committed .po (run `make messages` after editing)."""
    folder = LOCALE / language / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    mo = polib.mofile(str(folder / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): (entry.msgstr, entry.msgstr_plural) for entry in mo}
    for entry in po.translated_entries():
        got = compiled.get((entry.msgctxt, entry.msgid))
        assert got is not None, f"{entry.msgid!r} is missing from {language}'s django.mo"
        assert got == (entry.msgstr, entry.msgstr_plural), f"{entry.msgid!r} differs in django.mo"


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"script", "style", "noscript"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"aria-label", "title", "alt", "placeholder"} and value:
                self.chunks.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "noscript"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def _english_words(html: str) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.chunks)
    text = re.sub(r"\S+@\S+", " ", text)  # email addresses are data
    return {word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in ALLOWED_LATIN}


@pytest.mark.parametrize("language", ["zh-hant", "zh-hans"])
def test_no_english_is_left_on_chinese_pages(client: object, db: None, language: str) -> None:
    department = DepartmentFactory(
        code="imm", name_zh_hant="入境事務處", name_zh_hans="入境事务处", verifies_identity=True
    )
    officer = OfficerMembershipFactory(department=department).user
    message = MessageFactory(recipient=officer, department=department, subject="歡迎", body="你好")
    client.force_login(officer)
    pages = [
        "/",
        "/services/",
        "/services/?category=999",
        "/my/",
        "/services/inbox/",
        f"/services/inbox/{message.pk}/",
        "/back-office/",
        "/back-office/messages/",
        f"/back-office/messages/{message.pk}/",
        "/eid/step-up/?level=3",
        "/eid/security/",
        "/eid/verification/",
        "/back-office/verification/",
        "/accounts/2fa/",
        "/accounts/email/",
        "/accounts/sessions/",
        "/eid/connected-services/",
        "/eid/signing/",
        "/eid/verify/",
        "/services/inbox/preferences/",
        "/back-office/payments/",
        "/back-office/forms/",
        "/back-office/forms/new/",
        "/back-office/applications/",
        "/eid/partners/",
        "/eid/partners/organisations/new/",
        "/services/eforms/",
        "/services/eforms/applications/",
        "/no-such-page/",
    ]
    leftovers = {}
    anonymous = Client()
    for page in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/eid/verify/"]:
        words = _english_words(anonymous.get(f"/{language}{page}").content.decode())
        if words:
            leftovers[page] = sorted(words)
    for page in pages:
        response = client.get(f"/{language}{page}")
        words = _english_words(response.content.decode())
        if words:
            leftovers[page] = sorted(words)
    assert leftovers == {}


@pytest.mark.parametrize("path", ["//evil.example/en/", "//evil.example/x", "///evil.example/en/"])
def test_the_language_links_of_a_page_stay_on_this_site(client: Client, db: None, path: str) -> None:
    """A path starting `//` (a 404 page still shows the switcher) must not become a link to another
    site: `href="//evil.example/zh-hant/"` is protocol-relative."""
    response = client.get("/", PATH_INFO=path)
    links = re.findall(r'href="([^"]*)"\s+lang=', response.content.decode())
    assert len(links) == 3
    for link in links:
        assert link.startswith("/") and not link.startswith(("//", "/\\")), link
