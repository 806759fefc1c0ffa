"""eid/outbound.py: the one SSRF-safe path for requests to partners' and departments' URLs.

Every refused address class (literal and by name), the URL policy, the connection pinned to the
checked address (DNS rebinding) with TLS still verifying the host name, redirects returned and
not followed, the answer capped, and a deadline on the whole exchange. Each caller has one test of
its own that it refuses a private address (callbacks, eforms webhooks, back-channel logout,
jwks_uri)."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from eid import outbound
from eid.outbound import OutboundError, outbound_request, outbound_target, outbound_url_validate
from tests.receivers import Receiver, self_signed_certificate

PUBLIC = "93.184.216.34"


@pytest.fixture
def production_like(settings: object) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK_HTTP = False


REFUSED = {
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.10": "private",
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "169.254.169.254": "link-local",  # cloud metadata
    "fe80::1": "link-local",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "0.0.0.0": "unspecified",  # noqa: S104 - an address under test, not a bind
    "::": "unspecified",
    "fc00::1": "private",  # unique local
    "::ffff:10.0.0.1": "private",  # IPv4-mapped
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "link-local",
    "2002:a00:1::": "private",  # 6to4 around 10.0.0.1
    "64:ff9b::a9fe:a9fe": "link-local",  # NAT64 to 169.254.169.254
    "100.64.0.1": "not-global",  # carrier-grade NAT
    "192.0.2.1": "private",  # documentation
}


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_each_non_public_address_class_is_refused_as_a_literal_and_by_name(
    address: str, kind: str, fake_dns: dict, production_like: None
) -> None:
    literal = f"[{address}]" if ":" in address else address
    fake_dns["internal.example"] = [address]
    for url in (f"https://{literal}/hook", "https://internal.example/hook"):
        with pytest.raises(OutboundError) as raised:
            outbound_target(url)
        assert raised.value.reason == kind
        assert raised.value.refused


def test_public_addresses_pass_and_the_first_is_the_one_to_connect_to(fake_dns: dict) -> None:
    fake_dns["partner.example"] = [PUBLIC, "2606:4700::1111"]
    target = outbound_target("https://partner.example:8443/hook?x=1")
    assert (target.scheme, target.host, target.port, target.address) == (
        "https",
        "partner.example",
        8443,
        PUBLIC,
    )
    assert target.path == "/hook?x=1"


def test_a_name_with_one_internal_address_among_public_ones_is_refused(fake_dns: dict) -> None:
    fake_dns["mixed.example"] = [PUBLIC, "10.1.2.3"]
    with pytest.raises(OutboundError, match="private"):
        outbound_target("https://mixed.example/")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://public.example/hook", "not-https"),  # http to a public address
        ("gopher://public.example/", "not-https"),
        ("https://nowhere.example/hook", "unresolvable"),
        ("https://user:pass@public.example/hook", "bad-url"),  # credentials in the URL
        ("https://public.example:99999/hook", "bad-url"),  # no such port
        ("not a url", "bad-url"),
        ("http://loopback.public.example/hook", "not-https"),  # http only to localhost or a loopback literal
    ],
)
def test_other_bad_urls_are_refused(url: str, reason: str, fake_dns: dict) -> None:
    fake_dns["public.example"] = [PUBLIC]
    fake_dns["loopback.public.example"] = ["127.0.0.1"]
    with pytest.raises(OutboundError) as raised:
        outbound_target(url)
    assert raised.value.reason == reason and raised.value.refused


def test_loopback_and_plain_http_only_where_the_setting_allows(fake_dns: dict, settings: object) -> None:
    fake_dns["localhost"] = ["127.0.0.1", "::1"]
    assert outbound_target("http://localhost:8100/x").address == "127.0.0.1"
    assert outbound_url_validate("http://[::1]/x") == ("http", "::1", 80)
    # "localhost" that resolves elsewhere does not make plain http acceptable.
    fake_dns["localhost"] = [PUBLIC]
    with pytest.raises(OutboundError, match="not-https"):
        outbound_target("http://localhost/x")
    settings.OUTBOUND_ALLOW_LOOPBACK_HTTP = False  # production settings
    for url, reason in (("http://127.0.0.1/x", "not-https"), ("https://127.0.0.1/x", "loopback")):
        with pytest.raises(OutboundError) as raised:
            outbound_target(url)
        assert raised.value.reason == reason


def test_production_settings_turn_loopback_off() -> None:
    from tests.portal.test_settings import PRODUCTION_ENV, _manage

    code = "from django.conf import settings; print(settings.OUTBOUND_ALLOW_LOOPBACK_HTTP)"
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stdout + result.stderr


def test_a_post_arrives_with_its_body_headers_and_the_host_name() -> None:
    with Receiver(path="/hook?a=1") as receiver:
        response = outbound_request(
            "POST", receiver.url, body=b'{"x":1}', headers={"Content-Type": "application/json"}
        )
    assert response.status == 200 and response.body == b"" and not response.truncated
    (received,) = receiver.requests
    assert (received.method, received.path, received.body) == ("POST", "/hook?a=1", b'{"x":1}')
    assert received.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert received.headers["Content-Type"] == "application/json"


@pytest.fixture
def tls_for(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Serve https with a certificate for a given name, trusted by the outbound TLS context."""
    import ssl

    def serve(name: str) -> Receiver:
        cert, key = self_signed_certificate(tmp_path, name)
        monkeypatch.setattr(outbound, "tls_context", lambda: ssl.create_default_context(cafile=cert))
        return Receiver(tls=(cert, key))

    yield serve


def test_the_connection_goes_to_the_checked_address_not_a_new_lookup(
    tls_for: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is looked up once, checked, and that address is dialled; SNI, the
    certificate and the Host header are for the name."""
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.0.0.1"]

    monkeypatch.setattr(outbound, "resolve_host", rebinding)
    with tls_for("hooks.partner.example") as receiver:
        response = outbound_request("POST", f"https://hooks.partner.example:{receiver.port}/hook", body=b"x")
    assert response.status == 200
    assert lookups == ["hooks.partner.example"]
    (received,) = receiver.requests
    assert received.headers["Host"] == f"hooks.partner.example:{receiver.port}"


def test_tls_to_the_pinned_address_still_verifies_the_host_name(tls_for: object, fake_dns: dict) -> None:
    fake_dns["hooks.partner.example"] = ["127.0.0.1"]
    with tls_for("other.example") as receiver, pytest.raises(OutboundError) as raised:
        outbound_request("POST", f"https://hooks.partner.example:{receiver.port}/hook", body=b"x")
    assert raised.value.reason == "tls" and "certificate" in str(raised.value)
    assert not raised.value.refused  # the network failed, not the URL policy
    assert receiver.requests == []


def test_redirects_are_returned_not_followed() -> None:
    with Receiver() as target, Receiver((302,), headers={"Location": target.url}) as redirecting:
        response = outbound_request("GET", redirecting.url)
    assert response.status == 302 and response.headers["Location"] == target.url
    assert len(redirecting.requests) == 1
    assert target.requests == []


def test_the_answer_is_read_up_to_the_cap() -> None:
    with Receiver(body=b"x" * 5_000_000) as receiver:
        started = time.monotonic()
        response = outbound_request("GET", receiver.url, max_bytes=4096)
        assert time.monotonic() - started < 2
    assert response.truncated and response.body == b"x" * 4096
    with Receiver(body=b"y" * 4096) as receiver:
        response = outbound_request("GET", receiver.url, max_bytes=4096)
    assert not response.truncated and len(response.body) == 4096


@pytest.fixture
def raw_server() -> Iterator[tuple[socket.socket, list[bytes]]]:
    """A listening socket whose accepted connections get `script` (bytes, with a pause between)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    script: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                for chunk in script:
                    if stop.is_set():
                        break
                    try:
                        connection.sendall(chunk)
                    except OSError:
                        break
                    time.sleep(0.2)
                stop.wait(5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener, script
    stop.set()
    thread.join(2)
    listener.close()


def test_a_silent_receiver_times_out(raw_server: tuple) -> None:
    listener, _script = raw_server  # accepts, never answers
    started = time.monotonic()
    with pytest.raises(OutboundError) as raised:
        outbound_request("POST", f"http://127.0.0.1:{listener.getsockname()[1]}/hook", body=b"x", timeout=0.5)
    assert raised.value.reason == "timeout" and not raised.value.refused
    assert time.monotonic() - started < 2


def test_a_receiver_dripping_its_answer_cannot_outlast_the_deadline(raw_server: tuple) -> None:
    listener, script = raw_server
    script.append(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    script.extend([b"x"] * 100)  # one byte every 0.2 s, each within the socket timeout
    started = time.monotonic()
    with pytest.raises(OutboundError, match="timeout"):
        outbound_request(
            "GET", f"http://127.0.0.1:{listener.getsockname()[1]}/jwks", timeout=1, max_bytes=65536
        )
    assert time.monotonic() - started < 2.5


def test_a_closed_port_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OutboundError) as raised:
        outbound_request("GET", f"http://127.0.0.1:{port}/")
    assert raised.value.reason == "connection" and not raised.value.refused
