"""The demo data publishes the two demo forms in three languages, and seeding twice changes nothing."""

import pytest

from portal.demo import seed_demo_data
from services.eforms.definition import validate_definition
from services.eforms.models import Form, FormVersion, Submission

pytestmark = pytest.mark.django_db


def test_the_demo_forms_are_published_and_seeding_is_repeatable() -> None:
    seed_demo_data()
    seed_demo_data()
    parking = Form.objects.get(slug="residential-parking-permit")
    change = Form.objects.get(slug="change-of-address")
    assert parking.published_version.fee_cents == 45_000 and parking.published_version.signature_required
    assert change.published_version.fee_cents is None and not change.published_version.signature_required
    for form in (parking, change):
        validate_definition(form.published_version.definition, complete=True)
        assert FormVersion.objects.filter(form=form).count() == 1
    assert Submission.objects.count() == 3
    assert Submission.objects.filter(form=parking).get().reference.startswith("RPP-")
