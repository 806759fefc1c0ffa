"""Delivery callbacks: a department system hears of each final status of what its key sent.

The body is JSON; `X-Notifications-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body
bytes under the key's callback secret, so the receiver recomputes it before trusting the body. The
body carries `timestamp` (and the notification id and status) so a receiver may refuse replays.

The URL is the sender's to choose, so the portal must not become a way into its own network
(SSRF): it is checked at registration and again at each send, and posted through eid's outbound
path (eid/outbound.py: https, public addresses only, the connection pinned to the checked address,
no redirects, a deadline, at most RESPONSE_CAP bytes of the answer read). Loopback (and http to it)
only where OUTBOUND_ALLOW_LOOPBACK_HTTP is on (dev, tests).
"""

import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from eid.public import ApplicationError, OutboundError, outbound_request, outbound_target
from services.notifications.models import ApiKey, Notification, Status
from services.notifications.secrets import secret_decrypt, secret_encrypt

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Notifications-Signature"
CALLBACK_STATUSES = (Status.DELIVERED, Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE)
# The answer is not used: only its status. Reading more would let a receiver fill the worker.
RESPONSE_CAP = 4096


class CallbackError(Exception):
    """The receiver did not answer 2xx: worth trying again later."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _url_error(error: OutboundError) -> ApplicationError:
    """The registration form's message for a URL the outbound path refuses."""
    if error.reason in ("bad-url", "not-https"):
        message = _("The callback URL must be an https URL.")
    elif error.reason == "unresolvable":
        message = _("The callback URL's host name does not resolve.")
    else:
        message = _(
            "The callback URL must be a public https address (it resolves to a %(kind)s address)."
        ) % {"kind": error.reason}
    return ApplicationError(message, code="invalid_callback_url")


def callback_url_validate(url: str) -> str:
    """The URL is https and resolves to public addresses only (ApplicationError otherwise)."""
    try:
        outbound_target(url)
    except OutboundError as error:
        raise _url_error(error) from None
    return url


def api_key_callback_set(*, api_key: ApiKey, url: str, secret: str) -> ApiKey:
    """Register (or, with an empty URL, remove) the key's callback URL and signing secret, which is
    stored encrypted."""
    if url:
        callback_url_validate(url)
        if len(secret) < 16:
            raise ApplicationError(
                _("The callback secret must be at least 16 characters."), code="invalid_callback_secret"
            )
    api_key.callback_url = url
    api_key.callback_secret = secret_encrypt(secret) if url else ""
    api_key.save(update_fields=["callback_url", "callback_secret"])
    return api_key


def callback_secret(api_key: ApiKey) -> str:
    return secret_decrypt(api_key.callback_secret)


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


def signed_post(*, url: str, body: bytes, headers: dict[str, str]) -> str:
    """POST an already signed body to a department's URL along the same SSRF-safe path as the
    callbacks (public reused by other services' webhooks, e.g. services/eforms/webhooks.py).

    Returns "sent", or "refused" when the URL now resolves to a refused address; raises
    CallbackError when the receiver should be tried again (no answer, 3xx, non-2xx)."""
    try:
        answer = outbound_request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=settings.NOTIFICATIONS_CALLBACK_TIMEOUT,
            max_bytes=RESPONSE_CAP,
        ).status
    except OutboundError as exc:
        if exc.refused:
            logger.warning("Webhook to %s refused: %s", urlsplit(url).hostname, exc)
            return "refused"
        raise CallbackError(str(exc)[:200]) from exc
    if 300 <= answer < 400:
        raise CallbackError(f"HTTP {answer} (redirects are not followed)")
    if not 200 <= answer < 300:
        raise CallbackError(f"HTTP {answer}")
    return "sent"


def callback_post(*, notification_id: str, status: str) -> str:
    """POST one status to the sender's callback URL; raises CallbackError when it should be retried.

    Returns "sent", or "skipped" when there is nothing (left) to tell, or "refused" when the URL
    now resolves to an address callbacks may not go to.
    """
    notification = (
        Notification.objects.select_related("api_key", "template_version__template")
        .filter(pk=notification_id)
        .first()
    )
    api_key = notification.api_key if notification else None
    if api_key is None or not api_key.callback_url or api_key.revoked_at is not None:
        return "skipped"
    secret = callback_secret(api_key)
    if not secret:
        logger.error("The callback secret of API key %s does not decrypt; not posting", api_key.pk)
        return "skipped"
    body = json.dumps(payload(notification, status), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        "User-Agent": "eid-portal-notifications",
    }
    # "refused": resolved to a refused address since it was registered (DNS changed, or rebinding).
    return signed_post(url=api_key.callback_url, body=body, headers=headers)
