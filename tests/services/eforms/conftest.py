"""Online forms fixtures: private storage in a temporary directory, a published form, signed-in clients."""

import copy
import time
from pathlib import Path

import pytest
from django.test import Client

from eid.public import AssuranceLevel, District
from services.testing import record_second_factor
from tests.factories import DepartmentFactory, UserFactory
from tests.services.eforms.factories import published_version, text


@pytest.fixture(autouse=True)
def _private_root(settings: object, tmp_path: Path) -> Path:
    settings.EFORMS_PRIVATE_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_unless_worker: None) -> None:
    """See tests/conftest.py: tasks run in process here."""


PARKING = {
    "title": text("Apply for a parking permit"),
    "pages": [
        {
            "key": "applicant",
            "title": text("About you"),
            "fields": [
                {
                    "key": "name",
                    "type": "text",
                    "label": text("Full name"),
                    "prefill": "name_en",
                    "required": True,
                },
                {
                    "key": "address",
                    "type": "hk_address",
                    "label": text("Home address"),
                    "prefill": "address",
                    "required": True,
                },
                {"key": "phone", "type": "phone", "label": text("Mobile number"), "required": True},
            ],
        },
        {
            "key": "vehicle",
            "title": text("Your vehicle"),
            "fields": [
                {
                    "key": "owner",
                    "type": "choice",
                    "label": text("Who owns the vehicle?"),
                    "required": True,
                    "choices": [
                        {"value": "me", "label": text("I do")},
                        {"value": "company", "label": text("A company")},
                    ],
                },
                {
                    "key": "company",
                    "type": "text",
                    "label": text("Company name"),
                    "required": True,
                    "show_if": {"field": "owner", "equals": "company"},
                },
                {
                    "key": "plate",
                    "type": "text",
                    "label": text("Registration mark"),
                    "required": True,
                    "max_length": 8,
                    "pattern": "[A-Z]{2}[0-9]{1,4}",
                },
            ],
        },
        {
            "key": "company_proof",
            "title": text("Company documents"),
            "show_if": {"field": "owner", "equals": "company"},
            "fields": [
                {
                    "key": "letter",
                    "type": "file",
                    "label": text("Letter from the company"),
                    "required": True,
                    "accept": ["pdf"],
                    "max_size": 2000,
                }
            ],
        },
        {
            "key": "declaration",
            "title": text("Declaration"),
            "fields": [{"key": "declare", "type": "declaration", "label": text("The information is true.")}],
        },
    ],
}


@pytest.fixture
def transport(db: None) -> object:
    return DepartmentFactory(code="td", name_en="Transport Department")


@pytest.fixture
def make_form(transport: object):
    def make(definition: dict | None = None, **kwargs: object) -> object:
        kwargs.setdefault("form__department", transport)
        kwargs.setdefault("form__reference_prefix", "PPM")
        return published_version(definition=copy.deepcopy(definition or PARKING), **kwargs)

    return make


@pytest.fixture
def parking(make_form: object) -> object:
    return make_form()


@pytest.fixture
def applicant(db: None) -> object:
    return UserFactory(
        legal_name_en="CHAN Tai Man",
        address_flat="Flat A, 3/F",
        address_building="Sunshine Court",
        address_street="1 Main Street",
        address_district=District.SHA_TIN,
        assurance_level=AssuranceLevel.SUBSTANTIAL,
        preferred_language="en",
    )


def signed_in(user: object, *, mfa_at: float | None = None) -> Client:
    """A client signed in with password and a second factor (session level = account level)."""
    client = Client()
    client.force_login(user)
    record_second_factor(client, user, at=time.time(), mfa_at=mfa_at)
    return client
