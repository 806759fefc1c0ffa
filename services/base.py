"""The e-service contract: what a department's service declares and may implement.

A service declares; the platform enforces (URL mounting behind the assurance guard, the catalogue,
the dashboard, system checks and the shared contract tests).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eid.public import AssuranceLevel, User


class Category(models.TextChoices):
    IDENTITY = "identity", _("Identity and documents")
    HOUSING = "housing", _("Housing and property")
    TRANSPORT = "transport", _("Transport and driving")
    HEALTH = "health", _("Health")
    LEISURE = "leisure", _("Leisure and culture")
    TAX = "tax", _("Tax and payments")
    COMMUNICATION = "communication", _("Messages and notifications")
    COMPLAINTS = "complaints", _("Enquiries and complaints")


@dataclass(frozen=True)
class DashboardItem:
    """One line on the resident's "My portal": an application, a booking, unread messages."""

    title: str
    url: str
    status: str = ""
    updated_at: datetime | None = None
    badge: int | None = None


@dataclass(frozen=True)
class Availability:
    available: bool = True
    message: str = ""


@dataclass
class ServiceApp:
    """Subclass, fill in the declarations and decorate with `@register("slug")` in service.py."""

    # Declarations.
    names: ClassVar[dict[str, str]] = {}
    summaries: ClassVar[dict[str, str]] = {}
    department_code: ClassVar[str] = ""
    category: ClassVar[str] = ""
    urlconf: ClassVar[str] = ""
    required_assurance: ClassVar[AssuranceLevel] = AssuranceLevel.LOW
    # eID scopes the service reads, each with its purpose shown to the resident.
    scopes: ClassVar[dict[str, str]] = {}
    notification_types: ClassVar[tuple[str, ...]] = ()
    takes_payments: ClassVar[bool] = False
    # The URL name (inside the service's namespace) of its first page.
    entry_url_name: ClassVar[str] = "index"

    slug: str = field(default="")

    # Localised declarations.
    def name(self, language: str | None = None) -> str:
        return _pick(self.names, language)

    def summary(self, language: str | None = None) -> str:
        return _pick(self.summaries, language)

    @property
    def entry_url(self) -> str:
        return reverse(f"{self.slug}:{self.entry_url_name}")

    # What a service may implement.
    def dashboard_items(self, *, citizen: User) -> list[DashboardItem]:
        """Items for "My portal". Must cost a constant number of queries, however many items."""
        return []

    def availability(self, *, now: datetime) -> Availability:
        return Availability()

    def export_resident_data(self, *, citizen: User) -> dict:
        """Everything this service holds about the resident, for the resident's data page."""
        return {}

    def erase_resident_data(self, *, citizen: User) -> int:
        """Erase what the service may erase; returns the number of records removed."""
        return 0


def _pick(values: dict[str, str], language: str | None) -> str:
    language = (language or get_language() or "en").lower()
    return values.get(language) or values.get("en", "")
