"""Scheduled PKI work: tell residents once that their signing certificate expires soon; renew the
portal's own service certificates before they expire."""

import logging

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from eid.audit.chain import audit_log
from eid.notices import resident_notify
from eid.pki.constants import RENEWAL_NOTICE_BEFORE, Profile, Status
from eid.pki.models import IssuedCertificate

logger = logging.getLogger(__name__)

RENEWAL_SUBJECT = _("Your signing certificate expires on %(date)s")
RENEWAL_BODY = _(
    "Your eID signing certificate (serial number %(serial)s) expires on %(date)s. Get a new one on "
    "the Digital signing page before then to keep signing documents."
)


def certificates_expiring_unnotified() -> list[IssuedCertificate]:
    """Valid resident certificates expiring within the notice period whose holder has not been told,
    and has no other valid certificate lasting beyond it (a renewal already done)."""
    now = timezone.now()
    horizon = now + RENEWAL_NOTICE_BEFORE
    renewed = IssuedCertificate.objects.filter(
        user=OuterRef("user"), profile=Profile.RESIDENT_SIGNING, status=Status.GOOD, not_after__gt=horizon
    )
    return list(
        IssuedCertificate.objects.filter(
            profile=Profile.RESIDENT_SIGNING,
            status=Status.GOOD,
            user__is_active=True,
            not_after__gt=now,
            not_after__lte=horizon,
            renewal_notified_at__isnull=True,
        )
        .exclude(Exists(renewed))
        .select_related("user")
    )


@shared_task(name="pki.notify_expiring_certificates")
def certificates_notify_expiring_task() -> int:
    """Each certificate is claimed by a conditional update first, so overlapping runs notify once."""
    notified = 0
    for certificate in certificates_expiring_unnotified():
        claimed = IssuedCertificate.objects.filter(
            pk=certificate.pk, renewal_notified_at__isnull=True
        ).update(renewal_notified_at=timezone.now())
        if not claimed:
            continue
        user = certificate.user
        with translation.override(user.preferred_language):
            date = formats.date_format(timezone.localtime(certificate.not_after), "DATE_FORMAT")
        resident_notify(
            user=user,
            department_code="",
            notification_type="pki.certificate_expiring",
            subject=RENEWAL_SUBJECT,
            body=RENEWAL_BODY,
            context={"date": date, "serial": certificate.serial},
        )
        audit_log(
            event_type="pki.renewal_notified",
            subject=user,
            data={"serial": certificate.serial, "not_after": certificate.not_after.isoformat()},
        )
        notified += 1
    if notified:
        logger.info("Told %s residents their signing certificate expires soon", notified)
    return notified


@shared_task(name="pki.renew_service_certificates")
def service_certificates_renew_task() -> list[str]:
    """Daily: renews the OCSP responders, the time-stamping authority and department seals a month
    before they expire (and creates any that are missing), so OCSP never goes silent."""
    from eid.pki.actions import pki_initialise

    renewed = pki_initialise()
    if renewed:
        logger.info("PKI service certificates issued: %s", ", ".join(renewed))
    return renewed
