"""Factories for online forms (kept here rather than in tests/factories.py, which many helpers edit)."""

import copy

import factory
from django.utils import timezone

from eid.public import AssuranceLevel
from services.eforms.models import Form, FormVersion
from tests.factories import DepartmentFactory


def text(en: str) -> dict:
    return {"en": en, "zh-hant": f"{en} 繁", "zh-hans": f"{en} 简"}


SIMPLE_DEFINITION = {
    "title": text("Apply for a thing"),
    "pages": [
        {
            "key": "about",
            "title": text("About you"),
            "fields": [
                {"key": "name", "type": "text", "label": text("Your name"), "required": True},
            ],
        }
    ],
}


class FormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Form

    department = factory.SubFactory(DepartmentFactory)
    slug = factory.Sequence(lambda n: f"form-{n}")
    reference_prefix = "TST"


class FormVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FormVersion

    form = factory.SubFactory(FormFactory)
    number = factory.Sequence(lambda n: n + 1)
    definition = factory.LazyFunction(lambda: copy.deepcopy(SIMPLE_DEFINITION))
    required_assurance = AssuranceLevel.LOW


def published_version(**kwargs: object) -> FormVersion:
    """A published version, set as its form's current one."""
    version = FormVersionFactory(status=FormVersion.Status.PUBLISHED, published_at=timezone.now(), **kwargs)
    form = version.form
    form.status = Form.Status.PUBLISHED
    form.published_version = version
    form.save()
    return version
