"""Automatic revocation (assurance drop, account closed) and the officers' revocation page."""

from django.test import Client

from eid.actions import user_deactivate, user_set_assurance_level
from eid.audit.models import AuditEvent
from eid.constants import AssuranceLevel
from eid.models import User
from eid.pki.actions import certificate_issue_for_resident
from eid.pki.constants import RevocationReason, Status
from eid.pki.models import IssuedCertificate
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory


def _statuses(user: User) -> set[str]:
    return set(IssuedCertificate.objects.filter(user=user).values_list("status", flat=True))


def test_dropping_below_high_revokes_the_signing_certificates(pki: dict, substantial_resident: User) -> None:
    certificate_issue_for_resident(user=substantial_resident)
    substantial_resident.refresh_from_db()
    officer = UserFactory()
    user_set_assurance_level(
        user=substantial_resident, level=AssuranceLevel.LOW, by=officer, reason="identity in doubt"
    )
    record = IssuedCertificate.objects.get(user=substantial_resident)
    assert record.status == Status.REVOKED
    assert record.revocation_reason == RevocationReason.PRIVILEGE_WITHDRAWN
    assert record.revoked_by_id == officer.pk
    assert AuditEvent.objects.filter(event_type="pki.certificate_revoked", actor_id=officer.pk).exists()


def test_raising_the_level_revokes_nothing(pki: dict, substantial_resident: User) -> None:
    certificate_issue_for_resident(user=substantial_resident)
    substantial_resident.refresh_from_db()
    user_set_assurance_level(user=substantial_resident, level=AssuranceLevel.HIGH, by=None, reason="same")
    assert _statuses(substantial_resident) == {Status.GOOD}


def test_closing_the_account_revokes_and_is_audited(pki: dict, substantial_resident: User) -> None:
    certificate_issue_for_resident(user=substantial_resident)
    user_deactivate(user=substantial_resident, by=None, reason="closed by the resident")
    substantial_resident.refresh_from_db()
    assert not substantial_resident.is_active
    assert _statuses(substantial_resident) == {Status.REVOKED}
    assert AuditEvent.objects.filter(event_type="account.closed", subject_id=substantial_resident.pk).exists()
    # closing twice changes nothing more
    user_deactivate(user=substantial_resident, by=None, reason="again")
    assert AuditEvent.objects.filter(event_type="account.closed").count() == 1


def _officer(verifies: bool = True) -> User:
    department = DepartmentFactory(code="immd" if verifies else "fehd", verifies_identity=verifies)
    return OfficerMembershipFactory(department=department).user


def test_an_officer_finds_and_revokes_a_certificate(
    pki: dict, substantial_resident: User, client: Client
) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    officer = _officer()
    client.force_login(officer)
    page = client.get("/en/back-office/")
    assert "/back-office/certificates/" in page.content.decode()
    found = client.get("/en/back-office/certificates/", {"query": substantial_resident.email})
    assert found.status_code == 200 and record.serial in found.content.decode()
    assert AuditEvent.objects.filter(event_type="pki.certificates_looked_up", actor_id=officer.pk).exists()
    response = client.post(
        f"/en/back-office/certificates/{record.pk}/revoke/", {"reason": RevocationReason.AFFILIATION_CHANGED}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == Status.REVOKED and record.revoked_by_id == officer.pk
    assert record.revocation_reason == RevocationReason.AFFILIATION_CHANGED
    substantial_resident.refresh_from_db()
    assert substantial_resident.assurance_level == AssuranceLevel.SUBSTANTIAL
    event = AuditEvent.objects.get(event_type="pki.certificate_revoked", subject_id=substantial_resident.pk)
    assert event.actor_id == officer.pk
    # by serial, the page now shows it revoked and offers no button
    again = client.get("/en/back-office/certificates/", {"query": record.serial}).content.decode()
    assert record.serial in again and f"/back-office/certificates/{record.pk}/revoke/" not in again


def test_a_bad_reason_revokes_nothing(pki: dict, substantial_resident: User, client: Client) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    client.force_login(_officer())
    client.post(f"/en/back-office/certificates/{record.pk}/revoke/", {"reason": "superseded"})
    record.refresh_from_db()
    assert record.status == Status.GOOD


def test_other_officers_and_residents_get_404(pki: dict, substantial_resident: User, client: Client) -> None:
    record = certificate_issue_for_resident(user=substantial_resident)
    for user in (_officer(verifies=False), substantial_resident):
        client.force_login(user)
        assert client.get("/en/back-office/certificates/").status_code == 404
        response = client.post(f"/en/back-office/certificates/{record.pk}/revoke/", {"reason": "unspecified"})
        assert response.status_code == 404
    record.refresh_from_db()
    assert record.status == Status.GOOD
