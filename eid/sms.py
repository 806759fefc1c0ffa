"""Text messages (SMS) behind one client. The console provider is the honest local stand-in.

`SMS_BACKEND` names the provider class; production sets a real one (the notifications issue adds a
provider adapter). The console provider logs the message and keeps it in `outbox` for tests.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("eid.sms")


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


class ConsoleSMSProvider:
    """Prints each message instead of sending it; `outbox` holds what was 'sent' in this process."""

    outbox: list[TextMessage] = []

    def send(self, message: TextMessage) -> None:
        type(self).outbox.append(message)
        logger.warning("SMS to %s: %s", message.to, message.body)


def sms_send(*, to: str, body: str) -> None:
    provider_class = import_string(getattr(settings, "SMS_BACKEND", "eid.sms.ConsoleSMSProvider"))
    provider_class().send(TextMessage(to=to, body=body))
