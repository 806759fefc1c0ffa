"""Telling a resident something happened to their eID, without eid importing the inbox.

eid is the ground floor: it announces notices through this signal, and the notifications service
(above it) delivers them to the resident's inbox and other channels.
"""

from django.dispatch import Signal
from django.utils import translation

from eid.models import User

# Sent with: user, department_code, notification_type, subject, body (already in the user's language).
resident_notice = Signal()


def resident_notify(
    *, user: User, department_code: str, notification_type: str, subject: str, body: str, context: dict
) -> None:
    """Render the (lazy, translatable) subject and body in the resident's language and announce them."""
    with translation.override(user.preferred_language):
        rendered_subject = str(subject) % context
        rendered_body = str(body) % context
    resident_notice.send(
        sender=User,
        user=user,
        department_code=department_code,
        notification_type=notification_type,
        subject=rendered_subject,
        body=rendered_body,
    )
