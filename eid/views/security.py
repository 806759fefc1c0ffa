"""The resident's security page: recent sign-ins and security events, with links to manage them."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from eid.assurance import session_assurance_level
from eid.audit.models import AuditEvent

HISTORY_EVENTS = (
    "auth.sign_in",
    "auth.sign_in_failed",
    "auth.sign_out",
    "account.password_changed",
    "account.password_reset",
    "account.email_changed",
    "mfa.added",
    "mfa.removed",
    "mfa.failed",
    "assurance.changed",
    "verification.approved",
    "verification.rejected",
)
HISTORY_SIZE = 30


@login_required
def security_home(request: HttpRequest) -> HttpResponse:
    from allauth.mfa.models import Authenticator

    events = list(
        AuditEvent.objects.filter(subject=request.user, event_type__in=HISTORY_EVENTS).order_by("-id")[
            :HISTORY_SIZE
        ]
    )
    authenticators = list(Authenticator.objects.filter(user=request.user).order_by("created_at"))
    context = {
        "events": events,
        "authenticators": authenticators,
        "session_level": session_assurance_level(request),
    }
    return render(request, "eid/security.html", context)
