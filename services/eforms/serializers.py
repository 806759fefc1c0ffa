"""Output and input shapes of the online forms REST API (services/eforms/api.py)."""

import base64
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from services.eforms.casework import OFFICER_TRANSITIONS
from services.eforms.models import Attachment, Form, Submission, SubmissionEvent

TARGET_STATUSES = sorted(set().union(*OFFICER_TRANSITIONS.values()))


class LocalisedTextSerializer(serializers.Serializer):
    en = serializers.CharField()
    zh_hant = serializers.CharField(source="zh-hant", required=False)
    zh_hans = serializers.CharField(source="zh-hans", required=False)


STATUS_HELP = "One of: " + ", ".join(Submission.Status.values) + "."


class FormSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    status = serializers.CharField(read_only=True, help_text="draft, published or retired.")
    title = serializers.SerializerMethodField()
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = Form
        fields = ["id", "slug", "reference_prefix", "status", "title", "current_version", "updated_at"]

    @extend_schema_field(LocalisedTextSerializer)
    def get_title(self, form: Form) -> dict[str, str]:
        version = form.published_version
        title = version.definition.get("title") if version is not None else None
        return title if isinstance(title, dict) else {"en": form.slug}

    def get_current_version(self, form: Form) -> int | None:
        return form.published_version.number if form.published_version else None


class SubmissionSummarySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    form = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = ["id", "reference", "form", "version", "status", "submitted_at", "updated_at", "url"]

    def get_url(self, submission: Submission) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("eforms_api:submission", kwargs={"submission_id": submission.public_id})
        )


class AttachmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="original_name")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "field", "name", "content_type", "size", "sha256", "created_at", "download_url"]

    def get_download_url(self, attachment: Attachment) -> str:
        return self.context["request"].build_absolute_uri(
            reverse(
                "eforms_api:attachment",
                kwargs={
                    "submission_id": attachment.submission.public_id,
                    "attachment_id": attachment.public_id,
                },
            )
        )


class SignatureSerializer(serializers.Serializer):
    code = serializers.CharField()
    certificate_serial = serializers.CharField()
    signed_at = serializers.DateTimeField()
    certificate_pem = serializers.CharField()
    cms_base64 = serializers.CharField(help_text="Detached CMS (PKCS#7) signature, DER, base64.")
    signed_payload_base64 = serializers.CharField(
        help_text="The exact bytes signed (canonical JSON), base64."
    )


class PaymentSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The portal payment's identifier.")
    fee_cents = serializers.IntegerField(help_text="HKD cents.")


class EventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        help_text="created, status_changed, message, note, payment, attachment or assigned."
    )
    from_status = serializers.CharField(help_text=STATUS_HELP)
    to_status = serializers.CharField(help_text=STATUS_HELP)
    visible_to_applicant = serializers.BooleanField(source="visible_to_resident")

    class Meta:
        model = SubmissionEvent
        fields = ["kind", "from_status", "to_status", "message", "visible_to_applicant", "created_at"]


class ApplicantSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text="The resident's eID public identifier.")
    name_en = serializers.CharField(source="legal_name_en")
    name_zh = serializers.CharField(source="legal_name_zh")


class SubmissionSerializer(SubmissionSummarySerializer):
    applicant = ApplicantSerializer(source="resident")
    answers = serializers.JSONField(
        help_text=(
            "Field key → answer; file answers are attachment ids. An hkid answer is "
            '{"hmac": HMAC-SHA256 hex of the normalised number (e.g. A1234564) under the portal\'s '
            'HKID hash key, "masked": e.g. "A123***(4)"}: the number itself is never stored or sent.'
        )
    )
    prefilled_fields = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True)
    signature = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    events = EventSerializer(many=True)
    language = serializers.CharField()

    class Meta(SubmissionSummarySerializer.Meta):
        fields = [
            *SubmissionSummarySerializer.Meta.fields,
            "applicant",
            "language",
            "answers",
            "prefilled_fields",
            "attachments",
            "signature",
            "payment",
            "events",
        ]

    def get_prefilled_fields(self, submission: Submission) -> list[str]:
        return sorted(submission.prefilled)

    @extend_schema_field(SignatureSerializer(allow_null=True))
    def get_signature(self, submission: Submission) -> dict[str, Any] | None:
        if not submission.signature:
            return None
        return {
            "code": submission.signature_code,
            "certificate_serial": submission.signature_serial,
            "signed_at": submission.signed_at.isoformat() if submission.signed_at else None,
            "certificate_pem": submission.signature_certificate_pem,
            "cms_base64": base64.b64encode(bytes(submission.signature)).decode(),
            "signed_payload_base64": base64.b64encode(bytes(submission.signed_payload or b"")).decode(),
        }

    @extend_schema_field(PaymentSerializer(allow_null=True))
    def get_payment(self, submission: Submission) -> dict[str, Any] | None:
        if not submission.fee_cents:
            return None
        return {"reference": submission.payment_reference, "fee_cents": submission.fee_cents}


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TARGET_STATUSES, help_text="The status to move the case to.")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="Required for rejected and more_info_requested; shown to the applicant.",
    )


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    detail = serializers.CharField()
    allowed = serializers.ListField(child=serializers.CharField(), required=False)


BINARY = OpenApiTypes.BINARY
