"""REST API for signing (the signed-in resident, session) and verification (anyone), in /api/schema/.

Signing uses the portal-held key, so like the web page it needs a second factor confirmed in the
last few minutes; nothing uploaded is stored.
"""

import base64

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eid.errors import ApplicationError, PermissionDeniedError
from eid.pki.actions import pdf_sign_for_resident, sign_for_resident
from eid.pki.constants import MAX_VERIFY_BYTES

_ERROR = inline_serializer(
    "SigningError", {"error": serializers.CharField(), "code": serializers.CharField()}
)


def _error(message: str, code: str, http_status: int) -> Response:
    return Response({"error": str(message), "code": code}, status=http_status)


def _failure(failure: ApplicationError) -> Response:
    if isinstance(failure, PermissionDeniedError):
        return _error(failure.message, failure.code, status.HTTP_403_FORBIDDEN)
    if failure.code == "too_large":
        return _error(failure.message, failure.code, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return _error(failure.message, failure.code, status.HTTP_400_BAD_REQUEST)


def _read(upload: object | None) -> bytes | None:
    if upload is None:
        return None
    if upload.size is not None and upload.size > MAX_VERIFY_BYTES:
        raise ApplicationError(_("The file is too large."), code="too_large")
    return upload.read(MAX_VERIFY_BYTES + 1)


def _first_error(serializer: serializers.Serializer) -> Response:
    field, messages = next(iter(serializer.errors.items()))
    return _error(f"{field}: {messages[0]}", "invalid", status.HTTP_400_BAD_REQUEST)


class SignRequestSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="The file to sign (at most 10 MB).")
    format = serializers.ChoiceField(
        choices=["cms", "pades"],
        default="cms",
        help_text="cms: a detached CMS/PKCS#7 signature (.p7s); pades: the PDF signed inside (PAdES B-LT).",
    )


class SignResponseSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The identification code to show the resident.")
    serial = serializers.CharField(help_text="Serial number of the signing certificate (hex).")
    filename = serializers.CharField()
    media_type = serializers.CharField()
    content = serializers.CharField(help_text="The .p7s (DER) or the signed PDF, base64.")


class SignView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": SignRequestSerializer},
        responses={
            200: SignResponseSerializer,
            400: OpenApiResponse(_ERROR, description="Bad upload, not a PDF, or no certificate"),
            403: OpenApiResponse(_ERROR, description="step_up_required: confirm a second factor first"),
            413: OpenApiResponse(_ERROR, description="The file is too large"),
        },
        summary="Sign a file with the resident's signing certificate",
        tags=["signing"],
    )
    def post(self, request: Request) -> Response:
        serializer = SignRequestSerializer(data=request.data)
        if not serializer.is_valid():
            return _first_error(serializer)
        upload = serializer.validated_data["document"]
        try:
            data = _read(upload)
            if serializer.validated_data["format"] == "pades":
                result = pdf_sign_for_resident(user=request.user, pdf=data, request=request._request)
                filename, media_type = f"signed-{upload.name}", "application/pdf"
            else:
                result = sign_for_resident(user=request.user, data=data, request=request._request)
                filename, media_type = f"{upload.name}.p7s", "application/pkcs7-signature"
        except ApplicationError as failure:
            return _failure(failure)
        return Response(
            {
                "code": result.code,
                "serial": result.serial,
                "filename": filename,
                "media_type": media_type,
                "content": base64.b64encode(result.signature).decode("ascii"),
            }
        )


class VerifyRequestSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="A signed PDF, or the file a detached signature covers.")
    signature = serializers.FileField(
        required=False, help_text="The detached signature (.p7s, DER or PEM); leave out for a signed PDF."
    )


class VerifyResponseSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["cms", "pdf"])
    intact = serializers.BooleanField(help_text="The content is exactly what was signed.")
    valid_now = serializers.BooleanField()
    valid_at_signing = serializers.BooleanField()
    signer = serializers.CharField()
    serial = serializers.CharField()
    signing_time = serializers.DateTimeField(allow_null=True, help_text="As stated in the signature.")
    certificate_status = serializers.ChoiceField(choices=["good", "revoked", "unknown"])
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_reason = serializers.CharField(allow_blank=True)
    code = serializers.CharField(help_text="The identification code the signer was shown.")
    ltv = serializers.BooleanField(help_text="PDF: long-term validation data embedded (PAdES B-LT).")


class VerifyView(APIView):
    authentication_classes: list = []  # public: no session, so no CSRF token either
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": VerifyRequestSerializer},
        responses={
            200: VerifyResponseSerializer,
            400: OpenApiResponse(_ERROR, description="Unreadable document or signature"),
            413: OpenApiResponse(_ERROR, description="The file is too large"),
        },
        summary="Verify a signed PDF, or a file and its detached signature",
        tags=["signing"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        from eid.pki.verification import pdf_verify, signature_verify_detached

        serializer = VerifyRequestSerializer(data=request.data)
        if not serializer.is_valid():
            return _first_error(serializer)
        try:
            document = _read(serializer.validated_data["document"])
            signature = _read(serializer.validated_data.get("signature"))
            if signature:
                report = signature_verify_detached(data=document, signature=signature)
            else:
                report = pdf_verify(pdf=document)
        except ApplicationError as failure:
            return _failure(failure)
        return Response(VerifyResponseSerializer(report).data)


urlpatterns = [
    path("sign", SignView.as_view(), name="signing_api_sign"),
    path("verify", VerifyView.as_view(), name="signing_api_verify"),
]
