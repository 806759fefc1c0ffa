"""Delivery callbacks: a department system hears of each final status of what its key sent.

The body is JSON; `X-Notifications-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body
bytes under the key's callback secret, so the receiver recomputes it before trusting the body. The
body carries `timestamp` (and the notification id and status) so a receiver may refuse replays.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from eid.public import ApplicationError
from services.notifications.models import ApiKey, Notification, Status

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Notifications-Signature"
CALLBACK_STATUSES = (Status.DELIVERED, Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE)


class CallbackError(Exception):
    """The receiver did not answer 2xx: worth trying again later."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def callback_url_validate(url: str) -> str:
    """https only; http only to a loopback address, and only where the settings allow it (dev, tests)."""
    parts = urlsplit(url)
    loopback_http = (
        parts.scheme == "http"
        and settings.NOTIFICATIONS_CALLBACK_ALLOW_LOOPBACK_HTTP
        and _is_loopback(parts.hostname or "")
    )
    if not parts.hostname or (parts.scheme != "https" and not loopback_http):
        raise ApplicationError(_("The callback URL must be an https URL."), code="invalid_callback_url")
    return url


def api_key_callback_set(*, api_key: ApiKey, url: str, secret: str) -> ApiKey:
    """Register (or, with an empty URL, remove) the key's callback URL and signing secret."""
    if url:
        callback_url_validate(url)
        if len(secret) < 16:
            raise ApplicationError(
                _("The callback secret must be at least 16 characters."), code="invalid_callback_secret"
            )
    api_key.callback_url = url
    api_key.callback_secret = secret if url else ""
    api_key.save(update_fields=["callback_url", "callback_secret"])
    return api_key


def payload(notification: Notification, status: str) -> dict:
    return {
        "id": str(notification.pk),
        "reference": notification.reference,
        "channel": notification.channel,
        "status": status,
        "template": {
            "id": str(notification.template_version.template.public_id),
            "version": notification.template_version.version,
        },
        "created_at": notification.created_at.isoformat(),
        "completed_at": notification.completed_at.isoformat() if notification.completed_at else None,
        "failure_reason": notification.failure_reason,
        "test": notification.is_test,
        "timestamp": timezone.now().isoformat(),
    }


def callback_post(*, notification_id: str, status: str) -> str:
    """POST one status to the sender's callback URL; raises CallbackError when it should be retried.

    Returns "sent", or "skipped" when there is nothing (left) to tell.
    """
    notification = (
        Notification.objects.select_related("api_key", "template_version__template")
        .filter(pk=notification_id)
        .first()
    )
    api_key = notification.api_key if notification else None
    if api_key is None or not api_key.callback_url or api_key.revoked_at is not None:
        return "skipped"
    body = json.dumps(payload(notification, status), separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked: https, or loopback http
        callback_url_validate(api_key.callback_url),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(api_key.callback_secret, body),
            "User-Agent": "eid-portal-notifications",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFICATIONS_CALLBACK_TIMEOUT) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise CallbackError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CallbackError(str(exc)[:200]) from exc
    return "sent"
