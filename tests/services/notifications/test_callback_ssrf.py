"""Delivery callbacks cannot be aimed at the portal's own network (SSRF): the URL is checked at
registration and again at each send through eid/outbound.py (whose own tests, tests/eid/test_outbound.py,
cover every refused address class, rebinding, redirects, the cap and TLS); here what callbacks make of
it (messages, "refused", retries), and the signing secret encrypted at rest (with a migration)."""

import socket
import time

import pytest

from eid.public import ApplicationError
from services.notifications import callbacks
from services.notifications.actions import notification_send
from services.notifications.models import ApiKey, Notification
from services.notifications.secrets import secret_decrypt
from tests.receivers import Receiver
from tests.services.notifications.conftest import PERSONALISATION

SECRET = "s3cret-callback-signing-key"
PUBLIC = "93.184.216.34"


@pytest.fixture
def production_like(settings: object) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK_HTTP = False


@pytest.mark.parametrize(("address", "kind"), [("10.0.0.1", "private"), ("169.254.169.254", "link-local")])
def test_a_private_address_is_refused_at_registration(
    address: str, kind: str, live_key: str, fake_dns: dict, production_like: None
) -> None:
    api_key = ApiKey.objects.get()
    fake_dns["internal.example"] = [address]
    for url in (f"https://{address}/cb", "https://internal.example/cb"):
        with pytest.raises(ApplicationError) as raised:
            callbacks.api_key_callback_set(api_key=api_key, url=url, secret=SECRET)
        assert raised.value.code == "invalid_callback_url"
        assert f"a {kind} address" in raised.value.message
    api_key.refresh_from_db()
    assert api_key.callback_url == ""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://public.example/cb", "must be an https URL"),
        ("https://user:pass@public.example/cb", "must be an https URL"),
        ("gopher://public.example/", "must be an https URL"),
        ("https://nowhere.example/cb", "does not resolve"),
    ],
)
def test_other_bad_urls_are_refused_with_their_message(
    url: str, message: str, live_key: str, fake_dns: dict
) -> None:
    fake_dns["public.example"] = [PUBLIC]
    with pytest.raises(ApplicationError) as raised:
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
    assert raised.value.code == "invalid_callback_url" and message in raised.value.message


def test_a_public_https_url_is_accepted_and_its_secret_stored_encrypted(
    live_key: str, fake_dns: dict
) -> None:
    fake_dns["td.example"] = [PUBLIC, "2606:4700::1111"]
    api_key = callbacks.api_key_callback_set(
        api_key=ApiKey.objects.get(), url="https://td.example/cb", secret=SECRET
    )
    stored = ApiKey.objects.values_list("callback_secret", flat=True).get(pk=api_key.pk)
    assert SECRET not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert callbacks.callback_secret(api_key) == SECRET


def sent_notification(template: object, resident: object) -> Notification:
    (notification,) = notification_send(
        template=template,
        recipient=resident,
        personalisation=PERSONALISATION,
        channels=["inbox"],
        api_key=ApiKey.objects.get(),
    )
    return notification


def test_a_callback_to_a_name_that_now_resolves_internally_is_refused_not_sent(
    permit_template: object, live_key: str, resident: object, fake_dns: dict, settings: object
) -> None:
    fake_dns["td.example"] = [PUBLIC]
    callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url="https://td.example/cb", secret=SECRET)
    notification = sent_notification(permit_template, resident)
    # Rebound since registration: now the metadata service, then loopback in production.
    fake_dns["td.example"] = ["169.254.169.254"]
    assert callbacks.callback_post(notification_id=str(notification.pk), status="delivered") == "refused"
    settings.OUTBOUND_ALLOW_LOOPBACK_HTTP = False
    fake_dns["td.example"] = ["127.0.0.1"]
    assert callbacks.callback_post(notification_id=str(notification.pk), status="delivered") == "refused"


def test_a_redirect_is_retried_later_not_followed(
    permit_template: object, live_key: str, resident: object
) -> None:
    with Receiver() as target, Receiver((302,), headers={"Location": target.url}) as redirecting:
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=redirecting.url, secret=SECRET)
        notification = sent_notification(permit_template, resident)
        with pytest.raises(callbacks.CallbackError, match="redirects are not followed"):
            callbacks.callback_post(notification_id=str(notification.pk), status="delivered")
    assert len(redirecting.requests) == 1
    assert target.requests == []


def test_a_slow_receiver_times_out_quickly_and_is_retried(
    permit_template: object, live_key: str, resident: object, settings: object
) -> None:
    settings.NOTIFICATIONS_CALLBACK_TIMEOUT = 0.5
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/cb"
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
        notification = sent_notification(permit_template, resident)
        started = time.monotonic()
        with pytest.raises(callbacks.CallbackError, match="timeout"):
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
