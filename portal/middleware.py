"""Security headers Django does not set by itself."""

from collections.abc import Callable

from allauth.core.context import request_context
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

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
