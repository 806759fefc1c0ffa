"""The registry and the system checks over what services declare."""

import pytest

from eid.constants import AssuranceLevel
from services.base import Category, ServiceApp
from services.checks import registry_errors
from services.registry import Registry


class CompleteService(ServiceApp):
    names = {"en": "Parking permits", "zh-hant": "泊車許可證", "zh-hans": "泊车许可证"}
    summaries = {"en": "Apply for a permit.", "zh-hant": "申請許可證。", "zh-hans": "申请许可证。"}
    department_code = "td"
    category = Category.TRANSPORT
    urlconf = "services.notifications.urls"
    required_assurance = AssuranceLevel.SUBSTANTIAL
    scopes = {"address": "To check that you live in the zone."}


def test_a_service_registers_under_its_slug() -> None:
    """`@registry("slug")` makes one instance of the service, found by its slug."""
    registry = Registry()
    registry("parking")(CompleteService)
    assert registry.get("parking").slug == "parking"
    assert [service.slug for service in registry] == ["parking"]


def test_a_slug_cannot_be_registered_twice() -> None:
    registry = Registry()
    registry("parking")(CompleteService)
    with pytest.raises(ValueError, match="already registered"):
        registry("parking")(CompleteService)


@pytest.mark.parametrize("slug", ["", "Parking", "parking permits", "x", "a" * 60, "../admin"])
def test_a_malformed_slug_is_refused(slug: str) -> None:
    with pytest.raises(ValueError, match="slug"):
        Registry()(slug)(CompleteService)


def test_a_complete_declaration_passes_the_checks() -> None:
    registry = Registry()
    registry("parking")(CompleteService)
    assert registry_errors(registry) == []


def test_the_checks_name_each_missing_or_wrong_declaration() -> None:
    """Missing translations, unknown category or scope, empty purpose and a bad urlconf are errors."""

    class BrokenService(ServiceApp):
        names = {"en": "Broken"}
        summaries = {"en": "Broken."}
        category = "gardening"
        urlconf = "services.does_not_exist"
        scopes = {"favourite_colour": "Why not", "email": " "}

    registry = Registry()
    registry("broken")(BrokenService)
    ids = {message.id for message in registry_errors(registry)}
    assert ids == {
        "services.E001",
        "services.E002",
        "services.E003",
        "services.E004",
        "services.E006",
        "services.E007",
        "services.E009",
    }


def test_the_global_registry_passes_the_system_checks() -> None:
    from django.core import checks

    assert [m for m in checks.run_checks(tags=["services"]) if m.is_serious()] == []
