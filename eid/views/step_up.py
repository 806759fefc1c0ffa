"""Identity pages that every service relies on: the step-up page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from eid.assurance import session_assurance_level
from eid.constants import AssuranceLevel


def safe_next_url(request: HttpRequest, candidate: str | None) -> str:
    """The `next` URL if it stays on this site, else the home page (no open redirects)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


def step_up(request: HttpRequest) -> HttpResponse:
    """Says what a resident needs to reach a level: a stronger sign-in, or identity verification."""
    try:
        required = AssuranceLevel(int(request.GET.get("level", "")))
    except ValueError:
        required = AssuranceLevel.SUBSTANTIAL
    session_level = session_assurance_level(request)
    account_level = AssuranceLevel(request.user.assurance_level) if request.user.is_authenticated else None
    context = {
        "required": required,
        "session_level": session_level,
        "account_level": account_level,
        "needs_verification": account_level is not None and account_level < required,
        "needs_stronger_sign_in": account_level is not None
        and account_level >= required
        and (session_level or 0) < required,
        "next_url": safe_next_url(request, request.GET.get("next")),
    }
    if context["needs_stronger_sign_in"]:
        from allauth.mfa.models import Authenticator

        types = set(Authenticator.objects.filter(user=request.user).values_list("type", flat=True))
        context["can_use_totp"] = Authenticator.Type.TOTP in types
        context["can_use_passkey"] = Authenticator.Type.WEBAUTHN in types
    # 403: the page is shown, but the resource was not; screen readers hear the explanation.
    return render(request, "eid/step_up.html", context, status=403)
