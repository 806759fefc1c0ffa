"""REST API for department systems: /api/v1/notifications/ with per-department API keys, or an
OIDC client-credentials access token with the `notifications.send` scope (the client acts as a live
key of its department, a test key if it is a sandbox client).

Thin: serializers validate the shape, actions validate the rules, ApplicationError becomes a 400.
"""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eid.public import LANGUAGE_CODES, ApplicationError, ClientCredentialsAuthentication, District, User
from services.notifications import actions, selectors
from services.notifications.models import ApiKey, Broadcast, Channel, Notification
from services.notifications.rendering import MAX_VALUE_CHARS
from services.notifications.throttling import ApiKeyRateThrottle

SEND_SCOPE = "notifications.send"
KEY_PREFIXES = tuple(f"{key_type}-" for key_type in ApiKey.KeyType.values)


class InsufficientScope(exceptions.PermissionDenied):
    """RFC 6750 §3.1: a valid token without the scope the API needs (403 with a challenge)."""

    default_code = "insufficient_scope"


class DepartmentApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`; a missing or unknown key is a 401 with WWW-Authenticate.

    A bearer value that is not shaped like a key (`live-…`, `test-…`) is left to the OIDC access
    token class that follows."""

    def authenticate(self, request: Request) -> tuple[object, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header."))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from exc
        if not key.startswith(KEY_PREFIXES):
            return None
        api_key = selectors.api_key_authenticate(key_hash=actions.api_key_hash(key))
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        return (ApiKeyUser(api_key), api_key)

    def authenticate_header(self, request: Request) -> str:
        # DRF takes the first class's challenge: a DPoP-bound access token's error is eid's to name.
        if get_authorization_header(request).lower().startswith(b"dpop") or hasattr(
            request._request, "eid_dpop_error"
        ):
            return ClientCredentialsAuthentication().authenticate_header(request)
        if get_authorization_header(request).lower().startswith(b"bearer"):
            return 'Bearer realm="notifications", error="invalid_token"'
        return 'Bearer realm="notifications"'


class DepartmentClientAuthentication(BaseAuthentication):
    """A department system's OIDC access token (client credentials, eid's token check with DPoP),
    which must carry `notifications.send`; it then sends as its department's key for that client."""

    def authenticate(self, request: Request) -> tuple[object, ApiKey] | None:
        result = ClientCredentialsAuthentication().authenticate(request)
        if result is None:
            return None
        service, _token = result
        if SEND_SCOPE not in service.scopes:
            raise InsufficientScope(_("The access token lacks the notifications.send scope."))
        api_key = actions.api_key_for_client(
            department=service.department, client_id=service.client_id, sandbox=service.sandbox
        )
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This client's access to the API is revoked."))
        return (ApiKeyUser(api_key), api_key)

    def authenticate_header(self, request: Request) -> str:
        return ClientCredentialsAuthentication().authenticate_header(request)


class DepartmentClientScheme(OpenApiAuthenticationExtension):
    target_class = "services.notifications.api.DepartmentClientAuthentication"
    name = "departmentOidcClient"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An access token of the eID OpenID provider for a department system (client "
                "credentials grant, scope notifications.send)."
            ),
        }


class DepartmentApiKeyScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI schema (/api/schema/)."""

    target_class = "services.notifications.api.DepartmentApiKeyAuthentication"
    name = "departmentApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A department's notifications API key (a test key never delivers).",
        }


class ApiKeyUser:
    """Stands in for request.user: the department system, not a resident."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key


class HasApiKey(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, ApiKey)


class DepartmentAPIView(APIView):
    authentication_classes = [DepartmentApiKeyAuthentication, DepartmentClientAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyRateThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ApplicationError):
            return Response({"error": exc.code, "detail": exc.message, **exc.extra}, status=400)
        if isinstance(exc, InsufficientScope):
            response = Response({"error": "insufficient_scope", "detail": str(exc.detail)}, status=403)
            response["WWW-Authenticate"] = (
                f'Bearer realm="notifications", error="insufficient_scope", scope="{SEND_SCOPE}"'
            )
            return response
        return super().handle_exception(exc)


class SendSerializer(serializers.Serializer):
    template_id = serializers.CharField(max_length=64, help_text="Template UUID or notification type.")
    recipient = serializers.UUIDField(required=False, help_text="A resident's eID public identifier.")
    email_address = serializers.CharField(required=False, max_length=254)
    phone_number = serializers.CharField(required=False, max_length=32)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False, allow_empty=False
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)
    personalisation = serializers.DictField(
        child=serializers.CharField(max_length=MAX_VALUE_CHARS, allow_blank=True),
        required=False,
        default=dict,
    )
    reference = serializers.CharField(required=False, max_length=100)
    idempotency_key = serializers.CharField(required=False, max_length=100)

    def validate(self, attrs: dict) -> dict:
        given = [name for name in ("recipient", "email_address", "phone_number") if attrs.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError(
                _("Give exactly one of recipient, email_address or phone_number.")
            )
        if attrs.get("recipient"):
            user = User.objects.filter(public_id=attrs["recipient"], is_active=True).first()
            if user is None:
                raise serializers.ValidationError({"recipient": _("No resident has this identifier.")})
            attrs["recipient"] = user
        elif attrs.get("email_address"):
            attrs["recipient"] = actions.normalise_email(attrs["email_address"])
        else:
            attrs["recipient"] = actions.normalise_phone(attrs["phone_number"])
        if len(str(attrs.get("personalisation", {}))) > 20_000:
            raise serializers.ValidationError({"personalisation": _("The personalisation is too large.")})
        return attrs


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()


class NotificationSerializer(serializers.Serializer):
    """The answer's shape, for the schema (notification_data builds it)."""

    id = serializers.UUIDField()
    channel = serializers.CharField(help_text="inbox, email or sms")
    status = serializers.CharField()
    reference = serializers.CharField()
    template = TemplateRefSerializer()
    language = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField()
    test = serializers.BooleanField()


class SentSerializer(serializers.Serializer):
    notifications = NotificationSerializer(many=True)


class BroadcastProgressSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    district = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    total = serializers.IntegerField(allow_null=True)
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    opted_out = serializers.IntegerField()
    pending = serializers.IntegerField(allow_null=True)
    test = serializers.BooleanField()


def notification_data(notification: Notification) -> dict:
    return {
        "id": str(notification.pk),
        "channel": notification.channel,
        "status": notification.status,
        "reference": notification.reference,
        "template": {
            "id": str(notification.template_version.template.public_id),
            "version": notification.template_version.version,
        },
        "language": notification.language,
        "created_at": notification.created_at.isoformat(),
        "completed_at": notification.completed_at.isoformat() if notification.completed_at else None,
        "failure_reason": notification.failure_reason,
        "test": notification.is_test,
    }


class NotificationListView(DepartmentAPIView):
    @extend_schema(request=SendSerializer, responses={201: SentSerializer}, summary="Send a notification")
    def post(self, request: Request) -> Response:
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        api_key: ApiKey = request.auth
        template = selectors.template_for_department(
            department_id=api_key.department_id, template_id=data["template_id"]
        )
        if template is None:
            raise ApplicationError(_("Unknown template."), code="unknown_template")
        notifications = actions.notification_send(
            template=template,
            recipient=data["recipient"],
            personalisation=data["personalisation"],
            reference=data.get("reference"),
            idempotency_key=data.get("idempotency_key"),
            channels=data.get("channels"),
            language=data.get("language"),
            is_test=api_key.key_type == ApiKey.KeyType.TEST,
            api_key=api_key,
        )
        return Response(
            {"notifications": [notification_data(n) for n in notifications]}, status=status.HTTP_201_CREATED
        )


class NotificationDetailView(DepartmentAPIView):
    @extend_schema(responses={200: NotificationSerializer}, summary="A notification's status")
    def get(self, request: Request, notification_id: str) -> Response:
        notification = selectors.notification_for_department(
            department_id=request.auth.department_id, notification_id=notification_id
        )
        if notification is None:
            raise exceptions.NotFound()
        return Response(notification_data(notification))


class BroadcastSerializer(serializers.Serializer):
    template_id = serializers.CharField(max_length=64)
    district = serializers.ChoiceField(choices=District.choices)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False, allow_empty=False
    )
    personalisation = serializers.DictField(
        child=serializers.CharField(max_length=MAX_VALUE_CHARS, allow_blank=True),
        required=False,
        default=dict,
    )


def broadcast_data(broadcast: Broadcast) -> dict:
    progress = selectors.broadcast_progress(broadcast=broadcast)
    return {
        "id": str(broadcast.public_id),
        "district": broadcast.district,
        "channels": broadcast.channels,
        "total": progress.total,
        "sent": progress.sent,
        "failed": progress.failed,
        "opted_out": progress.opted_out,
        "pending": progress.pending,
        "test": broadcast.is_test,
    }


class BroadcastListView(DepartmentAPIView):
    @extend_schema(
        request=BroadcastSerializer,
        responses={201: BroadcastProgressSerializer},
        summary="Publish a notice to a district",
    )
    def post(self, request: Request) -> Response:
        serializer = BroadcastSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = selectors.template_for_department(
            department_id=request.auth.department_id, template_id=data["template_id"]
        )
        if template is None:
            raise ApplicationError(_("Unknown template."), code="unknown_template")
        broadcast = actions.broadcast_publish(
            template=template,
            district=data["district"],
            personalisation=data["personalisation"],
            channels=data.get("channels") or (Channel.INBOX,),
            is_test=request.auth.key_type == ApiKey.KeyType.TEST,
        )
        return Response(broadcast_data(broadcast), status=status.HTTP_201_CREATED)


class BroadcastDetailView(DepartmentAPIView):
    @extend_schema(responses={200: BroadcastProgressSerializer}, summary="A broadcast's progress")
    def get(self, request: Request, broadcast_id: str) -> Response:
        broadcast = selectors.broadcast_for_department(
            department_id=request.auth.department_id, broadcast_id=broadcast_id
        )
        if broadcast is None:
            raise exceptions.NotFound()
        return Response(broadcast_data(broadcast))
