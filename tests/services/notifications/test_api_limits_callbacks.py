"""Test keys on live templates, rate limits per key, and signed delivery callbacks to the sender."""

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from eid import outbound
from eid.public import ApplicationError
from services.notifications import actions, callbacks
from services.notifications.models import ApiKey, Broadcast, Notification
from tests.factories import UserFactory
from tests.receivers import Receiver
from tests.services.notifications.conftest import PERSONALISATION, api, body

URL = "/api/v1/notifications/"
SECRET = "s3cret-callback-signing-key"


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Host names resolve to a public address, without asking the network."""
    monkeypatch.setattr(outbound, "resolve_host", lambda host, port: ["93.184.216.34"])


# A test key on a live template ------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["live_only", "legally_required"])
def test_a_test_key_on_a_live_template_is_a_400_and_nothing_is_queued(
    flag: str, make_template: object, test_key: str, live_key: str, resident: object
) -> None:
    make_template(**{flag: True})
    response = api(test_key).post(URL, body(resident), format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "live_template"
    assert "live API key" in response.json()["detail"]
    assert not Notification.objects.exists()
    # The same template with a live key is sent.
    assert api(live_key).post(URL, body(resident), format="json").status_code == 201


def test_a_test_key_cannot_broadcast_a_live_template(make_template: object, test_key: str) -> None:
    make_template(notification_type="closure", topic="closures", live_only=True)
    response = api(test_key).post(
        f"{URL}broadcasts/",
        {"template_id": "closure", "district": "sha-tin", "personalisation": PERSONALISATION},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "live_template"
    assert not Broadcast.objects.exists()


def test_the_python_api_refuses_it_too(make_template: object, resident: object) -> None:
    template = make_template(legally_required=True)
    with pytest.raises(ApplicationError) as raised:
        actions.notification_send(
            template=template, recipient=resident, personalisation=PERSONALISATION, is_test=True
        )
    assert raised.value.code == "live_template"
    assert not Notification.objects.exists()


# Rate limits ------------------------------------------------------------------------------------


def test_a_key_over_its_limit_gets_a_429_with_retry_after(
    permit_template: object, live_key: str, test_key: str, resident: object
) -> None:
    ApiKey.objects.filter(key_type="live").update(rate_limit_per_minute=2)
    for _ in range(2):
        assert api(live_key).post(URL, body(resident), format="json").status_code == 201
    created = Notification.objects.count()
    refused = api(live_key).post(URL, body(resident), format="json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Notification.objects.count() == created
    # Status reads count too, and another key of the department has its own budget.
    assert api(live_key).get(f"{URL}{Notification.objects.first().pk}/").status_code == 429
    assert api(test_key).post(URL, body(resident), format="json").status_code == 201


def test_the_default_limit_comes_from_the_settings(
    settings: object, permit_template: object, live_key: str, resident: object
) -> None:
    settings.NOTIFICATIONS_API_RATE_LIMIT = 1
    assert api(live_key).post(URL, body(resident), format="json").status_code == 201
    assert api(live_key).post(URL, body(resident), format="json").status_code == 429


# Delivery callbacks -----------------------------------------------------------------------------


def verified(headers: dict[str, str], data: bytes) -> dict:
    expected = "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[callbacks.SIGNATURE_HEADER], expected)
    assert headers["Content-Type"] == "application/json"
    return json.loads(data)


def test_each_final_status_is_posted_signed_to_the_callback_url_with_retries(
    permit_template: object, live_key: str, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with Receiver((500, 200)) as receiver:
        callbacks.api_key_callback_set(
            api_key=ApiKey.objects.get(key_type="live"), url=receiver.url, secret=SECRET
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = api(live_key).post(URL, body(resident, reference="case-9"), format="json")
        assert response.status_code == 201
    # Two channels (inbox, email), one refused delivery retried: three requests, all signed.
    assert len(receiver.requests) == 3
    payloads = [verified(request.headers, request.body) for request in receiver.requests]
    ids = {n["id"] for n in response.json()["notifications"]}
    assert {p["id"] for p in payloads} == ids
    assert all(p["status"] == "delivered" and p["reference"] == "case-9" for p in payloads)
    assert payloads[0] == {**payloads[1], "timestamp": payloads[0]["timestamp"]}  # the retry


def test_a_failure_is_posted_and_a_tampered_body_does_not_verify(
    permit_template: object,
    live_key: str,
    django_capture_on_commit_callbacks: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("provider down")

    monkeypatch.setattr("services.notifications.channels.sms_send", broken)
    with Receiver() as receiver:
        callbacks.api_key_callback_set(
            api_key=ApiKey.objects.get(key_type="live"), url=receiver.url, secret=SECRET
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = api(live_key).post(
                URL,
                {
                    "template_id": "permit_ready",
                    "phone_number": "91234567",
                    "personalisation": PERSONALISATION,
                },
                format="json",
            )
        assert response.status_code == 201
    statuses = [verified(request.headers, request.body)["status"] for request in receiver.requests]
    # Each failed attempt is reported, the last one after the retries are spent.
    assert set(statuses) == {"temporary-failure"} and len(statuses) >= 2
    headers, data = receiver.requests[0].headers, receiver.requests[0].body
    with pytest.raises(AssertionError):
        verified(headers, data.replace(b"temporary-failure", b"delivered"))


def test_no_callback_for_the_python_api_or_a_key_without_a_url(
    permit_template: object, live_key: str, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as scheduled:
        api(live_key).post(URL, body(resident), format="json")
    assert not any("callback" in repr(callback) for callback in scheduled)
    assert (
        callbacks.callback_post(notification_id=str(Notification.objects.first().pk), status="delivered")
        == "skipped"
    )


@pytest.mark.parametrize(
    "url",
    ["http://example.org/cb", "ftp://127.0.0.1/cb", "http://10.0.0.1/cb", "not a url"],
)
def test_a_callback_url_must_be_https_or_loopback_in_tests(url: str, live_key: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        callbacks.api_key_callback_set(api_key=ApiKey.objects.get(), url=url, secret=SECRET)
    assert raised.value.code == "invalid_callback_url"


def test_loopback_http_is_refused_outside_dev_and_tests(settings: object, live_key: str) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(ApplicationError):
        callbacks.api_key_callback_set(
            api_key=ApiKey.objects.get(), url="http://127.0.0.1:9/cb", secret=SECRET
        )
    key = callbacks.api_key_callback_set(
        api_key=ApiKey.objects.get(), url="https://td.gov.hk/cb", secret=SECRET
    )
    assert key.callback_url == "https://td.gov.hk/cb"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_posts_the_signed_callback(
    celery_worker_process: str, permit_template: object, live_key: str
) -> None:
    """On PostgreSQL with a broker the worker process delivers and POSTs; eagerly otherwise."""
    import time

    resident = UserFactory()
    with Receiver() as receiver:
        callbacks.api_key_callback_set(
            api_key=ApiKey.objects.get(key_type="live"), url=receiver.url, secret=SECRET
        )
        response = api(live_key).post(URL, body(resident, channels=["inbox"]), format="json")
        assert response.status_code == 201
        deadline = time.monotonic() + 60
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)
    (only,) = [verified(request.headers, request.body) for request in receiver.requests]
    assert only["id"] == response.json()["notifications"][0]["id"] and only["status"] == "delivered"


def test_the_command_sets_a_rate_limit_and_a_callback(transport: object) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "notifications_api_key",
        "td",
        "permit system",
        "--rate-limit=60",
        "--callback-url=https://td.gov.hk/cb",
        f"--callback-secret={SECRET}",
        stdout=out,
    )
    key = ApiKey.objects.get()
    assert out.getvalue().startswith("live-td-")
    assert (key.rate_limit_per_minute, key.callback_url, callbacks.callback_secret(key)) == (
        60,
        "https://td.gov.hk/cb",
        SECRET,
    )
    assert SECRET not in key.callback_secret  # encrypted at rest
    with pytest.raises(CommandError, match="https"):
        call_command("notifications_api_key", "td", "other", "--callback-url=http://example.org/", stdout=out)
    assert ApiKey.objects.count() == 1
