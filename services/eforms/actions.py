"""Writes for online forms: drafts, answers, uploads, submission, signature, payment, receipts.

Every write runs in one transaction: nothing is half-saved. Files are written to private storage
first and removed again if the transaction fails.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eid.public import ApplicationError, User, audit_log, resident_notify, sign_for_resident
from services.eforms.definition import (
    fields_by_key,
    iter_fields,
    prefill_scopes,
    validate_definition,
    visible_answers,
    visible_field_keys,
    visible_pages,
)
from services.eforms.fields import prefill_values
from services.eforms.models import (
    Attachment,
    Draft,
    Form,
    FormVersion,
    ReferenceSequence,
    Submission,
    SubmissionEvent,
)

SERVICE_SLUG = "eforms"


# Drafts -------------------------------------------------------------------------------------------


def _expiry(version: FormVersion) -> timezone.datetime:
    return timezone.now() + timedelta(days=version.draft_retention_days)


def draft_start(*, citizen: User, form: Form, version: FormVersion) -> Draft:
    """The resident's draft of this form: the existing one (resumed) or a new one."""
    _require_open(version)
    with transaction.atomic():
        existing = Draft.objects.select_for_update().filter(resident=citizen, form=form).first()
        if existing is not None and existing.expires_at > timezone.now():
            existing.form = form  # already loaded by the caller
            if existing.version_id == version.pk:
                existing.version = version
            return existing
        if existing is not None:
            _draft_delete(existing)
        try:
            with transaction.atomic():
                return Draft.objects.create(
                    resident=citizen,
                    form=form,
                    version=version,
                    # Nothing to prefill: no consent step.
                    prefill_consent=None,
                    expires_at=_expiry(version),
                )
        except IntegrityError:  # a second tab started it at the same moment
            return Draft.objects.get(resident=citizen, form=form)


def draft_restart(*, draft: Draft) -> None:
    """Throw the draft away (the resident chose "start again")."""
    with transaction.atomic():
        _draft_delete(Draft.objects.select_for_update().get(pk=draft.pk))


def _draft_delete(draft: Draft) -> None:
    names = list(draft.attachments.values_list("file", flat=True))
    draft.delete()
    transaction.on_commit(lambda: _remove_files(names))


def _remove_files(names: list[str]) -> None:
    from services.eforms.storage import private_storage

    for name in names:
        if name:
            private_storage.delete(name)


def draft_set_consent(*, draft: Draft, consent: bool) -> Draft:
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        draft.prefill_consent = consent
        draft.prefill_consented_at = timezone.now() if consent else None
        if not consent:
            # Values that came from eID leave the draft with the consent.
            for key in draft_prefilled(draft=draft):
                draft.answers.pop(key, None)
        draft.expires_at = _expiry(draft.version)
        draft.save()
    return draft


def needs_consent(version: FormVersion) -> bool:
    return bool(prefill_scopes(version.definition))


def draft_prefilled(*, draft: Draft) -> dict[str, Any]:
    """What eID fills on this draft now (empty without consent). Read fresh on every call."""
    if not draft.prefill_consent:
        return {}
    return prefill_values(user=draft.resident, definition=draft.version.definition)


def _locked(draft: Draft) -> Draft:
    """The draft re-read under a row lock, reusing the already loaded form, version and resident.

    A published version never changes (FormVersion.save), so its definition need not be read again
    inside the transaction; the row itself (answers, page, expiry) is what the lock protects."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    for relation in ("version", "form", "resident"):
        cached = Draft._meta.get_field(relation).get_cached_value(draft, None)
        if cached is not None and getattr(locked, f"{relation}_id") == cached.pk:
            setattr(locked, relation, cached)
    return locked


SAVED_FIELDS = ["answers", "current_page", "checked_at", "expires_at", "updated_at"]


def draft_save_page(
    *, draft: Draft, page_key: str, answers: dict[str, Any], uploads: dict[str, Any], next_page: str
) -> Draft:
    """Store one page's answers (and files), drop answers of questions now hidden, move on."""
    _require_open(draft.version)
    definition = draft.version.definition
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            draft = _locked(draft)
            merged = {**draft.answers, **answers}
            # Answers of this page's questions left empty are removed (e.g. a cleared optional field).
            page = next(page for page in definition["pages"] if page["key"] == page_key)
            for field in page["fields"]:
                if field["type"] != "file" and field["key"] not in answers:
                    merged.pop(field["key"], None)
            for key, attachment in _attachments_store(
                draft=draft, uploads=uploads, stored=stored_files
            ).items():
                merged[key] = str(attachment.public_id)
            # Prefilled values are never taken from the post; they are not stored as answers either.
            prefilled = draft_prefilled(draft=draft)
            for key in prefilled:
                merged.pop(key, None)
            kept = visible_answers(definition, {**merged, **prefilled})
            draft.answers = {key: value for key, value in merged.items() if key in kept}
            # Files are only orphaned when a file question's answer was just dropped (hidden now);
            # a replaced file is removed by _attachments_store.
            file_keys = {ref.field["key"] for ref in iter_fields(definition) if ref.field["type"] == "file"}
            if file_keys & (set(merged) - set(draft.answers)):
                _drop_hidden_attachments(draft)
            draft.current_page = next_page
            draft.checked_at = None
            draft.expires_at = _expiry(draft.version)
            draft.save(update_fields=SAVED_FIELDS)
    except Exception:
        _remove_files(stored_files)
        raise
    return draft


def _attachments_store(*, draft: Draft, uploads: dict[str, Any], stored: list[str]) -> dict[str, Attachment]:
    """Save already sniffed uploads in private storage, replacing the questions' earlier files.

    A fixed number of queries however many files a page has: one read and one delete of the files
    replaced, one insert of the new rows. Each written file name is appended to `stored` at once,
    so the caller removes it again if the transaction fails."""
    if not uploads:
        return {}
    replaced = list(draft.attachments.filter(field__in=list(uploads)).values_list("pk", "file"))
    if replaced:
        Attachment.objects.filter(pk__in=[pk for pk, _name in replaced]).delete()
        names = [name for _pk, name in replaced]
        transaction.on_commit(lambda: _remove_files(names))
    created = {}
    for field, upload in uploads.items():
        attachment = Attachment.from_upload(upload, resident_id=draft.resident_id, draft=draft, field=field)
        stored.append(attachment.file.name)
        created[field] = attachment
    Attachment.objects.bulk_create(created.values())
    return created


def _drop_hidden_attachments(draft: Draft) -> None:
    for attachment in draft.attachments.all():
        if draft.answers.get(attachment.field) != str(attachment.public_id):
            name = attachment.file.name
            attachment.delete()
            transaction.on_commit(lambda name=name: _remove_files([name]))


def draft_mark_checked(*, draft: Draft) -> Draft:
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        draft.checked_at = timezone.now()
        draft.save(update_fields=["checked_at", "updated_at"])
    return draft


def drafts_delete_expired(*, now: timezone.datetime | None = None) -> int:
    """Delete drafts past their expiry with their files (the Celery beat task)."""
    now = now or timezone.now()
    count = 0
    for draft_id in Draft.objects.filter(expires_at__lte=now).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            draft = Draft.objects.select_for_update().filter(pk=draft_id, expires_at__lte=now).first()
            if draft is not None:
                _draft_delete(draft)
                count += 1
    return count


def drafts_erase_for_resident(*, citizen: User) -> int:
    count = 0
    for draft in Draft.objects.filter(resident=citizen):
        with transaction.atomic():
            _draft_delete(draft)
            count += 1
    return count


# Completeness -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingAnswer:
    page_key: str
    field_key: str
    label: Any


def final_answers(*, draft: Draft) -> tuple[dict[str, Any], dict[str, Any]]:
    """(answers, prefilled) as they would be submitted now: prefilled values re-read from eID,
    answers to hidden questions dropped."""
    prefilled = draft_prefilled(draft=draft)
    combined = visible_answers(draft.version.definition, {**draft.answers, **prefilled})
    return combined, {key: value for key, value in prefilled.items() if key in combined}


def missing_answers(*, draft: Draft, answers: dict[str, Any]) -> list[MissingAnswer]:
    definition = draft.version.definition
    shown = visible_field_keys(definition, answers)
    missing = []
    for page in visible_pages(definition, answers):
        for field in page["fields"]:
            required = field.get("required") or field["type"] == "declaration"
            if field["key"] in shown and required and answers.get(field["key"]) in (None, "", [], False):
                missing.append(MissingAnswer(page["key"], field["key"], field["label"]))
    return missing


def _require_open(version: FormVersion) -> None:
    if version.status != FormVersion.Status.PUBLISHED or version.form.status != Form.Status.PUBLISHED:
        raise ApplicationError(
            _("This version of the form no longer accepts applications. Start again with the current form."),
            code="version_closed",
        )


# Submission ---------------------------------------------------------------------------------------


def signing_payload(*, draft: Draft, answers: dict[str, Any]) -> bytes:
    """The exact bytes a resident signs: canonical JSON of the form, version and answers."""
    return json.dumps(
        {
            "form": draft.form.slug,
            "version": draft.version.number,
            "resident": str(draft.resident.public_id),
            "answers": answers,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def _next_reference(prefix: str) -> str:
    year = timezone.localdate().year
    sequence, _created = ReferenceSequence.objects.select_for_update().get_or_create(prefix=prefix, year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{prefix}-{year}-{sequence.last_value:06d}"


def submission_from_draft(
    *, draft_id: Any, citizen: User, request: HttpRequest | None = None, checked_now: bool = False
) -> Submission:
    """Turn the resident's draft into a submission, once.

    Refused (ApplicationError) if the version is no longer published, an answer is missing, or a
    signature is required and the second factor is not fresh (PermissionDeniedError step_up_required).
    A second call for the same draft returns the submission made by the first. `checked_now`: the
    resident has just confirmed check-your-answers (the check page's own post), in this transaction.
    """
    with transaction.atomic():
        draft = (
            Draft.objects.select_for_update()
            .select_related("form", "form__department", "version", "resident")
            .filter(public_id=draft_id, resident=citizen)
            .first()
        )
        if draft is None:
            done = Submission.objects.filter(draft_token=draft_id, resident=citizen).first()
            if done is not None:
                return done
            raise ApplicationError(_("This application was not found."), code="not_found")
        version = draft.version
        if version.form_id == draft.form_id:
            version.form = draft.form  # the same row, already joined
        _require_open(version)
        answers, prefilled = final_answers(draft=draft)
        missing = missing_answers(draft=draft, answers=answers)
        if missing:
            raise ApplicationError(_("Some questions still need an answer."), code="incomplete")
        if draft.checked_at is None and not checked_now:
            raise ApplicationError(_("Check your answers before you send them."), code="not_checked")
        form = draft.form
        submission = Submission(
            reference=_next_reference(form.reference_prefix),
            resident=citizen,
            form=form,
            department=form.department,
            version=version,
            answers=answers,
            prefilled=prefilled,
            language=translation.get_language() or citizen.preferred_language,
            draft_token=draft.public_id,
            fee_cents=version.fee_cents,
            status=Submission.Status.PAYMENT_PENDING if version.fee_cents else Submission.Status.SUBMITTED,
        )
        if version.signature_required:
            payload = signing_payload(draft=draft, answers=answers)
            # Raises step_up_required / no_certificate; the transaction then leaves the draft as it was.
            signed = sign_for_resident(user=citizen, data=payload, request=request)
            submission.signed_payload = payload
            submission.signature = signed.signature
            submission.signature_code = signed.code
            submission.signature_serial = signed.serial
            submission.signature_certificate_pem = signed.certificate_pem
            submission.signed_at = timezone.now()
        if submission.status == Submission.Status.SUBMITTED:
            submission.submitted_at = timezone.now()
        submission.save()
        Attachment.objects.filter(draft=draft).update(submission=submission, draft=None)
        draft.delete()
        SubmissionEvent.objects.create(
            submission=submission,
            kind=SubmissionEvent.Kind.CREATED,
            to_status=submission.status,
            actor=citizen,
        )
        audit_log(
            event_type="eforms.submitted",
            actor=citizen,
            subject=citizen,
            request=request,
            data={
                "reference": submission.reference,
                "form": form.slug,
                "version": version.number,
                "signature": submission.signature_code,
            },
        )
        if submission.status == Submission.Status.SUBMITTED:
            transaction.on_commit(lambda: _notify_submitted_later(submission))
    return submission


@dataclass(frozen=True)
class _PaymentService:
    """payment_start's view of the service: the owning department is the form's, not the portal's."""

    slug: str
    department_code: str


def submission_payment_start(*, submission: Submission, citizen: User) -> str:
    """Start (or resume) the fee payment; returns where to send the resident."""
    from payments.actions import payment_start

    if submission.resident_id != citizen.pk or submission.status != Submission.Status.PAYMENT_PENDING:
        raise ApplicationError(_("This application has nothing to pay."), code="nothing_to_pay")
    started = payment_start(
        citizen=citizen,
        service=_PaymentService(slug=SERVICE_SLUG, department_code=submission.department.code),
        amount=submission.fee_cents,
        reference=submission.reference,
        description=submission.version.title(citizen.preferred_language)[:200],
        metadata={"submission": str(submission.public_id)},
        # After paying (sandbox or Stripe) the resident lands on the application's confirmation.
        return_url=reverse("eforms:confirmation", kwargs={"submission_id": submission.public_id}),
    )
    if submission.payment_reference != str(started.payment.public_id):
        Submission.objects.filter(pk=submission.pk).update(payment_reference=str(started.payment.public_id))
    return started.redirect_url


def submission_payment_settled(*, payment: Any) -> None:
    """A payment verdict for an eforms reference: paid → the application reaches the department."""
    from payments.models import PaymentStatus

    if payment.status != PaymentStatus.SUCCEEDED:
        return
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .filter(reference=payment.reference, resident_id=payment.citizen_id)
            .first()
        )
        if submission is None or submission.status != Submission.Status.PAYMENT_PENDING:
            return  # unknown, or already moved on (a repeated verdict)
        if payment.amount != submission.fee_cents:
            return
        submission.status = Submission.Status.SUBMITTED
        submission.submitted_at = timezone.now()
        submission.payment_reference = str(payment.public_id)
        submission.save(update_fields=["status", "submitted_at", "payment_reference", "updated_at"])
        SubmissionEvent.objects.create(
            submission=submission,
            kind=SubmissionEvent.Kind.PAYMENT,
            from_status=Submission.Status.PAYMENT_PENDING,
            to_status=Submission.Status.SUBMITTED,
            data={"payment": str(payment.public_id), "amount": payment.amount},
        )
        transaction.on_commit(lambda: _notify_submitted_later(submission))


SUBMITTED_SUBJECT = gettext_lazy("Application received: %(reference)s")
SUBMITTED_BODY = gettext_lazy(
    "We have received your application “%(title)s”. Your reference number is %(reference)s. "
    "You can follow it under Online forms in My portal."
)


def _notify_submitted_later(submission: Submission) -> None:
    """After the commit: the resident's notice and the department's webhook go to a Celery worker,
    so the resident's request does not wait for them (in process when no broker is configured)."""
    from services.eforms.tasks import notify_submitted_task

    notify_submitted_task.delay(submission.pk)


def submission_notify(*, submission_id: int) -> None:
    """The notice and webhook of a submission that reached the department (the Celery task's body)."""
    submission = (
        Submission.objects.select_related("resident", "department", "version")
        .filter(pk=submission_id)
        .first()
    )
    if submission is not None and submission.status != Submission.Status.PAYMENT_PENDING:
        _notify_submitted(submission)


def _notify_submitted(submission: Submission) -> None:
    resident = submission.resident
    resident_notify(
        user=resident,
        department_code=submission.department.code,
        notification_type="form_submitted",
        subject=SUBMITTED_SUBJECT,
        body=SUBMITTED_BODY,
        context={
            "reference": submission.reference,
            "title": submission.version.title(resident.preferred_language),
        },
    )
    # The department's own system hears of the new case too (signed webhook, retried by Celery).
    from services.eforms.webhooks import webhook_schedule

    webhook_schedule(submission)


# Version checks used by the builder ----------------------------------------------------------------


def definition_errors(definition: Any, *, complete: bool) -> list[str]:
    try:
        validate_definition(definition, complete=complete)
    except ValidationError as error:
        return list(error.messages)
    return []


def draft_move_to_current_version(*, draft: Draft) -> Draft:
    """Move a draft of a retired version to the form's published version, keeping the answers to
    questions that still exist with the same type."""
    form = draft.form
    current = form.published_version
    if current is None or form.status != Form.Status.PUBLISHED:
        raise ApplicationError(_("This form is closed."), code="version_closed")
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        old_fields, new_fields = fields_by_key(draft.version.definition), fields_by_key(current.definition)
        kept = {
            key: value
            for key, value in draft.answers.items()
            if key in new_fields and new_fields[key]["type"] == old_fields.get(key, {}).get("type")
        }
        draft.version = current
        draft.answers = visible_answers(current.definition, kept)
        draft.current_page = ""
        draft.checked_at = None
        draft.prefill_consent = draft.prefill_consent if needs_consent(current) else None
        draft.expires_at = _expiry(current)
        draft.save()
        _drop_hidden_attachments(draft)
    return draft
