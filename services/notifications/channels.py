"""The three channels behind one module: the inbox, email (Django's backend) and SMS (eid.sms).

A channel raises TemporaryDeliveryError when trying again later may work (provider down, timeout)
and PermanentDeliveryError when it never will (no address).
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage

from eid.public import sms_send
from services.notifications.models import Channel, Message, Notification

logger = logging.getLogger(__name__)


class TemporaryDeliveryError(Exception):
    pass


class PermanentDeliveryError(Exception):
    pass


def deliver(notification: Notification, *, unsubscribe_url: str = "") -> Message | None:
    if notification.channel == Channel.INBOX:
        if notification.recipient is None:
            raise PermanentDeliveryError("no eID account for the inbox")
        return Message.objects.create(
            recipient=notification.recipient,
            department=notification.department,
            subject=notification.subject[:200],
            body=notification.body,
            notification_type=notification.template_version.template.notification_type,
        )
    if not notification.to:
        raise PermanentDeliveryError(f"no {notification.channel} address")
    try:
        if notification.channel == Channel.EMAIL:
            _send_email(notification, unsubscribe_url=unsubscribe_url)
        else:
            sms_send(to=notification.to, body=notification.body)
    except Exception as exc:
        logger.warning("Delivery of %s by %s failed: %s", notification.pk, notification.channel, exc)
        raise TemporaryDeliveryError(str(exc)[:200]) from exc
    return None


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
