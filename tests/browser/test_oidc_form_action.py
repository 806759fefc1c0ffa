"""A sign-in on the way to a client ends at the client in a real browser.

Chrome applies the sign-in page's CSP `form-action` to the redirects after the form is sent
(sign-in POST → authorize → the client's redirect URI): with `form-action 'self'` alone the last
hop is refused. While the authorization request waits, the portal's pages allow that client's origin.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from tests.eid.oidc.flow import Authorization, new_client
from tests.factories import TEST_PASSWORD, UserFactory
from tests.receivers import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _issuer(live_server: object, settings: object) -> None:
    settings.SITE_URL = live_server.url
    cache.clear()


def test_a_sign_in_started_by_a_client_that_skips_consent_lands_at_the_client(
    page: object, live_server: object
) -> None:
    user = UserFactory()
    with Receiver(path="/callback") as client_app:
        # Another origin than the portal's (127.0.0.1 vs localhost, another port).
        auth = Authorization(new_client(redirect_uri=client_app.url, skip_consent=True))
        page.goto(f"{live_server.url}{auth.url()}")
        page.wait_for_url(re.compile(r"/accounts/login/"))
        page.fill("input[name=login]", user.email)
        page.fill("input[name=password]", TEST_PASSWORD)
        page.locator("form:has([name='password']) [type=submit]").first.click()
        page.wait_for_url(re.compile(re.escape(client_app.url)), timeout=10_000)

    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == [auth.state]
    assert query["code"]
    assert "/callback" in [request.path.split("?")[0] for request in client_app.requests]
