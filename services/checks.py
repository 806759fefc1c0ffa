"""System checks over what each registered service declares."""

from importlib import import_module

from django.core import checks

from eid.public import LANGUAGE_CODES, SCOPES, AssuranceLevel
from services.base import Category, ServiceApp
from services.registry import Registry, register


def service_declaration_errors(service: ServiceApp) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    obj = type(service).__name__

    def error(msg: str, code: int) -> None:
        errors.append(checks.Error(f"Service {service.slug!r}: {msg}", obj=obj, id=f"services.E{code:03d}"))

    for language in LANGUAGE_CODES:
        if not service.names.get(language):
            error(f"no name in {language}.", 1)
        if not service.summaries.get(language):
            error(f"no summary in {language}.", 2)
    if not service.department_code:
        error("no owning department_code.", 3)
    if service.category not in Category.values:
        error(f"category {service.category!r} is not one of {Category.values}.", 4)
    if not isinstance(service.required_assurance, AssuranceLevel):
        error("required_assurance must be an AssuranceLevel.", 5)
    for scope, purpose in service.scopes.items():
        if scope not in SCOPES:
            error(f"scope {scope!r} is not an eID scope.", 6)
        if not str(purpose).strip():
            error(f"scope {scope!r} has no purpose text.", 7)
    try:
        module = import_module(service.urlconf)
        if not getattr(module, "urlpatterns", None):
            error(f"urlconf {service.urlconf!r} has no urlpatterns.", 8)
    except ImportError as exc:
        error(f"urlconf {service.urlconf!r} cannot be imported ({exc}).", 9)
    return errors


def registry_errors(registry: Registry) -> list[checks.CheckMessage]:
    return [message for service in registry for message in service_declaration_errors(service)]


@checks.register("services")
def check_registered_services(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    return registry_errors(register)
