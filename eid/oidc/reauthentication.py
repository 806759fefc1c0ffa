"""`max_age` (OIDC Core §3.1.2.1): a sign-in older than the client allows is made again first.

A resident whose last authentication is older than `max_age` seconds is sent to allauth's
re-authentication (then back to /authorize); with `prompt=none` the answer is `login_required`.
`max_age=0` means a sign-in for this very request, like `prompt=login`.

So that a fresh sign-in satisfies the request it was made for (and `max_age=0` does not loop), the
time the portal asked is kept in the session per authorization request (client, state, nonce): an
authentication at or after that time counts as fresh.

A session whose level rests on a second factor re-authenticates with that factor (authenticator code
or passkey), for `max_age` and `prompt=login` alike: a password alone would refresh the sign-in
without proving the level the ID token's `acr` then reports (session.py's `auth_time` is the second
factor's time for such a session, so a password would not even satisfy `max_age`).
"""

import hashlib
import time
from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.openid.connect.core.exceptions import LoginRequired

from eid.oidc.session import session_authentication
from eid.public import AssuranceLevel, session_assurance_level

SESSION_KEY = "eid_oidc_auth_asked"
MAX_REMEMBERED = 16


def requested_max_age(request: HttpRequest, orequest: Any = None) -> int | None:
    """The request's `max_age` in seconds, None if absent; invalid_request if not a number ≥ 0."""
    value = request.GET.get("max_age")
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 10:
        raise errors.InvalidRequestError(
            description="max_age must be a non-negative integer.", request=orequest
        )
    return int(value)


def _request_key(request: HttpRequest) -> str:
    params = request.GET
    material = "\n".join(params.get(name, "") for name in ("client_id", "redirect_uri", "state", "nonce"))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def authentication_asked(request: HttpRequest) -> None:
    """Remember that this authorization request sends the resident to sign in now."""
    if request.GET.get("max_age") in (None, ""):
        return
    asked = dict(request.session.get(SESSION_KEY, {}))
    asked[_request_key(request)] = int(time.time())
    # Only the latest few requests: the session must not grow with every abandoned one.
    request.session[SESSION_KEY] = dict(sorted(asked.items(), key=lambda item: item[1])[-MAX_REMEMBERED:])


def reauthentication_needed(request: HttpRequest, *, max_age: int) -> bool:
    """True if the signed-in resident last authenticated more than `max_age` seconds ago and has
    not authenticated since the portal asked for this request."""
    session = session_authentication(request)
    if session is None:
        return False  # not signed in: the sign-in (or login_required) is handled before
    auth_time = session["auth_time"]
    asked = request.session.get(SESSION_KEY, {}).get(_request_key(request))
    if asked is not None and auth_time >= asked:
        return False
    return time.time() - auth_time > max_age


def reauthentication_path(request: HttpRequest) -> str:
    """Where this resident re-authenticates: with a second factor when the session's level needs one."""
    password = reverse("account_reauthenticate")
    level = session_assurance_level(request)
    if level is None or level <= AssuranceLevel.LOW:
        return password
    methods = get_account_adapter(request).get_reauthentication_methods(request.user)
    strong = [method["url"] for method in methods if method["id"] != "reauthenticate"]
    return strong[0] if strong else password


def reauthenticate_if_stale(request: HttpRequest, orequest: Any, *, prompt_none: bool) -> HttpResponse | None:
    """A redirect to re-authentication if `max_age` is exceeded (login_required with prompt=none)."""
    max_age = requested_max_age(request, orequest)
    if max_age is None or not reauthentication_needed(request, max_age=max_age):
        return None
    if prompt_none:
        raise LoginRequired(description="The sign-in is older than max_age.", request=orequest)
    authentication_asked(request)
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reauthentication_path(request)}?{query}")
