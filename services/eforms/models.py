"""Online forms: a department's form, its versions, residents' drafts and submissions.

A published FormVersion never changes (see FormVersion.save and FormVersionQuerySet.update): every
submission points at the exact definition the resident saw. Department case handling (inbox,
transitions, messages) builds on Submission and SubmissionEvent.
"""

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eid.public import AssuranceLevel
from services.eforms.storage import attachment_path, private_storage


class Form(models.Model):
    """A department's form; what residents fill in lives in its versions."""

    class Status(models.TextChoices):
        # No version published yet: only the department sees it.
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey("eid.Department", on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(_("address name"), max_length=64, unique=True)
    # Reference numbers read <prefix>-<year>-<sequence>, e.g. PPM-2026-000123.
    reference_prefix = models.CharField(_("reference prefix"), max_length=5)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # The current published version (a cache of the one row with status published).
    published_version = models.ForeignKey(
        "FormVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self) -> str:
        return self.slug


class FormVersionQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        """Bulk updates may touch only the status fields of a version that is no longer a draft."""
        if (
            set(kwargs) - FormVersion.MUTABLE_AFTER_PUBLISH
            and self.exclude(status=FormVersion.Status.DRAFT).exists()
        ):
            raise ValidationError(_("A published form version cannot be changed."), code="immutable")
        return super().update(**kwargs)


class FormVersion(models.Model):
    """One numbered version of a form's definition (services/eforms/definition.py)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    # After publication only these change (publish → retire); the definition and settings never do.
    MUTABLE_AFTER_PUBLISH = frozenset({"status", "retired_at", "published_at"})

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField(_("definition"), default=dict)
    required_assurance = models.PositiveSmallIntegerField(
        _("required assurance level"), choices=AssuranceLevel.choices, default=AssuranceLevel.SUBSTANTIAL
    )
    # Empty: no fee. Otherwise HKD cents, paid before the submission reaches the department.
    fee_cents = models.PositiveIntegerField(_("fee (HKD cents)"), null=True, blank=True)
    signature_required = models.BooleanField(_("signature required"), default=False)
    draft_retention_days = models.PositiveSmallIntegerField(_("days a draft is kept"), default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = FormVersionQuerySet.as_manager()

    class Meta:
        ordering = ["form", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="eforms_version_number_unique"),
            models.UniqueConstraint(
                fields=["form"], condition=models.Q(status="published"), name="eforms_one_published_version"
            ),
            models.CheckConstraint(
                condition=models.Q(fee_cents__isnull=True) | models.Q(fee_cents__gt=0),
                name="eforms_fee_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form_id} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            stored = FormVersion.objects.filter(pk=self.pk).first()
            if stored is not None and stored.status != self.Status.DRAFT:
                changed = {
                    field.attname
                    for field in self._meta.concrete_fields
                    if field.attname not in {"updated_at"}
                    and getattr(stored, field.attname) != getattr(self, field.attname)
                }
                if changed - self.MUTABLE_AFTER_PUBLISH:
                    raise ValidationError(_("A published form version cannot be changed."), code="immutable")
                if stored.status == self.Status.RETIRED and self.status != self.Status.RETIRED:
                    raise ValidationError(_("A retired form version cannot be published again."))
        super().save(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def title(self, language: str | None = None) -> str:
        from services.eforms.definition import localised

        return localised(self.definition.get("title"), language)


class ReferenceSequence(models.Model):
    """The last reference number handed out per prefix and year (taken under a row lock)."""

    prefix = models.CharField(max_length=5)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="eforms_reference_seq_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


class Submission(models.Model):
    """A resident's application: frozen answers of one version, then a case the department handles."""

    class Status(models.TextChoices):
        # Signed (if required) and waiting for the fee; not yet a case for the department.
        PAYMENT_PENDING = "payment_pending", _("Waiting for payment")
        # A status, not the "Submitted" column of dates (Chinese words these differently).
        SUBMITTED = "submitted", pgettext_lazy("application status", "Submitted")
        IN_REVIEW = "in_review", _("In review")
        MORE_INFO_REQUESTED = "more_info_requested", _("More information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference number"), max_length=24, unique=True)
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # form and department are copies of version.form(.department), for the department inbox's indexes.
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="submissions")
    department = models.ForeignKey("eid.Department", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.SUBMITTED)
    # Answers to visible fields only, keyed by field key (prefilled ones re-read from eID).
    answers = models.JSONField(default=dict)
    # The values that came from eID (field key → value), as re-read at submission.
    prefilled = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, default="en")
    # The draft this came from: a second submit of the same draft finds this row (idempotency).
    draft_token = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    fee_cents = models.PositiveIntegerField(null=True, blank=True)
    payment_reference = models.CharField(max_length=64, blank=True)
    # Signature: the exact bytes signed (canonical JSON of the answers), detached CMS, and signer.
    signed_payload = models.BinaryField(null=True, blank=True, editable=False)
    signature = models.BinaryField(null=True, blank=True, editable=False)
    signature_code = models.CharField(max_length=32, blank=True)
    signature_serial = models.CharField(max_length=64, blank=True)
    signature_certificate_pem = models.TextField(blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    # The officer handling the case (services/eforms/casework.py); empty: nobody yet.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            models.Index(fields=["department", "status", "-submitted_at"], name="eforms_sub_dept_status"),
            # The department inbox's default order (bench/eforms_inbox.py): newest first, no status filter.
            models.Index(fields=["department", "-submitted_at", "-id"], name="eforms_sub_dept_newest"),
            models.Index(fields=["resident", "-created_at"], name="eforms_sub_resident"),
        ]

    def __str__(self) -> str:
        return self.reference


class Draft(models.Model):
    """A resident's unfinished application, tied to the account (not to a browser or an emailed link)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="drafts")
    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="drafts")
    answers = models.JSONField(default=dict, blank=True)
    current_page = models.CharField(max_length=40, blank=True)
    # None: not asked yet (or nothing to prefill); True/False: the resident's choice on the consent step.
    prefill_consent = models.BooleanField(null=True, blank=True)
    prefill_consented_at = models.DateTimeField(null=True, blank=True)
    # The resident reached check-your-answers and confirmed; pages edited afterwards reset it.
    checked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.UniqueConstraint(fields=["resident", "form"], name="eforms_one_draft_per_form"),
        ]

    def __str__(self) -> str:
        return f"draft {self.public_id}"


class Attachment(models.Model):
    """An uploaded file, first on a draft, then moved to the submission; stored in private storage."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    draft = models.ForeignKey(
        Draft, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    field = models.CharField(max_length=40)
    original_name = models.CharField(max_length=200)
    # Sniffed from the first bytes, never taken from the extension or the browser's claim.
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(storage=private_storage, upload_to=attachment_path, max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(submission__isnull=False) | models.Q(draft__isnull=False),
                name="eforms_attachment_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @classmethod
    def from_upload(cls, upload: Any, **owner: Any) -> "Attachment":
        """An attachment for an upload already checked by UploadField (sniffed type, size), its
        file written to private storage, not yet saved. `owner`: the resident, the draft or the
        submission, and the field."""
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        attachment = cls(
            original_name=(upload.name or "upload")[-200:],
            content_type=upload.sniffed_content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            **owner,
        )
        attachment.file.save("upload", upload, save=False)
        return attachment


class SubmissionEvent(models.Model):
    """The history of a submission: status changes, messages, notes, payments."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("application status", "Submitted")
        STATUS_CHANGED = "status_changed", _("Status changed")
        MESSAGE = "message", _("Message")
        NOTE = "note", _("Internal note")
        PAYMENT = "payment", _("Payment")
        ATTACHMENT = "attachment", _("Attachment added")
        ASSIGNED = "assigned", _("Assigned")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=24, choices=Submission.Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Submission.Status.choices, blank=True)
    # Empty for events of the portal itself (e.g. a payment verdict).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(max_length=10_000, blank=True)
    # Notes stay inside the department; messages and status changes are shown to the resident.
    visible_to_resident = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("submission event")
        verbose_name_plural = _("submission events")

    def __str__(self) -> str:
        return f"{self.submission_id} {self.kind}"


class DepartmentWebhook(models.Model):
    """Where a department's own system hears of each new submission (services/eforms/webhooks.py).

    The signing secret is stored Fernet-encrypted, like the notifications callback secrets."""

    department = models.OneToOneField("eid.Department", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(max_length=500, editable=False)
    active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The outcome of the latest delivery attempt, shown to the department's managers.
    last_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_result = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = _("department webhook")
        verbose_name_plural = _("department webhooks")

    def __str__(self) -> str:
        return f"{self.department_id} {self.url}"
