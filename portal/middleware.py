"""Security headers and limits Django does not set by itself."""

from collections.abc import Callable

from allauth.core.context import request_context
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(self), publickey-credentials-get=(self)"
)


class ReferrerAndPermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class SignedInNoStoreMiddleware:
    """Pages shown to a signed-in person carry their personal data (a masked HKID, addresses, an
    authenticator's secret while it is set up): no shared or browser cache may keep them, so the
    next person at a shared computer cannot page back to them. A view that sets its own
    Cache-Control (a public CA certificate, say) keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class RequestBodyLimitMiddleware:
    """Refuses a request body over REQUEST_BODY_MAX_BYTES by its declared length, before anything
    reads it. DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files: Django would stream any size
    to a temporary file and the form would refuse it only once it had all arrived."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.REQUEST_BODY_MAX_BYTES:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": _("The request is too large.")}, status=413)
        else:
            response = render(request, "errors/413.html", status=413)
        # No Connection header: it is hop-by-hop, which WSGI forbids (gunicorn closes or drains an
        # unread body itself).
        return response


MACHINE_CSP = "default-src 'none'; frame-ancestors 'none'"


class MachineEndpointMiddleware:
    """What a JSON endpoint for relying parties' servers needs from the stack browsers get
    (portal/handlers.py): no browser user (the client or the bearer token is authenticated per
    request), a fixed strict CSP instead of the page policy, and no framing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = AnonymousUser()
        with request_context(request):  # allauth's IdP finds the request here (its AccountMiddleware's job)
            response = self.get_response(request)
        response.setdefault("Content-Security-Policy", MACHINE_CSP)
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not response.streaming and "Content-Length" not in response:
            response["Content-Length"] = str(len(response.content))
        return response
