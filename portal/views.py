"""The resident's home, "My portal", the back-office index, health and error pages."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from eid.public import officer_memberships, session_assurance_level
from services.selectors import dashboard_for_citizen, service_catalogue


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"services": service_catalogue()[:6]})


@login_required
def my_portal(request: HttpRequest) -> HttpResponse:
    sections = dashboard_for_citizen(citizen=request.user)
    context = {"sections": sections, "session_level": session_assurance_level(request)}
    return render(request, "portal/my_portal.html", context)


@login_required
def back_office(request: HttpRequest) -> HttpResponse:
    memberships = list(officer_memberships(officer=request.user))
    if not memberships:
        raise Http404
    verifies_identity = any(membership.department.verifies_identity for membership in memberships)
    context = {"memberships": memberships, "verifies_identity": verifies_identity}
    return render(request, "portal/back_office.html", context)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database always; the broker when one is configured. 503 when any check fails."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy; the class name is enough
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _broker_status()
    else:
        checks["broker"] = "not configured (tasks run in process)"
    healthy = all(value == "ok" or value.startswith("not configured") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


def _broker_status() -> str:
    from portal.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"


def _error(request: HttpRequest, status: int) -> HttpResponse:
    return render(request, f"errors/{status}.html", status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 429)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)
