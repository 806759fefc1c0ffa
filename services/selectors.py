"""Reads for the catalogue and the resident's dashboard."""

from dataclasses import dataclass

from eid.public import User
from services.base import DashboardItem, ServiceApp
from services.registry import Registry, register


@dataclass(frozen=True)
class DashboardSection:
    service: ServiceApp
    items: list[DashboardItem]


def service_catalogue(
    *, department: str | None = None, category: str | None = None, registry: Registry = register
) -> list[ServiceApp]:
    return [
        service
        for service in registry
        if (not department or service.department_code == department)
        and (not category or service.category == category)
    ]


def dashboard_for_citizen(*, citizen: User, registry: Registry = register) -> list[DashboardSection]:
    """Each service's items for "My portal"; every service answers in a constant number of queries."""
    sections = []
    for service in registry:
        items = service.dashboard_items(citizen=citizen)
        if items:
            sections.append(DashboardSection(service=service, items=items))
    return sections
