"""CSP `form-action` during a sign-in that an authorization request started.

Chrome applies the submitting page's `form-action` to every redirect that follows a form POST. A
resident who signs in (password, second factor, step-up, re-authentication) on the way to a client
ends that chain at the client's redirect URI — with the portal's `form-action 'self'` the browser
refuses the last hop. While an authorization request waits for the resident, the portal's pages
therefore also allow the origins of *that* client's registered redirect URIs, and nothing else.
"""

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from eid.oidc.validator import request_client

SESSION_KEY = "eid_oidc_pending_form_action"
# Long enough for a sign-in with a second factor and a step-up; the same window PAR allows.
PENDING_SECONDS = 15 * 60


def redirect_origins(uris: list[str]) -> list[str]:
    origins = []
    for uri in uris:
        parts = urlsplit(uri)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"
        if origin not in origins:
            origins.append(origin)
    return origins


def pending_client_remember(request: HttpRequest, client_id: str | None) -> None:
    """The resident is sent to sign in (or step up) on the way to this client."""
    if not isinstance(client_id, str) or not client_id or not hasattr(request, "session"):
        return
    client = request_client(client_id)  # the authorize request's own look-up, cached: no query
    if client is None:
        return
    origins = redirect_origins(client.get_redirect_uris())
    request.session[SESSION_KEY] = {"origins": origins, "until": time.time() + PENDING_SECONDS}


def pending_client_forget(request: HttpRequest) -> None:
    if hasattr(request, "session") and SESSION_KEY in request.session:
        del request.session[SESSION_KEY]


def pending_origins(request: HttpRequest) -> list[str]:
    pending = getattr(request, "session", {}).get(SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return []
    return [origin for origin in pending.get("origins", []) if isinstance(origin, str)]


class PendingAuthorizationFormActionMiddleware:
    """Adds the waiting client's origins to `form-action` (must sit below CSPMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "_csp_update", None) is None and "html" in response.get("Content-Type", ""):
            origins = pending_origins(request)
            if origins:
                response._csp_update = {"form-action": origins}
        return response
