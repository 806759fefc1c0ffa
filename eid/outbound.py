"""Outbound HTTP to URLs that partners and departments choose, without becoming a way into the
portal's own network (SSRF).

One path for every such request (back-channel logout, a client's jwks_uri, notification callbacks,
eforms webhooks):
- the URL is https (plain http only to a loopback host, and only where OUTBOUND_ALLOW_LOOPBACK_HTTP
  is on: dev and tests; production settings turn it off), without credentials;
- the host is resolved once and every address must be public: no private, loopback, link-local,
  multicast, reserved or unspecified address, IPv4 or IPv6, IPv4-mapped / 6to4 / NAT64 included;
- the connection goes to the very address that was checked (a DNS answer that changes in between,
  "DNS rebinding", cannot redirect it), and TLS still sends SNI for and verifies the real host name;
- redirects are never followed (the 3xx comes back to the caller), the whole exchange has a
  deadline, and at most `max_bytes` of the answer are read.
Anything that goes wrong is an OutboundError with a short `reason`; `refused` says whether the URL
itself is not allowed (nothing was sent) rather than the network failing.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 4096
LOOPBACK_NAMES = frozenset({"localhost"})
# NAT64 (RFC 6052): 64:ff9b::a.b.c.d reaches the IPv4 address a.b.c.d through a gateway.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Reasons of an OutboundError raised after the request may have left (the network, not the URL).
NETWORK_REASONS = frozenset({"timeout", "connection", "tls", "protocol"})


class OutboundError(Exception):
    """An outbound request refused or failed; `reason` is a short code (e.g. "private", "not-https",
    "unresolvable", "timeout", "tls"), `detail` a longer text for logs."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    @property
    def refused(self) -> bool:
        """True when the URL or its address is not allowed (permanent: nothing was sent)."""
        return self.reason not in NETWORK_REASONS


@dataclass(frozen=True)
class OutboundTarget:
    """A checked URL: connect to `address`, speak to `host` (Host header, SNI, certificate)."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool  # the answer was longer than max_bytes; `body` is its first max_bytes


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK_HTTP", False))


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a seam for tests)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def tls_context() -> ssl.SSLContext:
    """The client TLS context: system CAs, host name checked (a seam for tests)."""
    return ssl.create_default_context()


def address_refusal(address: IPAddress) -> str | None:
    """Why an outbound request may not go to this address, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:10.0.0.1, 2002:0a00:0001:: and 64:ff9b::10.0.0.1 reach an IPv4 address: judge that one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(embedded)
    if address.is_loopback:
        return None if _loopback_allowed() else "loopback"
    for reason in ("unspecified", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{reason}"):
            return reason.replace("_", "-")
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking ranges…
        return "not-global"
    return None


def _is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def outbound_url_validate(url: str) -> tuple[str, str, int]:
    """The URL policy without a DNS lookup (for forms; the send checks the addresses):
    (scheme, host, port). https; http only to localhost or a loopback literal where allowed."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise OutboundError("bad-url", str(exc)) from None
    host = parts.hostname or ""
    if not host or scheme not in ("https", "http"):
        raise OutboundError("not-https" if host else "bad-url")
    if parts.username is not None or parts.password is not None:
        raise OutboundError("bad-url", "credentials in the URL")
    if scheme == "http" and not (_loopback_allowed() and _is_loopback_host(host)):
        raise OutboundError("not-https")
    return scheme, host, port


def outbound_target(url: str) -> OutboundTarget:
    """Check the URL, resolve its host once and check every address; the address to connect to."""
    scheme, host, port = outbound_url_validate(url)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = resolve_host(host, port)
            addresses = [ipaddress.ip_address(address.split("%")[0]) for address in found]
        except (OSError, UnicodeError, ValueError) as exc:
            raise OutboundError("unresolvable", str(exc)) from None
    if not addresses:
        raise OutboundError("unresolvable")
    # Every address must pass: a name that also resolves to an internal one is refused outright.
    for address in addresses:
        if reason := address_refusal(address):
            raise OutboundError(reason, f"{host} resolves to {address}")
    if scheme == "http" and not all(address.is_loopback for address in addresses):
        raise OutboundError("not-https")
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return OutboundTarget(scheme=scheme, host=host, port=port, address=str(addresses[0]), path=path)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name resolves to now."""

    def __init__(self, target: OutboundTarget, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address; SNI and the certificate check are for the host name."""

    def __init__(self, target: OutboundTarget, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=tls_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _read_capped(
    connection: http.client.HTTPConnection,
    response: http.client.HTTPResponse,
    max_bytes: int,
    deadline: float,
) -> tuple[bytes, bool]:
    """At most max_bytes of the body; True if there was more. read1 returns after one socket read,
    so a receiver dripping bytes cannot outlast the deadline."""
    body = bytearray()
    while len(body) <= max_bytes:
        if connection.sock is not None:
            connection.sock.settimeout(_remaining(deadline))
        chunk = response.read1(min(64 * 1024, max_bytes + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    return bytes(body[:max_bytes]), len(body) > max_bytes


def outbound_request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> OutboundResponse:
    """One request along the SSRF-safe path. Redirects are returned, never followed; the whole
    exchange (connect, TLS, send, answer) must end within `timeout` seconds.

    Raises OutboundError: `refused` for a URL or address that is not allowed, else a network reason.
    """
    target = outbound_target(url)
    deadline = time.monotonic() + timeout
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request(method, target.path, body=body, headers=headers or {})
        if connection.sock is not None:
            connection.sock.settimeout(_remaining(deadline))
        response = connection.getresponse()
        content, truncated = _read_capped(connection, response, max_bytes, deadline)
        return OutboundResponse(
            status=response.status, headers=dict(response.getheaders()), body=content, truncated=truncated
        )
    except TimeoutError as exc:  # socket.timeout is TimeoutError
        raise OutboundError("timeout", str(exc)) from None
    except ssl.SSLError as exc:  # includes certificate and host name verification
        raise OutboundError("tls", str(exc)[:200]) from None
    except http.client.HTTPException as exc:
        raise OutboundError("protocol", str(exc)[:200] or type(exc).__name__) from None
    except OSError as exc:
        raise OutboundError("connection", str(exc)[:200] or type(exc).__name__) from None
    finally:
        connection.close()
