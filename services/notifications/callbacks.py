"""Delivery callbacks: a department system hears of each final status of what its key sent.

The body is JSON; `X-Notifications-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body
bytes under the key's callback secret, so the receiver recomputes it before trusting the body. The
body carries `timestamp` (and the notification id and status) so a receiver may refuse replays.

The URL is the sender's to choose, so the portal must not become a way into its own network
(SSRF): https only; the host is resolved and every address must be a public one (no private,
loopback, link-local, multicast, reserved or unspecified address, IPv4 or IPv6, IPv4-mapped
included), checked at registration and again at each send, and the connection goes to the very
address that was checked (a DNS answer that changes in between, "DNS rebinding", cannot redirect
it). Redirects are not followed, timeouts are short and at most RESPONSE_CAP bytes are read.
Loopback (and http to it) only where NOTIFICATIONS_CALLBACK_ALLOW_LOOPBACK_HTTP (dev, tests).
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from eid.public import ApplicationError
from services.notifications.models import ApiKey, Notification, Status
from services.notifications.secrets import secret_decrypt, secret_encrypt

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Notifications-Signature"
CALLBACK_STATUSES = (Status.DELIVERED, Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE)
# The answer is not used: only its status. Reading more would let a receiver fill the worker.
RESPONSE_CAP = 4096

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class CallbackError(Exception):
    """The receiver did not answer 2xx: worth trying again later."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a seam for tests)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_refusal(address: IPAddress) -> str | None:
    """Why a callback may not go to this address, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:10.0.0.1 and the like reach the IPv4 address: judge that one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return address_refusal(embedded)
    if address.is_loopback:
        return None if settings.NOTIFICATIONS_CALLBACK_ALLOW_LOOPBACK_HTTP else "loopback"
    for reason in ("unspecified", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{reason}"):
            return reason.replace("_", "-")
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking ranges…
        return "not-global"
    return None


def _refused(reason: str) -> ApplicationError:
    return ApplicationError(
        _("The callback URL must be a public https address (it resolves to a %(kind)s address).")
        % {"kind": reason},
        code="invalid_callback_url",
    )


def callback_target(url: str) -> tuple[str, str, int, str]:
    """Validate the URL and resolve it: (scheme, host, port, the checked address to connect to)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ApplicationError(
            _("The callback URL must be an https URL."), code="invalid_callback_url"
        ) from exc
    host = parts.hostname or ""
    if not host or parts.scheme not in ("https", "http") or parts.username or parts.password:
        raise ApplicationError(_("The callback URL must be an https URL."), code="invalid_callback_url")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(found.split("%")[0]) for found in resolve_host(host, port)]
        except (OSError, UnicodeError) as exc:
            raise ApplicationError(
                _("The callback URL's host name does not resolve."), code="invalid_callback_url"
            ) from exc
    if not addresses:
        raise ApplicationError(
            _("The callback URL's host name does not resolve."), code="invalid_callback_url"
        )
    # Every address must pass: a name that also resolves to an internal one is refused outright.
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise _refused(reason)
    if parts.scheme == "http" and not all(address.is_loopback for address in addresses):
        raise ApplicationError(_("The callback URL must be an https URL."), code="invalid_callback_url")
    return parts.scheme, host, port, str(addresses[0])


def callback_url_validate(url: str) -> str:
    callback_target(url)
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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate is still verified for the host name (SNI)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    scheme, host, port, address = callback_target(url)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        host, port, address=address, timeout=settings.NOTIFICATIONS_CALLBACK_TIMEOUT
    )
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_CAP)
        return response.status
    finally:
        connection.close()


def signed_post(*, url: str, body: bytes, headers: dict[str, str]) -> str:
    """POST an already signed body to a department's URL along the same SSRF-safe path as the
    callbacks (public reused by other services' webhooks, e.g. services/eforms/webhooks.py).

    Returns "sent", or "refused" when the URL now resolves to a refused address; raises
    CallbackError when the receiver should be tried again (no answer, 3xx, non-2xx)."""
    try:
        answer = _post(url, body, headers)
    except ApplicationError as exc:
        logger.warning("Webhook to %s refused: %s", urlsplit(url).hostname, exc.message)
        return "refused"
    except (OSError, http.client.HTTPException) as exc:
        raise CallbackError(str(exc)[:200] or type(exc).__name__) from exc
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
