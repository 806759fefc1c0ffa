"""Ending the resident's sessions at relying parties when they sign out of the portal."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from eid.oidc.backchannel import client_sessions_end


@receiver(user_logged_out, dispatch_uid="eid.oidc.backchannel_on_sign_out")
def end_client_sessions_on_sign_out(
    sender: object, request: HttpRequest | None, user: object, **kwargs: object
) -> None:
    # Also reached through RP-initiated logout; allauth has already revoked the initiating client's
    # tokens by then, so only the other clients are told.
    if user is not None and getattr(user, "pk", None) is not None:
        client_sessions_end(user=user, reason="signed_out", request=request)
