"""A published form version never changes; the registered service passes the contract suite."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from services.eforms.models import FormVersion, Submission, SubmissionEvent
from services.testing import ServiceContractTests
from tests.services.eforms.factories import FormVersionFactory, published_version

pytestmark = pytest.mark.django_db


class TestEformsContract(ServiceContractTests):
    service_slug = "eforms"


def test_a_draft_version_can_be_edited() -> None:
    version = FormVersionFactory()
    version.definition["title"]["en"] = "Changed"
    version.fee_cents = 100
    version.save()


def test_a_published_version_refuses_changes_to_its_definition_and_settings() -> None:
    version = published_version()
    version.definition["title"]["en"] = "Changed"
    with pytest.raises(ValidationError):
        version.save()
    version.refresh_from_db()
    version.fee_cents = 500
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        FormVersion.objects.filter(pk=version.pk).update(signature_required=True)


def test_a_published_version_may_be_retired_but_not_republished() -> None:
    version = published_version()
    version.status = FormVersion.Status.RETIRED
    version.save()
    version.status = FormVersion.Status.PUBLISHED
    with pytest.raises(ValidationError):
        version.save()


def test_one_published_version_per_form() -> None:
    version = published_version()
    with pytest.raises(IntegrityError), transaction.atomic():
        FormVersionFactory(form=version.form, status=FormVersion.Status.PUBLISHED)


def test_the_submitted_status_is_not_worded_as_the_submitted_date_column() -> None:
    """English says "Submitted" for both; Chinese does not ("已提交" vs "提交時間"). One msgid for both
    showed residents the status "提交時間" (submission time)."""
    with translation.override("zh-hant"):
        column = translation.gettext("Submitted")
        assert str(Submission.Status.SUBMITTED.label) != column
        assert str(SubmissionEvent.Kind.CREATED.label) != column
