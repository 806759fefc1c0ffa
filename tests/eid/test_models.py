"""The resident model, departments, assurance levels and the actions that write them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from eid.actions import officer_membership_grant, user_set_assurance_level, user_set_hkid
from eid.audit.chain import audit_chain_verify
from eid.audit.models import AuditEvent
from eid.constants import AssuranceLevel, Language, OfficerRole
from eid.hkid import hkid_hash
from eid.models import OfficerMembership, User, mobile_validator
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CLEAR_FORMS = ["A123456(3)", "A1234563", "A123456", "1234563"]


def _row_text(user: User) -> str:
    """Every column value of the user's database row, as one string."""
    row = User.objects.filter(pk=user.pk).values().get()
    return " ".join(str(value) for value in row.values())


def test_set_hkid_stores_only_the_hash_and_the_mask() -> None:
    """The HKID is kept as its keyed hash and masked form; the clear number is nowhere in the row."""
    user = UserFactory()
    user_set_hkid(user=user, raw_hkid="a123456 (3)")

    row = User.objects.filter(pk=user.pk).values().get()
    assert row["hkid_hash"] == hkid_hash("A1234563")
    assert row["hkid_masked"] == "A123***(3)"
    text = _row_text(user)
    for clear in CLEAR_FORMS:
        assert clear not in text


def test_set_hkid_refuses_an_invalid_number_and_stores_nothing() -> None:
    """An invalid HKID raises ValidationError and leaves the resident's HKID fields empty."""
    user = UserFactory()
    with pytest.raises(ValidationError):
        user_set_hkid(user=user, raw_hkid="A123456(4)")
    row = User.objects.filter(pk=user.pk).values("hkid_hash", "hkid_masked").get()
    assert row == {"hkid_hash": "", "hkid_masked": ""}


def test_two_residents_cannot_share_one_hkid() -> None:
    """A second resident with the same HKID (in any spelling) is refused by the database."""
    user_set_hkid(user=UserFactory(), raw_hkid="A123456(3)")
    other = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        user_set_hkid(user=other, raw_hkid="a1234563")
    assert User.objects.filter(hkid_hash=hkid_hash("A1234563")).count() == 1


def test_many_residents_may_have_no_hkid_yet() -> None:
    """The uniqueness rule ignores the empty hash: residents without an HKID do not collide."""
    UserFactory.create_batch(3)
    assert User.objects.filter(hkid_hash="").count() == 3


def test_assurance_levels_are_ordered() -> None:
    """LOW < SUBSTANTIAL < HIGH, so a required level can be compared with `<` and `>=`."""
    assert AssuranceLevel.LOW < AssuranceLevel.SUBSTANTIAL < AssuranceLevel.HIGH
    assert sorted([AssuranceLevel.HIGH, AssuranceLevel.LOW, AssuranceLevel.SUBSTANTIAL]) == [
        AssuranceLevel.LOW,
        AssuranceLevel.SUBSTANTIAL,
        AssuranceLevel.HIGH,
    ]


@pytest.mark.parametrize(
    ("level", "acr"),
    [
        (AssuranceLevel.LOW, "urn:eid:hk:loa:low"),
        (AssuranceLevel.SUBSTANTIAL, "urn:eid:hk:loa:substantial"),
        (AssuranceLevel.HIGH, "urn:eid:hk:loa:high"),
    ],
)
def test_acr_values_round_trip(level: AssuranceLevel, acr: str) -> None:
    """Each level has its `urn:eid:hk:loa:*` acr value, and from_acr gives the level back."""
    assert level.acr == acr
    assert AssuranceLevel.from_acr(acr) is level


@pytest.mark.parametrize("acr", ["", "urn:eid:hk:loa:LOW", "urn:eid:hk:loa:medium", "low"])
def test_unknown_acr_is_none(acr: str) -> None:
    """An acr value that is not one of ours maps to no level."""
    assert AssuranceLevel.from_acr(acr) is None


def test_new_residents_start_at_low() -> None:
    """A new account is LOW until its identity is proofed."""
    assert (
        User.objects.create_user("new@example.test", "a-long-password").assurance_level == AssuranceLevel.LOW
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (Language.ENGLISH, "Immigration Department"),
        ("en", "Immigration Department"),
        ("zh-hant", "入境事務處"),
        ("zh-hans", "入境事务处"),
        ("fr", "Immigration Department"),
    ],
)
def test_department_name_in_each_language(language: str, expected: str) -> None:
    """A department's name follows the language; an unknown language falls back to English."""
    department = DepartmentFactory(
        code="immd", name_en="Immigration Department", name_zh_hant="入境事務處", name_zh_hans="入境事务处"
    )
    assert department.name_in(language) == expected


@pytest.mark.parametrize("number", ["+85291234567", "+85261234567", "+85251234567"])
def test_mobile_validator_accepts_hong_kong_numbers(number: str) -> None:
    """A +852 number of eight digits not starting with 0 or 1 is accepted."""
    mobile_validator(number)


@pytest.mark.parametrize(
    "number",
    [
        "12345678",
        "91234567",
        "+85211234567",
        "+85201234567",
        "+8529123456",
        "+852912345678",
        "+86 91234567",
        "",
    ],
)
def test_mobile_validator_refuses_other_numbers(number: str) -> None:
    """Numbers without +852, of the wrong length or starting with 0/1 are refused."""
    with pytest.raises(ValidationError):
        mobile_validator(number)


def test_mobile_validator_refuses_a_trailing_newline() -> None:
    """A number followed by a newline is not a valid mobile number."""
    with pytest.raises(ValidationError):
        mobile_validator("+85291234567\n")


def test_full_clean_checks_the_mobile_number() -> None:
    """Model validation of a resident refuses a malformed mobile number on that field."""
    user = UserFactory(mobile_number="12345678")
    with pytest.raises(ValidationError) as exc:
        user.full_clean()
    assert set(exc.value.message_dict) == {"mobile_number"}


def test_set_assurance_level_writes_an_audit_event() -> None:
    """Raising a resident's level saves it and writes `assurance.changed` with from/to acr values."""
    officer = UserFactory()
    user = UserFactory(assurance_level=AssuranceLevel.LOW)

    user_set_assurance_level(user=user, level=AssuranceLevel.SUBSTANTIAL, by=officer, reason="counter check")

    user.refresh_from_db()
    assert user.assurance_level == AssuranceLevel.SUBSTANTIAL
    event = AuditEvent.objects.get(event_type="assurance.changed")
    assert event.actor_id == officer.pk
    assert event.subject_id == user.pk
    assert event.data == {
        "from": "urn:eid:hk:loa:low",
        "to": "urn:eid:hk:loa:substantial",
        "reason": "counter check",
    }
    assert audit_chain_verify().ok


def test_set_assurance_level_unchanged_is_a_no_op() -> None:
    """Setting the level a resident already has writes no audit event."""
    user = UserFactory(assurance_level=AssuranceLevel.HIGH)
    user_set_assurance_level(user=user, level=AssuranceLevel.HIGH, by=None, reason="again")
    user.refresh_from_db()
    assert user.assurance_level == AssuranceLevel.HIGH
    assert not AuditEvent.objects.exists()


def test_lowering_the_level_is_audited_too() -> None:
    """Lowering a level (e.g. after a lost document) is recorded with the levels both ways."""
    user = UserFactory(assurance_level=AssuranceLevel.HIGH)
    user_set_assurance_level(user=user, level=AssuranceLevel.LOW, by=None, reason="document reported lost")
    event = AuditEvent.objects.get(event_type="assurance.changed")
    assert (event.data["from"], event.data["to"]) == ("urn:eid:hk:loa:high", "urn:eid:hk:loa:low")
    assert event.actor_id is None


def test_granting_a_role_twice_updates_it_and_audits_both() -> None:
    """Granting a role creates or updates the one membership and writes an event each time."""
    user = UserFactory()
    department = DepartmentFactory(code="ogcio")
    officer_membership_grant(user=user, department=department, role=OfficerRole.OFFICER, by=None)
    officer_membership_grant(user=user, department=department, role=OfficerRole.MANAGER, by=None)

    membership = OfficerMembership.objects.get(user=user, department=department)
    assert membership.role == OfficerRole.MANAGER
    roles = [event.data["role"] for event in AuditEvent.objects.filter(event_type="officer.role_granted")]
    assert roles == ["officer", "manager"]
