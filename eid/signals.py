"""Audit receivers for sign-in events (Django's and allauth's signals)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from eid.audit.chain import audit_log


@receiver(user_logged_in)
def audit_sign_in(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    audit_log(event_type="auth.sign_in", actor=user, subject=user, request=request)


@receiver(user_logged_out)
def audit_sign_out(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    if user is not None:
        audit_log(event_type="auth.sign_out", actor=user, subject=user, request=request)


@receiver(user_login_failed)
def audit_sign_in_failed(
    sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: object
) -> None:
    from eid.models import User

    # Only the account concerned is recorded, never the attempted password.
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    subject = User.objects.filter(email__iexact=email).only("pk").first() if email else None
    audit_log(
        event_type="auth.sign_in_failed",
        subject=subject,
        request=request,
        data={"account_exists": subject is not None},
    )
