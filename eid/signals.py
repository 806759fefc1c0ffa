"""Audit receivers for security events: sign-in (Django's signals) and allauth's account/MFA signals."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import get_language

from eid.assurance import authentication_methods
from eid.audit.chain import audit_log
from eid.constants import LANGUAGE_CODES


@receiver(user_logged_in)
def audit_sign_in(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    methods = authentication_methods(request, user) if hasattr(request, "session") else []
    audit_log(event_type="auth.sign_in", actor=user, subject=user, request=request, data={"amr": methods})


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


@receiver(account_signals.user_signed_up)
def record_sign_up(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """A new resident's preferred language is the one they signed up in."""
    language = get_language()
    if language in LANGUAGE_CODES and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    audit_log(event_type="account.signed_up", actor=user, subject=user, request=request)


def _audit_account_event(event_type: str):
    def handler(
        sender: object, request: HttpRequest | None = None, user: object = None, **kwargs: object
    ) -> None:
        user = user or getattr(kwargs.get("email_address"), "user", None)
        data = {}
        for key in ("email_address", "from_email_address", "to_email_address"):
            if kwargs.get(key) is not None:
                data[key] = str(kwargs[key].email if hasattr(kwargs[key], "email") else kwargs[key])
        audit_log(event_type=event_type, actor=user, subject=user, request=request, data=data)

    return handler


def _audit_mfa_event(event_type: str):
    def handler(
        sender: object,
        request: HttpRequest | None = None,
        user: object = None,
        authenticator: object = None,
        **kw,
    ) -> None:
        data = {"type": getattr(authenticator, "type", None)}
        for key in ("reauthenticated", "passwordless"):
            if kw.get(key):
                data[key] = True
        audit_log(event_type=event_type, actor=user, subject=user, request=request, data=data)

    return handler


_ACCOUNT_EVENTS = {
    account_signals.password_changed: "account.password_changed",
    account_signals.password_set: "account.password_set",
    account_signals.password_reset: "account.password_reset",
    account_signals.email_added: "account.email_added",
    account_signals.email_removed: "account.email_removed",
    account_signals.email_changed: "account.email_changed",
    account_signals.email_confirmed: "account.email_confirmed",
}
_MFA_EVENTS = {
    mfa_signals.authenticator_added: "mfa.added",
    mfa_signals.authenticator_removed: "mfa.removed",
    mfa_signals.authenticator_reset: "mfa.reset",
    mfa_signals.authenticator_used: "mfa.used",
    mfa_signals.authentication_failed: "mfa.failed",
}
_handlers = []  # kept referenced: signals hold receivers weakly
for signal, event_type in _ACCOUNT_EVENTS.items():
    _handlers.append(_audit_account_event(event_type))
    signal.connect(_handlers[-1], dispatch_uid=f"eid.audit.{event_type}")
for signal, event_type in _MFA_EVENTS.items():
    _handlers.append(_audit_mfa_event(event_type))
    signal.connect(_handlers[-1], dispatch_uid=f"eid.audit.{event_type}")
