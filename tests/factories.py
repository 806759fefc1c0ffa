"""Factories for test data, one per model the tests create."""

import factory
from allauth.account.models import EmailAddress

from eid.constants import AssuranceLevel, District, OfficerRole
from eid.models import Department, OfficerMembership, User
from services.notifications.models import Message

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"resident{n}@example.test")
    legal_name_en = factory.Sequence(lambda n: f"CHAN Tai Man {n}")
    legal_name_zh = "陳大文"
    address_district = District.SHA_TIN
    assurance_level = AssuranceLevel.LOW
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified_email(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")
    name_zh_hant = factory.Sequence(lambda n: f"部門{n}")
    name_zh_hans = factory.Sequence(lambda n: f"部门{n}")


class OfficerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficerMembership

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = OfficerRole.OFFICER


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    recipient = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    subject = factory.Sequence(lambda n: f"Message {n}")
    body = "Your application has been received."
