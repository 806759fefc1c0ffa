"""Browser helpers: sign a resident in without the UI, and scan a page with axe."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()


def sign_in(page: object, live_server: object, user: object) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def serious_violations(page: object) -> list[str]:
    """axe WCAG 2.1 A/AA violations of impact serious or critical, as readable lines."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


@pytest.fixture
def axe_clean() -> object:
    def check(page: object) -> None:
        violations = serious_violations(page)
        assert violations == [], f"{page.url}:\n" + "\n".join(violations)

    return check
