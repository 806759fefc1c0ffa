"""Identity proofing: a resident asks, a registration officer checks the document and decides."""

import datetime

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from eid import verification as service
from eid.audit.chain import audit_chain_verify
from eid.audit.models import AuditEvent
from eid.constants import AssuranceLevel
from eid.errors import ApplicationError, PermissionDeniedError
from eid.models import User, VerificationRequest
from services.notifications.models import Message
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
BIRTHDAY = datetime.date(1990, 2, 3)
HKID = "A123456(3)"


@pytest.fixture
def registration() -> object:
    return DepartmentFactory(code="imm", name_en="Immigration Department", verifies_identity=True)


@pytest.fixture
def officer(registration: object) -> User:
    return OfficerMembershipFactory(department=registration).user


@pytest.fixture
def applicant() -> User:
    user = UserFactory()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def _submit(user: User, **overrides: object) -> VerificationRequest:
    values = {
        "legal_name_en": "CHAN Tai Man",
        "legal_name_zh": "陳大文",
        "date_of_birth": BIRTHDAY,
        "raw_hkid": HKID,
        **overrides,
    }
    return service.verification_request_submit(user=user, **values)


def _approve(request: VerificationRequest, officer: User, **overrides: object) -> VerificationRequest:
    values = {
        "document_type": VerificationRequest.Document.HKID_CARD,
        "raw_hkid_on_document": "a123456 (3)",
        "name_matches": True,
        "date_of_birth_on_document": BIRTHDAY,
        **overrides,
    }
    return service.verification_approve(verification=request, officer=officer, **values)


def test_a_request_keeps_only_the_masked_and_hashed_hkid(applicant: User, registration: object) -> None:
    request = _submit(applicant)
    row = VerificationRequest.objects.filter(pk=request.pk).values().get()
    assert "A123456" not in str(row)
    assert row["hkid_masked"] == "A123***(3)"


def test_a_request_needs_a_second_factor_first(registration: object) -> None:
    with pytest.raises(ApplicationError) as error:
        _submit(UserFactory())
    assert error.value.code == "no_second_factor"


def test_only_one_pending_request_at_a_time(applicant: User, registration: object) -> None:
    _submit(applicant)
    with pytest.raises(ApplicationError) as error:
        _submit(applicant)
    assert error.value.code == "already_pending"
    assert VerificationRequest.objects.filter(user=applicant).count() == 1


def test_an_hkid_already_linked_to_another_eid_is_refused(applicant: User, registration: object) -> None:
    from eid.actions import user_set_hkid

    user_set_hkid(user=UserFactory(), raw_hkid=HKID)
    with pytest.raises(ApplicationError) as error:
        _submit(applicant)
    assert error.value.code == "hkid_taken"


def test_approval_raises_the_account_to_substantial_and_tells_the_resident(
    applicant: User, officer: User
) -> None:
    """Approval: identity copied from the request, level raised, audited, and an inbox message sent."""
    request = _approve(_submit(applicant), officer)
    applicant.refresh_from_db()
    assert applicant.assurance_level == AssuranceLevel.SUBSTANTIAL
    assert (applicant.legal_name_en, applicant.date_of_birth, applicant.hkid_masked) == (
        "CHAN Tai Man",
        BIRTHDAY,
        "A123***(3)",
    )
    assert request.status == "approved" and request.decided_by == officer
    types = list(AuditEvent.objects.filter(subject=applicant).values_list("event_type", flat=True))
    assert types == ["verification.requested", "verification.approved", "assurance.changed"]
    approved = AuditEvent.objects.get(event_type="verification.approved")
    assert approved.actor_id == officer.pk and approved.data["document"] == "hkid_card"
    subjects = list(Message.objects.filter(recipient=applicant).values_list("subject", flat=True))
    assert subjects == ["Your identity is verified", "We received your request to verify your identity"]
    assert audit_chain_verify().ok


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"raw_hkid_on_document": "B234567(1)"}, "HKID number"),
        ({"name_matches": False}, "name"),
        ({"date_of_birth_on_document": datetime.date(1991, 2, 3)}, "date of birth"),
    ],
)
def test_a_document_that_does_not_match_cannot_be_approved(
    applicant: User, officer: User, overrides: dict, problem: str
) -> None:
    request = _submit(applicant)
    with pytest.raises(ApplicationError, match=problem):
        _approve(request, officer, **overrides)
    applicant.refresh_from_db()
    request.refresh_from_db()
    assert applicant.assurance_level == AssuranceLevel.LOW and request.status == "pending"
    assert not AuditEvent.objects.filter(event_type="verification.approved").exists()


def test_approval_seals_the_number_typed_from_the_card_and_only_then(applicant: User, officer: User) -> None:
    """The request alone seals nothing; the officer's matched approval seals the card's number."""
    from eid.hkid import hkid_unseal

    request = _submit(applicant)
    applicant.refresh_from_db()
    assert applicant.hkid_sealed == ""
    with pytest.raises(ApplicationError):
        _approve(request, officer, raw_hkid_on_document="B234567(1)")
    applicant.refresh_from_db()
    assert applicant.hkid_sealed == ""
    _approve(request, officer)
    applicant.refresh_from_db()
    assert applicant.hkid_sealed and "A123456" not in applicant.hkid_sealed
    assert hkid_unseal(applicant.hkid_sealed) == "A1234563"
    logged = " ".join(str(data) for data in AuditEvent.objects.values_list("data", flat=True))
    assert "A123456" not in logged and applicant.hkid_sealed not in logged


def test_the_sealed_number_is_not_in_the_admin(applicant: User, officer: User) -> None:
    _approve(_submit(applicant), officer)
    applicant.refresh_from_db()
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = admin.get(f"/en/admin/eid/user/{applicant.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "A123***(3)" in html
    assert "A123456" not in html and applicant.hkid_sealed not in html and "hkid_sealed" not in html


def test_setting_another_hkid_drops_the_seal(applicant: User, officer: User) -> None:
    from eid.actions import user_set_hkid

    _approve(_submit(applicant), officer)
    applicant.refresh_from_db()
    user_set_hkid(user=applicant, raw_hkid="B234567(1)")
    applicant.refresh_from_db()
    assert applicant.hkid_sealed == ""


def test_an_invalid_hkid_on_the_document_is_refused(applicant: User, officer: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _approve(_submit(applicant), officer, raw_hkid_on_document="A123456(4)")


def test_rejection_needs_a_reason_and_tells_the_resident(applicant: User, officer: User) -> None:
    request = _submit(applicant)
    with pytest.raises(ApplicationError):
        service.verification_reject(verification=request, officer=officer, reason="   ")
    service.verification_reject(verification=request, officer=officer, reason="The photo does not match")
    request.refresh_from_db()
    assert request.status == "rejected"
    message = Message.objects.filter(recipient=applicant).first()
    assert "The photo does not match" in message.body
    assert (
        AuditEvent.objects.get(event_type="verification.rejected").data["reason"]
        == "The photo does not match"
    )


def test_a_decided_request_cannot_be_decided_again(applicant: User, officer: User) -> None:
    request = _approve(_submit(applicant), officer)
    with pytest.raises(ApplicationError):
        service.verification_reject(verification=request, officer=officer, reason="changed my mind")


def test_only_registration_officers_decide(applicant: User, registration: object) -> None:
    other_department_officer = OfficerMembershipFactory(department=DepartmentFactory(code="td")).user
    request = _submit(applicant)
    with pytest.raises(PermissionDeniedError):
        _approve(request, other_department_officer)
    with pytest.raises(PermissionDeniedError):
        _approve(request, applicant)


def test_an_officer_cannot_verify_their_own_request(officer: User, registration: object) -> None:
    Authenticator.objects.create(user=officer, type=Authenticator.Type.TOTP, data={"secret": "x"})
    request = _submit(officer)
    with pytest.raises(PermissionDeniedError):
        _approve(request, officer)


def test_the_notice_is_in_the_residents_language(applicant: User, officer: User) -> None:
    applicant.preferred_language = "zh-hant"
    applicant.save()
    _approve(_submit(applicant), officer)
    subject = Message.objects.filter(recipient=applicant).first().subject
    assert subject != "Your identity is verified"
    assert not subject.isascii()


# The pages ------------------------------------------------------------------------------------


def test_the_resident_requests_verification_from_the_page(applicant: User, registration: object) -> None:
    client = Client()
    client.force_login(applicant)
    data = {"legal_name_en": "CHAN Tai Man", "date_of_birth": "1990-02-03", "hkid": HKID}
    response = client.post("/en/eid/verification/", data)
    assert response.status_code == 302
    page = client.get("/en/eid/verification/")
    assert b"A123***(3)" in page.content and b"Waiting for a counter visit" in page.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"legal_name_en": "X", "date_of_birth": "1990-02-03", "hkid": "A123456(4)"}, "check the digit"),
        ({"legal_name_en": "X", "date_of_birth": "2999-01-01", "hkid": HKID}, "in the past"),
        ({"legal_name_en": "X" * 500, "date_of_birth": "1990-02-03", "hkid": HKID}, "at most 150"),
        ({"legal_name_en": "X", "date_of_birth": "not a date", "hkid": HKID}, "valid date"),
    ],
)
def test_bad_requests_are_a_400_with_the_reason(
    applicant: User, registration: object, data: dict, message: str
) -> None:
    client = Client()
    client.force_login(applicant)
    response = client.post("/en/eid/verification/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not VerificationRequest.objects.exists()


def test_without_a_second_factor_the_page_says_so(registration: object) -> None:
    client = Client()
    client.force_login(UserFactory())
    response = client.post(
        "/en/eid/verification/", {"legal_name_en": "X", "date_of_birth": "1990-02-03", "hkid": HKID}
    )
    assert response.status_code == 400
    assert b"second factor" in response.content


def test_the_officer_queue_and_review_pages(applicant: User, officer: User) -> None:
    request = _submit(applicant)
    client = Client()
    client.force_login(officer)
    assert b"A123***(3)" in client.get("/en/back-office/verification/").content
    assert client.get(f"/en/back-office/verification/{request.pk}/").status_code == 200
    opened = AuditEvent.objects.get(event_type="officer.record_opened")
    assert opened.actor_id == officer.pk and opened.subject_id == applicant.pk
    response = client.post(
        f"/en/back-office/verification/{request.pk}/",
        {
            "action": "approve",
            "document_type": "hkid_card",
            "hkid_on_document": HKID,
            "date_of_birth_on_document": "1990-02-03",
            "name_matches": "on",
        },
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.assurance_level == AssuranceLevel.SUBSTANTIAL


def test_a_mismatch_on_the_review_page_is_a_400_and_changes_nothing(applicant: User, officer: User) -> None:
    request = _submit(applicant)
    client = Client()
    client.force_login(officer)
    response = client.post(
        f"/en/back-office/verification/{request.pk}/",
        {
            "action": "approve",
            "document_type": "hkid_card",
            "hkid_on_document": HKID,
            "date_of_birth_on_document": "1990-02-04",
        },
    )
    assert response.status_code == 400
    assert b"does not match" in response.content
    request.refresh_from_db()
    assert request.status == "pending"


def test_the_queue_is_a_404_for_other_officers_and_residents(applicant: User, registration: object) -> None:
    request = _submit(applicant)
    for user in (applicant, OfficerMembershipFactory(department=DepartmentFactory(code="td")).user):
        client = Client()
        client.force_login(user)
        assert client.get("/en/back-office/verification/").status_code == 404
        assert client.get(f"/en/back-office/verification/{request.pk}/").status_code == 404


def test_a_resident_withdraws_a_pending_request(applicant: User, registration: object) -> None:
    request = _submit(applicant)
    client = Client()
    client.force_login(applicant)
    assert client.post(f"/en/eid/verification/{request.pk}/withdraw/").status_code == 302
    request.refresh_from_db()
    assert request.status == "withdrawn"
    other = Client()
    other.force_login(UserFactory())
    assert other.post(f"/en/eid/verification/{request.pk}/withdraw/").status_code == 404
