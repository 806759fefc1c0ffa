"""The webhook to a department's own system on each new submission.

The department registers a URL and a signing secret (stored Fernet-encrypted, as the notifications
callback secrets are). Each new case is POSTed as JSON with

    X-Eforms-Timestamp: <unix seconds>
    X-Eforms-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body bytes>" under the secret>

so the receiver recomputes the HMAC over the timestamp and the exact body, compares in constant
time, and refuses old timestamps (replays). Delivery goes through the notifications callbacks'
signed_post, that is eid's SSRF-safe outbound path (eid/outbound.py: public https addresses only,
checked at registration and at each send, pinned connection, no redirects, capped answer), and is
retried by Celery with exponential backoff. At least once: a receiver de-duplicates by `id`.
"""

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from celery import shared_task
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from eid.public import ApplicationError, Department, User, audit_log
from services.eforms.models import DepartmentWebhook, Submission
from services.notifications.public import (
    CallbackError,
    callback_url_validate,
    secret_decrypt,
    secret_encrypt,
    signed_post,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Eforms-Signature"
TIMESTAMP_HEADER = "X-Eforms-Timestamp"
EVENT_HEADER = "X-Eforms-Event"
MAX_RETRIES = 6
MIN_SECRET = 16


def retry_countdown(retries: int) -> int:
    """Exponential backoff: 30 s, 1, 2, 4, 8, 16 min."""
    return 30 * 2**retries


def webhook_for(*, department: Department) -> DepartmentWebhook | None:
    return DepartmentWebhook.objects.filter(department=department).first()


def webhook_set(
    *, department: Department, url: str, secret: str, by: User | None, request: HttpRequest | None = None
) -> DepartmentWebhook | None:
    """Register (or, with an empty URL, remove) the department's webhook. A new URL needs a new
    secret; keeping the URL and leaving the secret empty keeps the stored one."""
    current = webhook_for(department=department)
    with transaction.atomic():
        if not url:
            if current is not None:
                current.delete()
            audit_log(
                event_type="eforms.webhook_removed",
                actor=by,
                request=request,
                data={"department": department.code},
            )
            return None
        callback_url_validate(url)
        if secret and len(secret) < MIN_SECRET:
            raise ApplicationError(
                _("The signing secret must be at least %(count)s characters.") % {"count": MIN_SECRET},
                code="invalid_secret",
            )
        if not secret and (current is None or current.url != url):
            raise ApplicationError(_("Give a signing secret for the new URL."), code="invalid_secret")
        webhook = current or DepartmentWebhook(department=department)
        webhook.url = url
        if secret:
            webhook.secret = secret_encrypt(secret)
        webhook.active = True
        webhook.updated_by = by
        webhook.save()
        audit_log(
            event_type="eforms.webhook_set",
            actor=by,
            request=request,
            data={"department": department.code, "url": url, "secret_changed": bool(secret)},
        )
    return webhook


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (kept here for tests and the documentation)."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload(submission: Submission) -> dict[str, Any]:
    return {
        "event": "submission.created",
        "id": str(submission.public_id),
        "reference": submission.reference,
        "form": submission.form.slug,
        "form_id": str(submission.form.public_id),
        "version": submission.version.number,
        "status": submission.status,
        "submitted_at": submission.submitted_at.isoformat() if submission.submitted_at else None,
        # The system fetches the answers through the API (authenticated), not from the webhook.
        "url": reverse("eforms_api:submission", kwargs={"submission_id": submission.public_id}),
        "sent_at": timezone.now().isoformat(),
    }


def webhook_deliver(*, submission_id: int) -> str:
    """POST one submission to its department's webhook: "sent", "skipped" (no webhook), "refused"
    (the URL now resolves to a refused address); raises CallbackError to be retried."""
    submission = (
        Submission.objects.select_related("form", "version", "department").filter(pk=submission_id).first()
    )
    if submission is None:
        return "skipped"
    webhook = DepartmentWebhook.objects.filter(department_id=submission.department_id, active=True).first()
    if webhook is None:
        return "skipped"
    secret = secret_decrypt(webhook.secret)
    if not secret:
        logger.error(
            "The webhook secret of department %s does not decrypt; not posting", submission.department_id
        )
        return "skipped"
    body = json.dumps(payload(submission), separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        EVENT_HEADER: "submission.created",
        "User-Agent": "eid-portal-eforms",
    }
    return signed_post(url=webhook.url, body=body, headers=headers)


def _record(submission_id: int, result: str) -> None:
    """Keep the latest outcome on the department's webhook (what its managers see)."""
    department_id = (
        Submission.objects.filter(pk=submission_id).values_list("department_id", flat=True).first()
    )
    if department_id is not None:
        DepartmentWebhook.objects.filter(department_id=department_id).update(
            last_attempt_at=timezone.now(), last_result=result[:200]
        )


@shared_task(bind=True, name="eforms.webhook", max_retries=MAX_RETRIES, acks_late=True)
def webhook_deliver_task(self: Any, submission_id: int) -> str:
    try:
        result = webhook_deliver(submission_id=submission_id)
    except CallbackError as exc:
        logger.info("Webhook for submission %s failed (%s), try %s", submission_id, exc, self.request.retries)
        final = self.request.retries >= self.max_retries
        _record(submission_id, f"{'failed' if final else 'retrying'}: {exc}")
        if final:
            return "failed"
        if self.request.is_eager:
            # Eager mode re-raises Retry to the caller, so the embedded mode retries in place.
            return self.apply(args=[submission_id], retries=self.request.retries + 1).result
        raise self.retry(countdown=retry_countdown(self.request.retries), exc=exc) from exc
    if result != "skipped":
        _record(submission_id, result)
    return result


def webhook_schedule(submission: Submission) -> None:
    """Called after the commit that made the submission a case (reached the department)."""
    if DepartmentWebhook.objects.filter(department_id=submission.department_id, active=True).exists():
        webhook_deliver_task.delay(submission.pk)
