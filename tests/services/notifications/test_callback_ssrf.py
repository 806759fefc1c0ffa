"""Delivery callbacks cannot be aimed at the portal's own network (SSRF): every refused address class,
at registration and at send time, the connection pinned to the checked address, no redirects, a
capped answer; and the signing secret encrypted at rest (with a migration for existing rows)."""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from eid.public import ApplicationError
from services.notifications import callbacks
from services.notifications.actions import notification_send
from services.notifications.models import ApiKey, Notification
from services.notifications.secrets import secret_decrypt
from tests.services.notifications.conftest import PERSONALISATION

SECRET = "s3cret-callback-signing-key"
PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A host name → addresses table standing in for DNS (no network); unknown names do not resolve."""
    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    monkeypatch.setattr(callbacks, "resolve_host", resolve)
    return table


@pytest.fixture
def production_like(settings: object) -> None:
    settings.NOTIFICATIONS_CALLBACK_ALLOW_LOOPBACK_HTTP = False


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
    "100.64.0.1": "not-global",  # carrier-grade NAT
}


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_each_non_public_address_class_is_refused_as_a_literal_and_by_name(
    address: str, kind: str, live_key: str, dns: dict, production_like: None
) -> None:
    api_key = ApiKey.objects.get()
    literal = f"[{address}]" if ":" in address else address
    dns["internal.example"] = [address]
    for url in (f"https://{literal}/cb", "https://internal.example/cb"):
        with pytest.raises(ApplicationError) as raised:
            callbacks.api_key_callback_set(api_key=api_key, url=url, secret=SECRET)
        assert raised.value.code == "invalid_callback_url"
        assert f"a {kind} address" in raised.value.message
    api_key.refresh_from_db()
    assert api_key.callback_url == ""


def test_a_name_with_one_internal_address_among_public_ones_is_refused(live_key: str, dns: dict) -> None:
    dns["mixed.example"] = [PUBLIC, "10.1.2.3"]
    with pytest.raises(ApplicationError, match="private"):
        callbacks.api_key_callback_set(
            api_key=ApiKey.objects.get(), url="https://mixed.example/", secret=SECRET
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://public.example/cb",  # http to a public address
        "https://nowhere.example/cb",  # does not resolve
        "https://user:pass@public.example/cb",  # credentials in the URL
        "https://public.example:99999/cb",  # no such port
        "gopher://public.example/",
    ],
)
def test_other_bad_urls_are_refused(url: str, live_key: str, dns: dict) -> None:
    dns["public.example"] = [PUBLIC]
    with pytest.raises(ApplicationError) as raised:
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
    assert raised.value.code == "invalid_callback_url"


def test_a_public_https_url_is_accepted_and_its_secret_stored_encrypted(live_key: str, dns: dict) -> None:
    dns["td.example"] = [PUBLIC, "2606:4700::1111"]
    api_key = callbacks.api_key_callback_set(
        api_key=ApiKey.objects.get(), url="https://td.example/cb", secret=SECRET
    )
    stored = ApiKey.objects.values_list("callback_secret", flat=True).get(pk=api_key.pk)
    assert SECRET not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert callbacks.callback_secret(api_key) == SECRET


class Receiver:
    """An http.server on 127.0.0.1; `handle` decides the answer."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.requests: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(dict(self.headers))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The portal stops reading at its cap and hangs up.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def sent_notification(template: object, resident: object) -> Notification:
    (notification,) = notification_send(
        template=template,
        recipient=resident,
        personalisation=PERSONALISATION,
        channels=["inbox"],
        api_key=ApiKey.objects.get(),
    )
    return notification


def test_the_connection_goes_to_the_checked_address_not_a_new_lookup(
    permit_template: object, live_key: str, resident: object, dns: dict
) -> None:
    """DNS rebinding: the name is looked up once per send, checked, and that address is dialled; the
    Host header still names the host. (Loopback is allowed here, as in dev and tests.)"""
    with Receiver() as receiver:
        dns["callbacks.td.example"] = ["127.0.0.1"]
        url = f"http://callbacks.td.example:{receiver.port}/cb"
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
        notification = sent_notification(permit_template, resident)
        lookups = []
        real = callbacks.resolve_host

        def counting(host: str, port: int) -> list[str]:
            lookups.append(host)
            return real(host, port)

        callbacks.resolve_host = counting
        try:
            assert callbacks.callback_post(notification_id=str(notification.pk), status="delivered") == "sent"
        finally:
            callbacks.resolve_host = real
    assert lookups == ["callbacks.td.example"]
    (headers,) = receiver.requests
    assert headers["Host"] == f"callbacks.td.example:{receiver.port}"


def test_a_name_that_resolves_internally_at_send_time_is_not_contacted(
    permit_template: object, live_key: str, resident: object, dns: dict, settings: object
) -> None:
    dns["td.example"] = [PUBLIC]
    callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url="https://td.example/cb", secret=SECRET)
    notification = sent_notification(permit_template, resident)
    # Rebound since registration: now the metadata service, then loopback in production.
    dns["td.example"] = ["169.254.169.254"]
    assert callbacks.callback_post(notification_id=str(notification.pk), status="delivered") == "refused"
    settings.NOTIFICATIONS_CALLBACK_ALLOW_LOOPBACK_HTTP = False
    dns["td.example"] = ["127.0.0.1"]
    assert callbacks.callback_post(notification_id=str(notification.pk), status="delivered") == "refused"


def test_redirects_are_not_followed(permit_template: object, live_key: str, resident: object) -> None:
    with (
        Receiver() as target,
        Receiver(302, {"Location": f"http://127.0.0.1:{target.port}/internal"}) as redirecting,
    ):
        url = f"http://127.0.0.1:{redirecting.port}/cb"
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
        notification = sent_notification(permit_template, resident)
        with pytest.raises(callbacks.CallbackError, match="redirects are not followed"):
            callbacks.callback_post(notification_id=str(notification.pk), status="delivered")
    assert len(redirecting.requests) == 1
    assert target.requests == []


def test_a_huge_answer_is_not_read_beyond_the_cap(
    permit_template: object, live_key: str, resident: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_sizes = []
    real_read = callbacks.http.client.HTTPResponse.read

    def read(self: object, amount: int | None = None) -> bytes:
        read_sizes.append(amount)
        return real_read(self, amount)

    monkeypatch.setattr(callbacks.http.client.HTTPResponse, "read", read)
    with Receiver(body=b"x" * 5_000_000) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/cb"
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
        notification = sent_notification(permit_template, resident)
        assert callbacks.callback_post(notification_id=str(notification.pk), status="delivered") == "sent"
    assert read_sizes == [callbacks.RESPONSE_CAP]


def test_a_slow_receiver_times_out_quickly(
    permit_template: object, live_key: str, resident: object, settings: object
) -> None:
    import socket
    import time

    settings.NOTIFICATIONS_CALLBACK_TIMEOUT = 0.5
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/cb"
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
        notification = sent_notification(permit_template, resident)
        started = time.monotonic()
        with pytest.raises(callbacks.CallbackError):
            callbacks.callback_post(notification_id=str(notification.pk), status="delivered")
        assert time.monotonic() - started < 3
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_secrets_stored_in_clear() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("notifications", "0006_sms_provider_reference")]
    after = [("notifications", "0007_callback_secret_encrypted")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        apps = executor.loader.project_state(before).apps
        department = apps.get_model("eid", "Department").objects.create(
            code="mig", name_en="M", name_zh_hant="M", name_zh_hans="M"
        )
        apps.get_model("notifications", "ApiKey").objects.create(
            department=department,
            name="old",
            key_type="live",
            prefix="live-mig",
            key_hash="0" * 64,
            callback_url="https://td.example/cb",
            callback_secret=SECRET,
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        ApiKeyAfter = executor.loader.project_state(after).apps.get_model("notifications", "ApiKey")
        stored = ApiKeyAfter.objects.get(prefix="live-mig").callback_secret
        assert stored != SECRET and secret_decrypt(stored) == SECRET
        # Backwards gives the clear secret back.
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        ApiKeyBefore = executor.loader.project_state(before).apps.get_model("notifications", "ApiKey")
        assert ApiKeyBefore.objects.get(prefix="live-mig").callback_secret == SECRET
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _certificate(tmp_path: object, host: str) -> tuple[str, str]:
    """A self-signed certificate for `host` (its own CA), as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{host}.pem", tmp_path / f"{host}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


@pytest.mark.parametrize(("served_for", "ok"), [("callbacks.td.example", True), ("other.example", False)])
def test_https_to_the_pinned_address_still_verifies_the_host_names_certificate(
    served_for: str,
    ok: bool,
    permit_template: object,
    live_key: str,
    resident: object,
    dns: dict,
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The socket goes to the checked address, and TLS (SNI, certificate) is for the host name: a
    certificate for another name is refused."""
    import ssl

    cert, key = _certificate(tmp_path, served_for)
    with Receiver() as receiver:
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert, key)
        receiver.server.socket = server_context.wrap_socket(receiver.server.socket, server_side=True)
        real_context = ssl.create_default_context
        monkeypatch.setattr(callbacks.ssl, "create_default_context", lambda: real_context(cafile=cert))
        dns["callbacks.td.example"] = ["127.0.0.1"]
        url = f"https://callbacks.td.example:{receiver.port}/cb"
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
        notification = sent_notification(permit_template, resident)
        if ok:
            assert callbacks.callback_post(notification_id=str(notification.pk), status="delivered") == "sent"
            (headers,) = receiver.requests
            assert headers["Host"] == f"callbacks.td.example:{receiver.port}"
        else:
            with pytest.raises(callbacks.CallbackError, match="certificate"):
                callbacks.callback_post(notification_id=str(notification.pk), status="delivered")
            assert receiver.requests == []
