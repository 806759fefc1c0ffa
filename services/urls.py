"""Mounts every registered service at /services/<slug>/ behind the assurance guard."""

from importlib import import_module

from django.urls import include, path

from services import views
from services.access import guard_urlpatterns
from services.registry import register


def service_urlpatterns() -> list:
    patterns = [path("", views.catalogue, name="services_catalogue")]
    for service in register:
        module = import_module(service.urlconf)
        app_name = getattr(module, "app_name", service.slug)
        mounted = guard_urlpatterns(list(module.urlpatterns), service)
        patterns.append(path(f"{service.slug}/", include((mounted, app_name), namespace=service.slug)))
    return patterns


urlpatterns = service_urlpatterns()
