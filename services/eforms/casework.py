"""Department case handling: status transitions, assignment, messages, the resident's replies.

The only way a submission's status changes after it reaches the department is `case_transition`
(officers, the REST API) or `case_withdraw` / `case_reply` (the resident), each checked against
the tables below. Every change writes a SubmissionEvent and an audit entry in the same
transaction; the resident hears of it in the portal (the events) and by notification, in the
resident's language, after the commit.
"""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eid.public import (
    ApplicationError,
    PermissionDeniedError,
    User,
    audit_log,
    officer_department_ids,
    resident_notify,
)
from services.eforms.models import Attachment, Submission, SubmissionEvent

Status = Submission.Status

# What an officer (or the department's system through the API) may move a case to, from each status.
OFFICER_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.MORE_INFO_REQUESTED, Status.APPROVED, Status.REJECTED}),
    Status.MORE_INFO_REQUESTED: frozenset({Status.IN_REVIEW, Status.APPROVED, Status.REJECTED}),
}
# The resident may withdraw an application the department has not decided yet.
WITHDRAWABLE = frozenset(
    {Status.PAYMENT_PENDING, Status.SUBMITTED, Status.IN_REVIEW, Status.MORE_INFO_REQUESTED}
)
# A reason is part of these decisions: the resident must learn why, or what is missing.
REASON_REQUIRED = frozenset({Status.REJECTED, Status.MORE_INFO_REQUESTED})
# Statuses that are cases for the department (a submission waiting for its fee is not yet one).
CASE_STATUSES = frozenset(Status.values) - {Status.PAYMENT_PENDING}
MAX_MESSAGE = 5000
MAX_REPLY_FILES = 5

STATUS_SUBJECT = gettext_lazy("Your application %(reference)s: %(status)s")
STATUS_BODY = gettext_lazy("The status of your application “%(title)s” is now: %(status)s.%(reason)s")
MESSAGE_SUBJECT = gettext_lazy("A message about your application %(reference)s")
MESSAGE_BODY = gettext_lazy(
    "%(department)s sent you a message about your application “%(title)s”:\n\n%(message)s\n\n"
    "You can read and answer it under My applications in My portal."
)


def allowed_officer_transitions(submission: Submission) -> list[str]:
    return sorted(OFFICER_TRANSITIONS.get(submission.status, frozenset()))


def _locked(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update()
        .select_related("department", "version", "resident")
        .get(pk=submission.pk)
    )


def _clean_text(text: str, *, required: bool, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ApplicationError(what, code="reason_required")
    if len(text) > MAX_MESSAGE:
        raise ApplicationError(
            _("The text is longer than %(max)s characters.") % {"max": MAX_MESSAGE}, code="too_long"
        )
    return text


def case_transition(
    *,
    submission: Submission,
    to_status: str,
    by: User | None,
    reason: str = "",
    via: str = "back_office",
    request: HttpRequest | None = None,
) -> Submission:
    """Move a case along OFFICER_TRANSITIONS; anything else is an ApplicationError (a 400).

    `by` is the officer, or None for the department's system (`via` then names the API client)."""
    if to_status not in Status.values:
        raise ApplicationError(_("Unknown status."), code="invalid_status")
    if by is not None and by.pk == submission.resident_id:
        # Separation of duties, as for identity verification: nobody decides their own application.
        raise PermissionDeniedError(_("You cannot decide your own application."), code="own_application")
    with transaction.atomic():
        submission = _locked(submission)
        current = submission.status
        if to_status not in OFFICER_TRANSITIONS.get(current, frozenset()):
            raise ApplicationError(
                _("An application that is “%(current)s” cannot be moved to “%(target)s”.")
                % {"current": Status(current).label, "target": Status(to_status).label},
                code="invalid_transition",
                extra={"allowed": allowed_officer_transitions(submission)},
            )
        required = to_status in REASON_REQUIRED
        reason = _clean_text(
            reason,
            required=required,
            what=_("Say why the application is rejected.")
            if to_status == Status.REJECTED
            else _("Say what information is needed."),
        )
        submission.status = to_status
        submission.save(update_fields=["status", "updated_at"])
        SubmissionEvent.objects.create(
            submission=submission,
            kind=SubmissionEvent.Kind.STATUS_CHANGED,
            from_status=current,
            to_status=to_status,
            actor=by,
            message=reason,
            data={"via": via},
        )
        audit_log(
            event_type="eforms.case_status",
            actor=by,
            subject=submission.resident,
            request=request,
            data={"reference": submission.reference, "from": current, "to": to_status, "via": via},
        )
        transaction.on_commit(lambda: _notify_status(submission, reason))
    return submission


def case_assign(
    *, submission: Submission, officer: User | None, by: User, request: HttpRequest | None = None
) -> Submission:
    """Give the case to an officer of its department (or to nobody with officer=None)."""
    if officer is not None and submission.department_id not in officer_department_ids(officer=officer):
        raise ApplicationError(_("That officer does not work for this department."), code="invalid_officer")
    with transaction.atomic():
        submission = _locked(submission)
        submission.assigned_to = officer
        submission.save(update_fields=["assigned_to", "updated_at"])
        SubmissionEvent.objects.create(
            submission=submission,
            kind=SubmissionEvent.Kind.ASSIGNED,
            actor=by,
            visible_to_resident=False,
            data={"assigned_to": str(officer.public_id) if officer else None},
        )
        audit_log(
            event_type="eforms.case_assigned",
            actor=by,
            subject=submission.resident,
            request=request,
            data={
                "reference": submission.reference,
                "assigned_to": str(officer.public_id) if officer else None,
            },
        )
    return submission


def case_message(
    *,
    submission: Submission,
    by: User,
    message: str,
    internal: bool = False,
    request: HttpRequest | None = None,
) -> SubmissionEvent:
    """A message to the resident (shown in the portal and notified) or, internal, a note for the
    department only."""
    message = _clean_text(message, required=True, what=_("Write a message."))
    if submission.status not in CASE_STATUSES:
        raise ApplicationError(_("This application is not a case yet."), code="not_a_case")
    with transaction.atomic():
        submission = _locked(submission)
        event = SubmissionEvent.objects.create(
            submission=submission,
            kind=SubmissionEvent.Kind.NOTE if internal else SubmissionEvent.Kind.MESSAGE,
            actor=by,
            message=message,
            visible_to_resident=not internal,
            data={"from": "department"},
        )
        audit_log(
            event_type="eforms.case_note" if internal else "eforms.case_message",
            actor=by,
            subject=submission.resident,
            request=request,
            data={"reference": submission.reference, "event": event.pk},
        )
        if not internal:
            transaction.on_commit(lambda: _notify_message(submission, message))
    return event


def case_opened(*, submission: Submission, officer: User, request: HttpRequest | None = None) -> None:
    """Record that an officer looked at a resident's application (it shows in their ledger)."""
    audit_log(
        event_type="officer.record_opened",
        actor=officer,
        subject=submission.resident,
        request=request,
        data={"record": "eforms.submission", "reference": submission.reference},
    )


# The resident's side ------------------------------------------------------------------------------


def case_withdraw(*, submission: Submission, citizen: User, request: HttpRequest | None = None) -> Submission:
    with transaction.atomic():
        submission = _locked(submission)
        if submission.resident_id != citizen.pk:
            raise ApplicationError(_("This application was not found."), code="not_found")
        if submission.status not in WITHDRAWABLE:
            raise ApplicationError(
                _("A decided or withdrawn application cannot be withdrawn."), code="invalid_transition"
            )
        current = submission.status
        submission.status = Status.WITHDRAWN
        submission.save(update_fields=["status", "updated_at"])
        SubmissionEvent.objects.create(
            submission=submission,
            kind=SubmissionEvent.Kind.STATUS_CHANGED,
            from_status=current,
            to_status=Status.WITHDRAWN,
            actor=citizen,
            data={"via": "resident"},
        )
        audit_log(
            event_type="eforms.withdrawn",
            actor=citizen,
            subject=citizen,
            request=request,
            data={"reference": submission.reference, "from": current},
        )
    return submission


def case_reply(
    *,
    submission: Submission,
    citizen: User,
    message: str,
    uploads: list[Any],
    request: HttpRequest | None = None,
) -> SubmissionEvent:
    """The resident answers a request for more information, with files checked by the form's
    upload rules (services.eforms.fields.UploadField). The case goes back to "in review"."""
    message = _clean_text(message, required=not uploads, what=_("Write an answer or add a file."))
    if len(uploads) > MAX_REPLY_FILES:
        raise ApplicationError(
            _("Add at most %(count)s files.") % {"count": MAX_REPLY_FILES}, code="too_many_files"
        )
    stored: list[str] = []
    try:
        with transaction.atomic():
            submission = _locked(submission)
            if submission.resident_id != citizen.pk:
                raise ApplicationError(_("This application was not found."), code="not_found")
            if submission.status != Status.MORE_INFO_REQUESTED:
                raise ApplicationError(
                    _("The department has not asked for more information."), code="no_request"
                )
            files = []
            for upload in uploads:
                attachment = _reply_attachment_store(submission=submission, upload=upload)
                stored.append(attachment.file.name)
                files.append({"id": str(attachment.public_id), "name": attachment.original_name})
            event = SubmissionEvent.objects.create(
                submission=submission,
                kind=SubmissionEvent.Kind.MESSAGE,
                actor=citizen,
                message=message,
                data={"from": "resident", "attachments": files},
            )
            submission.status = Status.IN_REVIEW
            submission.save(update_fields=["status", "updated_at"])
            SubmissionEvent.objects.create(
                submission=submission,
                kind=SubmissionEvent.Kind.STATUS_CHANGED,
                from_status=Status.MORE_INFO_REQUESTED,
                to_status=Status.IN_REVIEW,
                actor=citizen,
                data={"via": "resident_reply"},
            )
            audit_log(
                event_type="eforms.resident_reply",
                actor=citizen,
                subject=citizen,
                request=request,
                data={"reference": submission.reference, "files": len(files)},
            )
    except Exception:
        from services.eforms.storage import private_storage

        for name in stored:
            private_storage.delete(name)
        raise
    return event


REPLY_FIELD = "reply"


def _reply_attachment_store(*, submission: Submission, upload: Any) -> Attachment:
    """Store an upload already checked by UploadField (sniffed type, size) on the submission."""
    attachment = Attachment.from_upload(
        upload, resident=submission.resident, submission=submission, field=REPLY_FIELD
    )
    attachment.save()
    return attachment


# Notifications ------------------------------------------------------------------------------------


def _title(submission: Submission, language: str) -> str:
    return submission.version.title(language)


def _notify_status(submission: Submission, reason: str) -> None:
    from django.utils import translation

    resident = submission.resident
    with translation.override(resident.preferred_language):
        status_label = str(Status(submission.status).label)
        reason_text = ("\n\n" + _("Reason: %(reason)s") % {"reason": reason}) if reason else ""
    resident_notify(
        user=resident,
        department_code=submission.department.code,
        notification_type="form_status",
        subject=STATUS_SUBJECT,
        body=STATUS_BODY,
        context={
            "reference": submission.reference,
            "title": _title(submission, resident.preferred_language),
            "status": status_label,
            "reason": reason_text,
        },
    )


def _notify_message(submission: Submission, message: str) -> None:
    resident = submission.resident
    department = submission.department
    department_name = department.name_in(resident.preferred_language)
    resident_notify(
        user=resident,
        department_code=department.code,
        notification_type="form_status",
        subject=MESSAGE_SUBJECT,
        body=MESSAGE_BODY,
        context={
            "reference": submission.reference,
            "title": _title(submission, resident.preferred_language),
            "department": department_name,
            "message": message,
        },
    )
