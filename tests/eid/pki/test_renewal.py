"""Renewal notices: a beat task tells residents, once, that their certificate expires within 30 days."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from eid.audit.models import AuditEvent
from eid.models import User
from eid.notices import resident_notice
from eid.pki.actions import certificate_issue_for_resident
from eid.pki.models import IssuedCertificate
from eid.pki.tasks import certificates_notify_expiring_task
from tests.factories import UserFactory


@pytest.fixture
def notices() -> list[dict]:
    received: list[dict] = []

    def capture(sender: object, **kwargs: object) -> None:
        received.append(kwargs)

    resident_notice.connect(capture, dispatch_uid="test.renewal")
    yield received
    resident_notice.disconnect(dispatch_uid="test.renewal")


def _expiring_in(user: User, days: int) -> IssuedCertificate:
    record = certificate_issue_for_resident(user=user)
    IssuedCertificate.objects.filter(pk=record.pk).update(not_after=timezone.now() + timedelta(days=days))
    record.refresh_from_db()
    return record


def test_the_task_is_scheduled_daily() -> None:
    entry = next(
        item
        for item in settings.CELERY_BEAT_SCHEDULE.values()
        if item["task"] == "pki.notify_expiring_certificates"
    )
    assert entry["schedule"] == 60 * 60 * 24


def test_a_resident_is_told_once(pki: dict, substantial_resident: User, notices: list[dict]) -> None:
    record = _expiring_in(substantial_resident, 20)
    assert certificates_notify_expiring_task() == 1
    assert len(notices) == 1
    notice = notices[0]
    assert (
        notice["user"] == substantial_resident and notice["notification_type"] == "pki.certificate_expiring"
    )
    assert record.serial in notice["body"]
    record.refresh_from_db()
    assert record.renewal_notified_at is not None
    assert AuditEvent.objects.filter(
        event_type="pki.renewal_notified", subject_id=substantial_resident.pk
    ).exists()
    # the next day's run says nothing more
    assert certificates_notify_expiring_task() == 0
    assert len(notices) == 1


def test_the_notice_is_rendered_for_the_residents_language(pki: dict, notices: list[dict]) -> None:
    resident = UserFactory(assurance_level=2, preferred_language="zh-hant", legal_name_en="CHAN Tai Man")
    _expiring_in(resident, 5)
    certificates_notify_expiring_task()
    assert (
        notices[0]["subject"] != "Your signing certificate expires on" and "%(" not in notices[0]["subject"]
    )


def test_no_notice_far_from_expiry_after_expiry_when_revoked_or_closed(
    pki: dict, substantial_resident: User, notices: list[dict]
) -> None:
    _expiring_in(substantial_resident, 45)
    other = UserFactory(assurance_level=2, legal_name_en="WONG Siu Ming")
    _expiring_in(other, -1)  # already expired
    closed = UserFactory(assurance_level=2, legal_name_en="LEE Ka Yan", is_active=True)
    _expiring_in(closed, 10)
    User.objects.filter(pk=closed.pk).update(is_active=False)
    assert certificates_notify_expiring_task() == 0
    assert notices == []


def test_no_notice_once_renewed(pki: dict, substantial_resident: User, notices: list[dict]) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from eid.pki.actions import certificate_issue_from_csr
    from tests.eid.pki.test_certificates import _csr

    # a kept-key certificate about to expire, and a newer one already issued beside it
    old = certificate_issue_from_csr(
        user=substantial_resident, csr_data=_csr(ec.generate_private_key(ec.SECP256R1()))
    )
    IssuedCertificate.objects.filter(pk=old.pk).update(not_after=timezone.now() + timedelta(days=3))
    certificate_issue_for_resident(user=substantial_resident)
    assert certificates_notify_expiring_task() == 0
