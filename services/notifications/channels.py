"""The three channels behind one module: the inbox, email (Django's backend) and SMS (eid.sms).

A channel raises TemporaryDeliveryError when trying again later may work (provider down, timeout)
and PermanentDeliveryError when it never will (no address, a number the SMS provider refuses).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from eid.public import SMSPermanentError, sms_send
from services.notifications.models import Channel, Message, Notification

logger = logging.getLogger(__name__)


class TemporaryDeliveryError(Exception):
    pass


class PermanentDeliveryError(Exception):
    pass


@dataclass(frozen=True)
class Delivered:
    """What a channel did: the inbox message it created, or the SMS provider's message id when the
    provider confirms delivery later (a status callback); neither when it is final now."""

    message: Message | None = None
    provider_reference: str = ""


def sms_status_callback_url() -> str:
    return settings.SITE_URL + reverse("notifications_api:sms_status")


def inbox_message(notification: Notification, *, notification_type: str | None = None) -> Message:
    """The inbox message of a notification, unsaved (a broadcast batch saves many at once)."""
    if notification.recipient_id is None:
        raise PermanentDeliveryError("no eID account for the inbox")
    return Message(
        recipient_id=notification.recipient_id,
        department_id=notification.department_id,
        subject=notification.subject[:200],
        body=notification.body,
        notification_type=notification_type or notification.template_version.template.notification_type,
    )


def deliver(notification: Notification, *, unsubscribe_url: str = "") -> Delivered:
    if notification.channel == Channel.INBOX:
        message = inbox_message(notification)
        message.save()
        return Delivered(message=message)
    if not notification.to:
        raise PermanentDeliveryError(f"no {notification.channel} address")
    try:
        if notification.channel == Channel.EMAIL:
            _send_email(notification, unsubscribe_url=unsubscribe_url)
            return Delivered()
        reference = sms_send(
            to=notification.to, body=notification.body, status_callback=sms_status_callback_url()
        )
    except SMSPermanentError as exc:
        logger.warning("The SMS provider refused %s: %s", notification.pk, exc)
        raise PermanentDeliveryError(str(exc)[:200]) from exc
    except Exception as exc:
        logger.warning("Delivery of %s by %s failed: %s", notification.pk, notification.channel, exc)
        raise TemporaryDeliveryError(str(exc)[:200]) from exc
    return Delivered(provider_reference=reference or "")


def _send_email(notification: Notification, *, unsubscribe_url: str) -> None:
    headers = {}
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the URL.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to],
        headers=headers,
    ).send()
