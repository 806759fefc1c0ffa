"""The webhook to a department's system on each new submission: signed (HMAC-SHA256 over the
timestamp and the body), delivered by a Celery task that retries with backoff, through the
notifications callbacks' SSRF-safe path; the secret is stored encrypted."""

import hashlib
import hmac
import json

import pytest

from eid.public import ApplicationError
from services.eforms import actions, webhooks
from services.eforms.models import DepartmentWebhook
from tests.receivers import Receiver
from tests.services.eforms.case_helpers import make_submission

SECRET = "a-long-department-secret-123"


def _verify(headers: dict, body: bytes) -> bool:
    """What the department's system does: recompute the HMAC over "<timestamp>.<body>"."""
    timestamp = headers["X-Eforms-Timestamp"]
    expected = (
        "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, headers["X-Eforms-Signature"])


def test_new_submission_is_posted_signed_and_retried_after_a_503(
    parking, applicant, transport, django_capture_on_commit_callbacks
):
    with Receiver((503, 200)) as receiver:
        webhooks.webhook_set(department=transport, url=receiver.url, secret=SECRET, by=None)
        submission = make_submission(parking, applicant)
        with django_capture_on_commit_callbacks(execute=True):
            actions._notify_submitted(submission)  # what submitting (or paying) calls after the commit

    assert len(receiver.requests) == 2  # the 503, then the retry
    assert DepartmentWebhook.objects.get(department=transport).last_result == "sent"
    _first, second = receiver.requests
    for request in receiver.requests:
        assert _verify(request.headers, request.body)
        assert webhooks.verify(
            SECRET,
            request.headers["X-Eforms-Timestamp"],
            request.body,
            request.headers["X-Eforms-Signature"],
        )
    payload = json.loads(second.body)
    assert payload["event"] == "submission.created"
    assert payload["reference"] == submission.reference
    assert payload["id"] == str(submission.public_id)
    assert payload["url"].startswith("/api/v1/eforms/submissions/")
    assert "answers" not in payload  # fetched through the authenticated API
    # A tampered body or another secret does not verify.
    assert not _verify(second.headers, second.body.replace(b"submission", b"Submission"))
    assert not webhooks.verify(
        "another-secret-entirely",
        second.headers["X-Eforms-Timestamp"],
        second.body,
        second.headers["X-Eforms-Signature"],
    )


def test_an_old_timestamp_does_not_verify():
    body = b"{}"
    old = "1000000000"
    assert not webhooks.verify(SECRET, old, body, webhooks.sign(SECRET, old, body))


def test_retries_stop_after_the_limit(parking, applicant, transport):
    with Receiver((500,)) as receiver:
        webhooks.webhook_set(department=transport, url=receiver.url, secret=SECRET, by=None)
        submission = make_submission(parking, applicant)
        result = webhooks.webhook_deliver_task.delay(submission.pk).get()
    assert result == "failed"
    assert len(receiver.requests) == webhooks.MAX_RETRIES + 1
    assert DepartmentWebhook.objects.get(department=transport).last_result == "failed: HTTP 500"


def test_no_webhook_no_post(parking, applicant):
    submission = make_submission(parking, applicant)
    assert webhooks.webhook_deliver(submission_id=submission.pk) == "skipped"


def test_secret_is_stored_encrypted(transport):
    webhooks.webhook_set(department=transport, url="https://8.8.8.8/hook", secret=SECRET, by=None)
    stored = DepartmentWebhook.objects.get(department=transport)
    assert SECRET not in stored.secret
    assert webhooks.secret_decrypt(stored.secret) == SECRET


@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.7/hook", "https://169.254.169.254/latest", "http://8.8.8.8/hook", "ftp://example.com/x"],
)
def test_internal_or_plain_http_addresses_are_refused_at_registration(transport, url):
    with pytest.raises(ApplicationError):
        webhooks.webhook_set(department=transport, url=url, secret=SECRET, by=None)
    assert not DepartmentWebhook.objects.exists()


def test_loopback_refused_outside_development(transport, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(ApplicationError):
        webhooks.webhook_set(department=transport, url="https://127.0.0.1/hook", secret=SECRET, by=None)


def test_a_name_that_now_resolves_inside_is_refused_at_send(parking, applicant, transport, monkeypatch):
    from eid import outbound

    monkeypatch.setattr(outbound, "resolve_host", lambda host, port: ["93.184.216.34"])
    webhooks.webhook_set(department=transport, url="https://permits.example/hook", secret=SECRET, by=None)
    monkeypatch.setattr(outbound, "resolve_host", lambda host, port: ["10.1.2.3"])  # DNS rebinding
    submission = make_submission(parking, applicant)
    assert webhooks.webhook_deliver(submission_id=submission.pk) == "refused"


def test_short_secret_refused(transport):
    with pytest.raises(ApplicationError):
        webhooks.webhook_set(department=transport, url="https://8.8.8.8/hook", secret="short", by=None)
