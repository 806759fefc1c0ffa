"""The contract test suite every registered service inherits.

tests/services/test_contract.py runs it over every service in the registry; a department's own
tests may subclass ServiceContractTests and set `service_slug` to run it on theirs alone.
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eid.public import LANGUAGE_CODES, SCOPES, AssuranceLevel
from services.base import Availability, DashboardItem, ServiceApp
from services.checks import service_declaration_errors
from services.registry import register


class ServiceContractTests:
    service_slug: str = ""

    @pytest.fixture
    def service(self) -> ServiceApp:
        service = register.get(self.service_slug)
        assert service is not None, f"No service registered as {self.service_slug!r}"
        return service

    def test_declarations_pass_the_system_checks(self, service: ServiceApp) -> None:
        """Every declaration the platform relies on is present and valid."""
        assert service_declaration_errors(service) == []

    def test_names_and_summaries_exist_in_every_language(self, service: ServiceApp) -> None:
        for language in LANGUAGE_CODES:
            assert service.name(language).strip()
            assert service.summary(language).strip()

    def test_scopes_are_eid_scopes_with_a_purpose(self, service: ServiceApp) -> None:
        for scope, purpose in service.scopes.items():
            assert scope in SCOPES and str(purpose).strip()

    def test_entry_page_sends_an_anonymous_visitor_to_sign_in(self, service: ServiceApp, db: None) -> None:
        response = Client().get(service.entry_url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_guard_enforces_the_declared_level(
        self, service: ServiceApp, user_factory: type, db: None
    ) -> None:
        """Below the required level → step-up page; at it (with a second factor if needed) → the page."""
        for level in AssuranceLevel:
            citizen = user_factory(assurance_level=level)
            client = Client()
            client.force_login(citizen)
            record_second_factor(client, citizen)
            response = client.get(service.entry_url)
            if level < service.required_assurance:
                assert response.status_code == 302 and "/eid/step-up/" in response["Location"]
            else:
                assert response.status_code == 200

    def test_dashboard_items_cost_a_constant_number_of_queries(
        self, service: ServiceApp, user_factory: type, db: None
    ) -> None:
        citizen = user_factory()
        with CaptureQueriesContext(connection) as first:
            items = service.dashboard_items(citizen=citizen)
        assert all(isinstance(item, DashboardItem) for item in items)
        assert len(first) <= 5, "dashboard_items must stay within a few queries"

    def test_availability_export_and_erasure_answer(
        self, service: ServiceApp, user_factory: type, db: None
    ) -> None:
        citizen = user_factory()
        assert isinstance(service.availability(now=datetime.now(tz=UTC)), Availability)
        assert isinstance(service.export_resident_data(citizen=citizen), dict)
        assert isinstance(service.erase_resident_data(citizen=citizen), int)


def record_second_factor(
    client: Client, citizen: object, *, at: float = 0.0, mfa_at: float | None = None
) -> None:
    """Mark the test session as signed in with password (at `at`) and a TOTP code (at `mfa_at`,
    default the same time), as allauth records the steps. The default 0.0 is a sign-in long ago."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(citizen.pk)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": at, "email": citizen.email},
        {"method": "mfa", "type": "totp", "id": 1, "at": at if mfa_at is None else mfa_at},
    ]
    session.save()
