"""Pages whose form answers with a redirect to a client allow that client in CSP `form-action`.

Browsers apply `form-action` to the redirects that follow a form's submission, so under the portal's
`form-action 'self'` the consent answer and the logout confirmation could never reach the client
(found by the partner bank's end-to-end test in Chromium).
"""

import pytest
from django.test import Client as BrowserClient

from tests.eid.oidc.flow import Authorization, new_client, sign_in

pytestmark = pytest.mark.django_db

LOGOUT = "/identity/o/logout"


def form_action(response: object) -> list[str]:
    policy = response["Content-Security-Policy"]
    directive = next(part.strip() for part in policy.split(";") if part.strip().startswith("form-action"))
    return directive.split()[1:]


def test_consent_page_allows_the_redirect_uris_origin(web: BrowserClient, resident: object) -> None:
    authorization = Authorization(new_client(redirect_uri="https://bank.example:8443/callback"))
    sign_in(web, resident.email, authorization.url())
    response = web.get(authorization.url())
    assert response.status_code == 200
    assert form_action(response) == ["'self'", "https://bank.example:8443"]


def test_other_pages_keep_form_action_self(web: BrowserClient, resident: object) -> None:
    sign_in(web, resident.email, "/en/my/")
    assert form_action(web.get("/en/my/")) == ["'self'"]


def test_logout_confirmation_allows_the_post_logout_redirect_uris_origin(
    web: BrowserClient, resident: object
) -> None:
    new = new_client(redirect_uri="https://bank.example/callback")
    new.client.set_post_logout_redirect_uris(["https://bank.example/signed-out"])
    new.client.save()
    sign_in(web, resident.email, "/en/my/")
    # No id_token_hint: the provider must ask the resident before logging them out.
    response = web.get(
        LOGOUT, {"client_id": new.client.id, "post_logout_redirect_uri": "https://bank.example/signed-out"}
    )
    assert response.status_code == 200
    assert form_action(response) == ["'self'", "https://bank.example"]
