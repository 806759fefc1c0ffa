"""The Twilio SMS adapter against a local fake of Twilio's Messages API, and Twilio's signed delivery
receipts moving a message from "sending" to its final status."""

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.test import Client

from eid.sms import SMSPermanentError, SMSTemporaryError, TextMessage
from eid.sms_twilio import TwilioSMSProvider, twilio_signature
from services.notifications import actions
from services.notifications.models import Notification, Status
from tests.services.notifications.conftest import PERSONALISATION

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "test-auth-token-not-a-real-one"
SENDER = "+85250000000"
INVALID_NUMBER = "+85290000000"
STATUS_URL = "/api/v1/notifications/sms/status/"


class FakeTwilio:
    """Twilio's Messages endpoint on 127.0.0.1 (a free port): checks Basic auth and the form, answers
    with Twilio's JSON shapes. `answers` forces a status (429, 500) on the next requests, in turn."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.answers: list[int] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = {
                    name: values[0]
                    for name, values in parse_qs(
                        self.rfile.read(int(self.headers["Content-Length"])).decode()
                    ).items()
                }
                fake.requests.append(form)
                answer = fake.answers.pop(0) if fake.answers else None
                expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
                if self.path != f"/2010-04-01/Accounts/{SID}/Messages.json":
                    self.reply(404, {"code": 20404, "message": "The requested resource was not found"})
                elif self.headers.get("Authorization") != expected_auth:
                    self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                elif answer == 429:
                    self.reply(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
                elif answer:
                    self.reply(answer, {"code": 20500, "message": "Internal Server Error"})
                elif self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                    self.reply(400, {"code": 21000, "message": "Not a form", "status": 400})
                elif not form.get("Body") or form.get("From") != SENDER:
                    self.reply(400, {"code": 21602, "message": "Message body is required.", "status": 400})
                elif form.get("To") == INVALID_NUMBER:
                    message = f"The 'To' number {INVALID_NUMBER} is not a valid phone number."
                    self.reply(400, {"code": 21211, "message": message, "status": 400})
                else:
                    sid = f"SM{len(fake.requests):032x}"
                    self.reply(
                        201,
                        {
                            "sid": sid,
                            "account_sid": SID,
                            "status": "queued",
                            "to": form["To"],
                            "body": form["Body"],
                        },
                    )

            def reply(self, status: int, document: dict) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def twilio(settings: object) -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.thread.start()
    settings.SMS_BACKEND = "eid.sms_twilio.TwilioSMSProvider"
    settings.TWILIO_API_BASE = fake.base
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM = SENDER
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def send_sms(template: object, number: str, capture: object) -> Notification:
    with capture(execute=True):
        (notification,) = actions.notification_send(
            template=template, recipient=number, personalisation=PERSONALISATION
        )
    notification.refresh_from_db()
    return notification


def receipt(client: Client, settings: object, params: dict[str, str], *, token: str = TOKEN) -> int:
    url = settings.SITE_URL + STATUS_URL
    signature = twilio_signature(auth_token=token, url=url, params=params)
    return client.post(STATUS_URL, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code


def test_the_signature_matches_twilios_published_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(auth_token="12345", url=url, params=params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_message_is_posted_with_basic_auth_and_twilios_form_fields(twilio: FakeTwilio) -> None:
    sid = TwilioSMSProvider().send(
        TextMessage(to="+85291234567", body="Hello 你好", status_callback="https://portal.example/cb")
    )
    assert sid.startswith("SM")
    (form,) = twilio.requests
    assert form == {
        "To": "+85291234567",
        "From": SENDER,
        "Body": "Hello 你好",
        "StatusCallback": "https://portal.example/cb",
    }


@pytest.mark.parametrize(
    ("answer", "error"),
    [(429, SMSTemporaryError), (500, SMSTemporaryError), (503, SMSTemporaryError)],
)
def test_rate_limits_and_server_errors_are_temporary(
    twilio: FakeTwilio, answer: int, error: type[Exception]
) -> None:
    twilio.answers = [answer]
    with pytest.raises(error, match=str(answer)):
        TwilioSMSProvider().send(TextMessage(to="+85291234567", body="x"))


def test_an_invalid_number_is_permanent_and_names_twilios_error(twilio: FakeTwilio) -> None:
    with pytest.raises(SMSPermanentError, match="21211"):
        TwilioSMSProvider().send(TextMessage(to=INVALID_NUMBER, body="x"))


def test_wrong_credentials_are_temporary_not_the_numbers_fault(twilio: FakeTwilio, settings: object) -> None:
    settings.TWILIO_AUTH_TOKEN = "wrong"
    with pytest.raises(SMSTemporaryError, match="401"):
        TwilioSMSProvider().send(TextMessage(to="+85291234567", body="x"))


def test_an_unreachable_provider_is_temporary(twilio: FakeTwilio, settings: object) -> None:
    twilio.server.shutdown()
    twilio.server.server_close()
    with pytest.raises(SMSTemporaryError, match="unreachable"):
        TwilioSMSProvider().send(TextMessage(to="+85291234567", body="x"))


def test_missing_settings_are_a_configuration_error(settings: object) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(ImproperlyConfigured, match="TWILIO_ACCOUNT_SID"):
        TwilioSMSProvider().send(TextMessage(to="+85291234567", body="x"))


def test_a_sent_sms_waits_in_sending_until_twilios_signed_receipt(
    twilio: FakeTwilio,
    permit_template: object,
    settings: object,
    client: Client,
    django_capture_on_commit_callbacks: object,
) -> None:
    notification = send_sms(permit_template, "9123 4567", django_capture_on_commit_callbacks)
    (form,) = twilio.requests
    assert form["To"] == "+85291234567" and "P-1234" in form["Body"]
    assert form["StatusCallback"] == settings.SITE_URL + STATUS_URL
    assert notification.status == Status.SENDING and notification.provider_reference.startswith("SM")
    params = {
        "AccountSid": SID,
        "MessageSid": notification.provider_reference,
        "MessageStatus": "sent",
        "To": "+85291234567",
    }
    # "sent" is on the way: nothing changes. A forged or tampered receipt is refused.
    assert receipt(client, settings, params) == 204
    assert receipt(client, settings, {**params, "MessageStatus": "delivered"}, token="forged") == 403
    signature = twilio_signature(auth_token=TOKEN, url=settings.SITE_URL + STATUS_URL, params=params)
    tampered = client.post(
        STATUS_URL, {**params, "MessageStatus": "failed"}, HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert tampered.status_code == 403
    assert client.post(STATUS_URL, params).status_code == 403  # no signature
    notification.refresh_from_db()
    assert notification.status == Status.SENDING
    # Twilio's receipt: delivered. A late "failed" for the same message changes nothing.
    assert receipt(client, settings, {**params, "MessageStatus": "delivered"}) == 204
    assert receipt(client, settings, {**params, "MessageStatus": "failed", "ErrorCode": "30008"}) == 204
    notification.refresh_from_db()
    assert notification.status == Status.DELIVERED and notification.completed_at is not None


@pytest.mark.parametrize(
    ("twilio_status", "status"),
    [("failed", Status.PERMANENT_FAILURE), ("undelivered", Status.TEMPORARY_FAILURE)],
)
def test_a_failed_receipt_is_recorded_with_twilios_error_code(
    twilio: FakeTwilio,
    permit_template: object,
    settings: object,
    client: Client,
    django_capture_on_commit_callbacks: object,
    twilio_status: str,
    status: str,
) -> None:
    notification = send_sms(permit_template, "9123 4567", django_capture_on_commit_callbacks)
    params = {
        "AccountSid": SID,
        "MessageSid": notification.provider_reference,
        "MessageStatus": twilio_status,
        "ErrorCode": "30003",
    }
    assert receipt(client, settings, params) == 204
    notification.refresh_from_db()
    assert notification.status == status and "30003" in notification.failure_reason


def test_a_receipt_from_another_account_or_for_an_unknown_message(
    twilio: FakeTwilio, settings: object, client: Client, db: None
) -> None:
    params = {"AccountSid": "AC-someone-else", "MessageSid": "SM1", "MessageStatus": "delivered"}
    assert receipt(client, settings, params) == 403
    assert receipt(client, settings, {**params, "AccountSid": SID}) == 204  # unknown: acknowledged
    assert client.get(STATUS_URL).status_code == 405


def test_with_the_console_provider_receipts_are_refused(settings: object, client: Client, db: None) -> None:
    assert receipt(client, settings, {"AccountSid": SID, "MessageSid": "SM1"}) == 403


def test_an_invalid_number_fails_permanently_without_retries(
    twilio: FakeTwilio, permit_template: object, django_capture_on_commit_callbacks: object
) -> None:
    notification = send_sms(permit_template, INVALID_NUMBER, django_capture_on_commit_callbacks)
    assert notification.status == Status.PERMANENT_FAILURE
    assert "21211" in notification.failure_reason
    assert notification.attempts == 1 and len(twilio.requests) == 1


def test_twilio_down_is_retried_then_delivered(
    twilio: FakeTwilio, permit_template: object, django_capture_on_commit_callbacks: object
) -> None:
    """A 5xx or a 429 is a temporary failure; the retries (eager here, with backoff on a worker) send it."""
    twilio.answers = [500, 429]
    notification = send_sms(permit_template, "9123 4567", django_capture_on_commit_callbacks)
    assert len(twilio.requests) == 3
    assert notification.status == Status.SENDING and notification.provider_reference


def test_the_sweeper_never_resends_an_sms_the_provider_accepted(
    twilio: FakeTwilio, permit_template: object, django_capture_on_commit_callbacks: object
) -> None:
    """Accepted by Twilio and awaiting its receipt is not "stuck": sending again would duplicate it."""
    from datetime import timedelta

    from django.utils import timezone

    notification = send_sms(permit_template, "9123 4567", django_capture_on_commit_callbacks)
    Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now() - timedelta(hours=2))
    assert actions.notifications_sweep(stuck_after_minutes=15) == {"due": [], "stuck": []}
