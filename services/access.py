"""The assurance guard in front of every service's URLs."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, reverse

from eid.public import session_assurance_level
from services.base import ServiceApp

View = Callable[..., HttpResponse]


def guard_view(view: View, service: ServiceApp) -> View:
    """Anonymous → sign-in; below the service's level → step-up page; otherwise the view."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        level = session_assurance_level(request)
        if level is None or level < service.required_assurance:
            query = urlencode({"level": int(service.required_assurance), "next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('eid:step_up')}?{query}")
        request.service = service
        return view(request, *args, **kwargs)

    return guarded


def guard_urlpatterns(patterns: list, service: ServiceApp) -> list:
    """Wrap every view of a service's URLconf (recursively) in the guard."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = guard_view(pattern.callback, service)
        elif isinstance(pattern, URLResolver):
            guard_urlpatterns(pattern.url_patterns, service)
    return patterns
