"""Text messages (SMS) behind one client. The console provider is the honest local stand-in.

`SMS_BACKEND` names the provider class (console by default; `eid.sms_twilio.TwilioSMSProvider` is the
real one). The interface a provider implements:

- `send(message) -> str | None`: hands the message over, returning the provider's message id when
  the provider will confirm delivery later through a status callback (None: accepted as final).
  Raises `SMSPermanentError` when sending again can never work (an invalid number) and anything
  else (`SMSTemporaryError`, a network error) when it may.
- optionally `status_from_callback(*, url, params, headers) -> SMSStatus | None`: verifies and reads
  the provider's delivery receipt (a signed request); None when it is not authentic.
"""

import logging
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("eid.sms")


class SMSPermanentError(Exception):
    """The provider refused the message for good (an invalid or unreachable number)."""


class SMSTemporaryError(Exception):
    """The provider could not take the message now (rate limited, down, unreachable)."""


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str
    # Where the provider should report the delivery receipt; empty for none.
    status_callback: str = ""


@dataclass(frozen=True)
class SMSStatus:
    """A provider's delivery receipt: which message, and whether it reached the phone."""

    reference: str
    outcome: Literal["delivered", "permanent-failure", "temporary-failure", "pending"]
    reason: str = ""


class ConsoleSMSProvider:
    """Prints each message instead of sending it; `outbox` holds what was 'sent' in this process."""

    outbox: list[TextMessage] = []

    def send(self, message: TextMessage) -> str | None:
        type(self).outbox.append(message)
        logger.warning("SMS to %s: %s", message.to, message.body)
        return None


def _provider() -> object:
    return import_string(getattr(settings, "SMS_BACKEND", "eid.sms.ConsoleSMSProvider"))()


def sms_send(*, to: str, body: str, status_callback: str = "") -> str | None:
    """Send one text message; returns the provider's id when a delivery receipt will follow."""
    return _provider().send(TextMessage(to=to, body=body, status_callback=status_callback))


def sms_status_from_callback(
    *, url: str, params: dict[str, str], headers: dict[str, str]
) -> SMSStatus | None:
    """The configured provider's verified delivery receipt, or None (not authentic, or a provider
    that sends none)."""
    provider = _provider()
    reader = getattr(provider, "status_from_callback", None)
    return reader(url=url, params=params, headers=headers) if reader else None
