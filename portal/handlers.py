"""Two middleware stacks in one site: browser pages get settings.MIDDLEWARE, the OIDC provider's
machine endpoints get settings.MACHINE_MIDDLEWARE.

The token, userinfo, introspection, revocation and PAR endpoints, discovery and the JWKS are called
by relying parties' servers, never by a browser session: they authenticate the client or the bearer
token on every request and answer JSON. Sessions, CSRF, locale negotiation, messages, allauth's
account and device middleware and the page CSP (built per request) do nothing for them but cost
~0.13 ms a request, more than a discovery GET's own work (bench/README.md). They get a short stack
instead, with the headers a JSON API needs (MachineEndpointMiddleware).

The production WSGI application (portal/wsgi.py) routes with RoutingWSGIHandler; the tests' client
routes the same way (tests/conftest.py), so every test of those endpoints runs the stack production
runs.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

# Exact paths, and prefixes ending in "/" (the site root: partners configure fixed URLs, eid/oidc/urls.py).
MACHINE_PATHS = (
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
    "/identity/o/par",
    "/identity/o/api/",
)


def is_machine_path(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in MACHINE_PATHS)


class MachineEndpointHandler(BaseHandler):
    """Django's request handling with settings.MACHINE_MIDDLEWARE (synchronous, as under WSGI)."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler: Callable[[HttpRequest], HttpResponse] = convert_exception_to_response(self._get_response)
        for middleware_path in reversed(settings.MACHINE_MIDDLEWARE):
            instance = import_string(middleware_path)(handler)
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


class MachineRoutingMixin:
    """For a Django handler: machine-endpoint requests go through a MachineEndpointHandler."""

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async)  # type: ignore[misc]
        self._machine_handler = MachineEndpointHandler()
        self._machine_handler.load_middleware()

    def get_response(self, request: HttpRequest) -> HttpResponse:
        if is_machine_path(request.path_info):
            return self._machine_handler.get_response(request)
        return super().get_response(request)  # type: ignore[misc]


class RoutingWSGIHandler(MachineRoutingMixin, WSGIHandler):
    pass


def get_wsgi_application() -> RoutingWSGIHandler:
    """django.core.wsgi.get_wsgi_application, with the machine endpoints' own stack."""
    import django

    django.setup(set_prefix=False)
    return RoutingWSGIHandler()
