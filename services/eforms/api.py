"""REST API for departments' back-office systems: /api/v1/eforms/.

Authenticated as a department: with the department's API key (the notifications API keys,
`Authorization: Bearer live-…`), or with an OIDC access token of a department system (client
credentials grant, scope `eforms.cases`). A department sees only its own forms and cases; anything
else is the same 404 as a missing one. Test keys and sandbox clients are refused (403): they are
for trying the notifications API, and applications hold residents' real data.

Thin: serializers shape, casework decides (an ApplicationError becomes a 400 with its message).
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eid.public import ApplicationError, Department
from services.eforms import casework
from services.eforms.casework import CASE_STATUSES
from services.eforms.models import Form, Submission, SubmissionEvent
from services.eforms.serializers import (
    BINARY,
    ErrorSerializer,
    FormSerializer,
    StatusInputSerializer,
    SubmissionSerializer,
    SubmissionSummarySerializer,
)
from services.eforms.storage import attachment_response
from services.notifications.public import ApiKeyRateThrottle

CASES_SCOPE = "eforms.cases"
REALM = "eforms"
# The notifications API keys read `<type>-<department>-<random>`.
API_KEY_PREFIXES = (b"live-", b"test-")


class DepartmentCaller:
    """Stands in for request.user: a department's system, not a person."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, *, department: Department, label: str, test: bool) -> None:
        self.department = department
        self.label = label
        self.test = test


class EformsDepartmentAuthentication(BaseAuthentication):
    """`Authorization: Bearer <API key>` (checked by the notifications API key class) or a client
    credentials access token (`Bearer` or `DPoP`, checked by eid's token class). Missing → 401 with
    a challenge (the permission check); unknown, expired or revoked → 401."""

    def authenticate(self, request: Request) -> tuple[DepartmentCaller, object] | None:
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        # A key is recognised by its shape; anything else is left to the access token check.
        if parts[0].lower() == b"bearer" and len(parts) == 2 and parts[1].startswith(API_KEY_PREFIXES):
            return self._api_key(request)
        return self._client(request)

    def _api_key(self, request: Request) -> tuple[DepartmentCaller, object]:
        from services.notifications.public import DepartmentApiKeyAuthentication

        result = DepartmentApiKeyAuthentication().authenticate(request)
        if result is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        _user, api_key = result
        caller = DepartmentCaller(
            department=api_key.department, label=f"api_key:{api_key.prefix}", test=api_key.key_type != "live"
        )
        return caller, api_key

    def _client(self, request: Request) -> tuple[DepartmentCaller, object] | None:
        import eid.public

        token_check = getattr(eid.public, "ClientCredentialsAuthentication", None)
        if token_check is None:  # a portal without department OIDC clients: keys only
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        result = token_check().authenticate(request)
        if result is None:
            return None
        service, token = result
        if CASES_SCOPE not in service.scopes:
            raise exceptions.PermissionDenied(_("The access token lacks the eforms.cases scope."))
        caller = DepartmentCaller(
            department=service.department, label=f"oidc_client:{service.client_id}", test=service.sandbox
        )
        return caller, token

    def authenticate_header(self, request: Request) -> str:
        if get_authorization_header(request):
            return f'Bearer realm="{REALM}", error="invalid_token"'
        return f'Bearer realm="{REALM}"'


class EformsDepartmentScheme(OpenApiAuthenticationExtension):
    target_class = "services.eforms.api.EformsDepartmentAuthentication"
    name = "eformsDepartment"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A department's live API key (the notifications API keys), or an access token of the "
                "eID OpenID provider for a department system (client credentials, scope eforms.cases)."
            ),
        }


class IsLiveDepartment(BasePermission):
    message = _("Test keys and sandbox clients cannot read applications.")

    def has_permission(self, request: Request, view: object) -> bool:
        caller = request.user
        if not isinstance(caller, DepartmentCaller):
            return False  # unauthenticated: DRF answers 401 with the challenge
        if caller.test:
            raise exceptions.PermissionDenied(self.message)
        return True


class Pagination(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class EformsAPIView(APIView):
    authentication_classes = [EformsDepartmentAuthentication]
    permission_classes = [IsLiveDepartment]
    # An API key's requests a minute count across the notifications and forms APIs alike.
    throttle_classes = [ApiKeyRateThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ApplicationError):
            return Response({"error": exc.code, "detail": exc.message, **exc.extra}, status=400)
        return super().handle_exception(exc)

    def department(self) -> Department:
        return self.request.user.department

    def cases(self) -> QuerySet[Submission]:
        return Submission.objects.filter(department=self.department(), status__in=CASE_STATUSES)

    def case(self, submission_id: Any) -> Submission:
        submission = (
            self.cases()
            .select_related("form", "version", "resident", "department")
            .prefetch_related(
                "attachments",
                Prefetch("events", queryset=SubmissionEvent.objects.order_by("created_at", "id")),
            )
            .filter(public_id=submission_id)
            .first()
        )
        if submission is None:
            raise exceptions.NotFound()
        return submission


class FormListView(EformsAPIView):
    @extend_schema(operation_id="eforms_forms_list", responses=FormSerializer(many=True), tags=["eforms"])
    def get(self, request: Request) -> Response:
        forms = Form.objects.filter(department=self.department()).select_related("published_version")
        return Response(FormSerializer(forms.order_by("slug"), many=True).data)


class FormDetailView(EformsAPIView):
    @extend_schema(operation_id="eforms_forms_retrieve", responses=FormSerializer, tags=["eforms"])
    def get(self, request: Request, form_id: Any) -> Response:
        form = (
            Form.objects.filter(department=self.department(), public_id=form_id)
            .select_related("published_version")
            .first()
        )
        if form is None:
            raise exceptions.NotFound()
        return Response(FormSerializer(form).data)


class SubmissionFilterSerializer(serializers.Serializer):
    form = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=sorted(CASE_STATUSES), required=False)
    submitted_after = serializers.DateTimeField(required=False)
    submitted_before = serializers.DateTimeField(required=False)


class SubmissionListView(EformsAPIView):
    @extend_schema(
        operation_id="eforms_submissions_list",
        parameters=[
            OpenApiParameter("form", str, description="A form id (UUID)."),
            OpenApiParameter("status", str, enum=sorted(CASE_STATUSES)),
            OpenApiParameter("submitted_after", str, description="ISO 8601 date-time (inclusive)."),
            OpenApiParameter("submitted_before", str, description="ISO 8601 date-time (exclusive)."),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: SubmissionSummarySerializer(many=True), 400: ErrorSerializer},
        tags=["eforms"],
    )
    def get(self, request: Request) -> Response:
        filters = SubmissionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        cases = self.cases().select_related("form", "version").order_by("-submitted_at", "-id")
        if "form" in data:
            cases = cases.filter(form__public_id=data["form"])
        if "status" in data:
            cases = cases.filter(status=data["status"])
        if "submitted_after" in data:
            cases = cases.filter(submitted_at__gte=data["submitted_after"])
        if "submitted_before" in data:
            cases = cases.filter(submitted_at__lt=data["submitted_before"])
        paginator = Pagination()
        page = paginator.paginate_queryset(cases.defer("version__definition"), request, view=self)
        return paginator.get_paginated_response(
            SubmissionSummarySerializer(page, many=True, context={"request": request}).data
        )


class SubmissionDetailView(EformsAPIView):
    @extend_schema(
        operation_id="eforms_submissions_retrieve", responses=SubmissionSerializer, tags=["eforms"]
    )
    def get(self, request: Request, submission_id: Any) -> Response:
        submission = self.case(submission_id)
        return Response(SubmissionSerializer(submission, context={"request": request}).data)


class SubmissionStatusView(EformsAPIView):
    @extend_schema(
        operation_id="eforms_submissions_status",
        request=StatusInputSerializer,
        responses={200: SubmissionSerializer, 400: ErrorSerializer},
        description=(
            "Move the case along the transition table: submitted → in_review → more_info_requested → "
            "in_review / approved / rejected. Any other move is a 400 naming the allowed ones."
        ),
        tags=["eforms"],
    )
    def post(self, request: Request, submission_id: Any) -> Response:
        submission = self.case(submission_id)
        data = StatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        casework.case_transition(
            submission=submission,
            to_status=data.validated_data["status"],
            reason=data.validated_data.get("reason", ""),
            by=None,
            via=request.user.label,
        )
        return Response(SubmissionSerializer(self.case(submission_id), context={"request": request}).data)


class AttachmentDownloadView(EformsAPIView):
    @extend_schema(
        operation_id="eforms_attachments_download",
        responses={(200, "application/octet-stream"): OpenApiResponse(BINARY)},
        tags=["eforms"],
    )
    def get(self, request: Request, submission_id: Any, attachment_id: Any) -> FileResponse:
        submission = self.case(submission_id)
        attachment = submission.attachments.filter(public_id=attachment_id).first()
        if attachment is None:
            raise exceptions.NotFound()
        return attachment_response(attachment)
