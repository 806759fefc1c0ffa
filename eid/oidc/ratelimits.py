"""Rate limits on the provider's endpoints, with allauth's limiter (the shared cache) and its
settings, `IDP_OIDC_RATE_LIMITS` (the actions below; see portal/settings/base.py).

- Client-authenticated endpoints (token, PAR, revocation, introspection): a per-IP limit on failed
  client authentications, checked before any secret or assertion is looked at, so a locked-out IP
  cannot keep guessing; successful authentications do not count. Then a per-client limit.
- /authorize: per IP, and per signed-in resident.
- userinfo: per access token.

JSON endpoints answer 429 with `temporarily_unavailable` (as allauth's introspection endpoint does)
and `Retry-After`; /authorize answers with the portal's 429 page, never a redirect to the client.
"""

import math
import time
from http import HTTPStatus
from typing import Any

from allauth.core import context
from allauth.core.exceptions import RateLimited
from allauth.core.internal import ratelimit
from allauth.idp.oidc import app_settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

APP = "allauth.idp.oidc"
CLIENT_AUTH_FAILED = "client_auth_failed"
# Per-client action by endpoint (URL name); introspection's is allauth's own `introspect_client`,
# consumed in its validator's introspect_token.
CLIENT_ACTIONS = {"token": "token_client", "par": "par_client", "revoke": "revoke_client"}


def retry_after(request: HttpRequest, action: str, *, key: str | None = None, user: Any = None) -> int:
    """Seconds until `action` admits this caller again: when the oldest hit that fills a window
    leaves it (allauth keeps each window's hit times, newest first)."""
    now = time.time()
    seconds = 1
    for rate in ratelimit.get_rates(app=APP, action=action):
        cache_key = ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key, user=user)
        hits = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(hits) >= rate.amount:
            seconds = max(seconds, math.ceil(hits[rate.amount - 1] + rate.duration - now))
    return seconds


def json_429(seconds: int) -> JsonResponse:
    response = JsonResponse(
        {"error": "temporarily_unavailable", "error_description": "Too many requests. Try again later."},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


class ClientRateLimited(RateLimited):
    """Raised from the validator (inside oauthlib) with the answer's Retry-After."""

    def __init__(self, seconds: int) -> None:
        super().__init__()
        self.retry_after = seconds


def limited_response(error: RateLimited) -> JsonResponse:
    """The JSON 429 for a RateLimited raised while handling a client-authenticated request."""
    seconds = getattr(error, "retry_after", None)
    if seconds is None:
        # allauth's own introspection limits: per client (raised in its validator), or per IP.
        client = getattr(context.request, "eid_rate_client_id", None)
        if client:
            seconds = retry_after(context.request, "introspect_client", key=client)
        else:
            seconds = retry_after(context.request, "introspect_ip")
    return json_429(seconds)


def client_auth_allowed(request: HttpRequest) -> None:
    """Before any secret or assertion check: an IP over its failed-authentication budget is refused."""
    if not ratelimit.consume(request, app=APP, action=CLIENT_AUTH_FAILED, dry_run=True):
        raise ClientRateLimited(retry_after(request, CLIENT_AUTH_FAILED))


def client_auth_failed(request: HttpRequest) -> None:
    ratelimit.consume(request, app=APP, action=CLIENT_AUTH_FAILED)


def client_consume(request: HttpRequest, client_id: str) -> None:
    """The authenticated client's budget at this endpoint."""
    request.eid_rate_client_id = client_id
    match = getattr(request, "resolver_match", None)
    action = CLIENT_ACTIONS.get(match.url_name) if match is not None else None
    if action and not ratelimit.consume(request, app=APP, action=action, key=client_id):
        raise ClientRateLimited(retry_after(request, action, key=client_id))


def authorize_limit(request: HttpRequest) -> HttpResponse | None:
    """/authorize: per IP, then per signed-in resident; the portal's 429 page (no redirect: the
    request's redirect_uri has not been checked)."""
    checks: list[tuple[str, Any]] = [("authorize_ip", None)]
    if request.user.is_authenticated:
        checks.append(("authorize_user", request.user))
    for action, user in checks:
        if not ratelimit.consume(request, app=APP, action=action, user=user, limit_get=True):
            response = ratelimit.respond_429(request)
            response["Retry-After"] = str(retry_after(request, action, user=user))
            return response
    return None


def userinfo_limit(request: HttpRequest) -> HttpResponse | None:
    """userinfo: per access token (the credential as presented; an unknown one fails anyway)."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    token = credential.strip() if scheme.lower() in ("bearer", "dpop") else ""
    token = token or request.POST.get("access_token", "")
    if not token or not app_settings.RATE_LIMITS.get("userinfo_token"):
        return None
    if not ratelimit.consume(request, app=APP, action="userinfo_token", key=token, limit_get=True):
        return json_429(retry_after(request, "userinfo_token", key=token))
    return None
