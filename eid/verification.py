"""Identity proofing: a resident asks, an officer of a registration department checks the document.

Every step is audited and the resident is told (inbox) of each one.
"""

import datetime

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eid.audit.chain import audit_log
from eid.constants import AssuranceLevel
from eid.errors import ApplicationError, PermissionDeniedError
from eid.hkid import hkid_hash, hkid_mask, hkid_seal, hkid_validate
from eid.models import Department, OfficerMembership, User, VerificationRequest
from eid.notices import resident_notify

Status = VerificationRequest.Status


def _has_second_factor(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


# Reads ------------------------------------------------------------------------------------------


def verification_departments_for_officer(*, officer: User) -> list[Department]:
    """The registration departments this officer works for (empty: not a verifying officer)."""
    return [
        membership.department
        for membership in OfficerMembership.objects.filter(
            user=officer, department__verifies_identity=True
        ).select_related("department")
    ]


def verification_queue(*, officer: User, status: str = Status.PENDING) -> list[VerificationRequest]:
    if not verification_departments_for_officer(officer=officer):
        raise Http404
    return list(VerificationRequest.objects.filter(status=status).select_related("user", "decided_by"))


def access_verification_for_officer(*, officer: User, request_id: int) -> VerificationRequest:
    """An officer who is not in a registration department gets the same 404 as a missing request."""
    if not verification_departments_for_officer(officer=officer):
        raise Http404
    try:
        return VerificationRequest.objects.select_related("user").get(pk=request_id)
    except VerificationRequest.DoesNotExist as exc:
        raise Http404 from exc


def verification_latest(*, user: User) -> VerificationRequest | None:
    return VerificationRequest.objects.filter(user=user).order_by("-submitted_at", "-pk").first()


# Writes -----------------------------------------------------------------------------------------


def verification_request_submit(
    *,
    user: User,
    legal_name_en: str,
    legal_name_zh: str,
    date_of_birth: datetime.date,
    raw_hkid: str,
    request: HttpRequest | None = None,
) -> VerificationRequest:
    if user.assurance_level >= AssuranceLevel.SUBSTANTIAL:
        raise ApplicationError(_("Your identity is already verified."), code="already_verified")
    if not _has_second_factor(user):
        raise ApplicationError(
            _("Set up a second factor (an authenticator app or a passkey) before asking for verification."),
            code="no_second_factor",
        )
    normalised = hkid_validate(raw_hkid)
    digest = hkid_hash(normalised)
    if User.objects.filter(hkid_hash=digest).exclude(pk=user.pk).exists():
        raise ApplicationError(
            _("This HKID number is already linked to another eID. Please visit a registration counter."),
            code="hkid_taken",
        )
    try:
        with transaction.atomic():
            verification = VerificationRequest.objects.create(
                user=user,
                legal_name_en=legal_name_en.strip(),
                legal_name_zh=legal_name_zh.strip(),
                date_of_birth=date_of_birth,
                hkid_hash=digest,
                hkid_masked=hkid_mask(normalised),
            )
            audit_log(
                event_type="verification.requested",
                actor=user,
                subject=user,
                request=request,
                data={"request": verification.pk, "hkid": verification.hkid_masked},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _("You already have a verification request waiting."), code="already_pending"
        ) from exc
    resident_notify(
        user=user,
        department_code=_registration_department_code(),
        notification_type="verification.requested",
        subject=_("We received your request to verify your identity"),
        body=_(
            "Bring your Hong Kong Identity Card to any registration counter. An officer will check it "
            "and verify your eID. Your reference is %(reference)s."
        ),
        context={"reference": f"V{verification.pk:06d}"},
    )
    return verification


def _check_officer(officer: User, verification: VerificationRequest) -> Department:
    departments = verification_departments_for_officer(officer=officer)
    if not departments:
        raise PermissionDeniedError(
            _("Only registration officers can verify identities."), code="not_officer"
        )
    if officer.pk == verification.user_id:
        raise PermissionDeniedError(_("You cannot verify your own identity."), code="own_request")
    if verification.status != Status.PENDING:
        raise ApplicationError(_("This request has already been decided."), code="decided")
    return departments[0]


def verification_approve(
    *,
    verification: VerificationRequest,
    officer: User,
    document_type: str,
    raw_hkid_on_document: str,
    name_matches: bool,
    date_of_birth_on_document: datetime.date,
    request: HttpRequest | None = None,
) -> VerificationRequest:
    """Approve after checking the document: the HKID, name and date of birth must all match."""
    with transaction.atomic():
        verification = VerificationRequest.objects.select_for_update().get(pk=verification.pk)
        department = _check_officer(officer, verification)
        normalised = hkid_validate(raw_hkid_on_document)
        problems = []
        if hkid_hash(normalised) != verification.hkid_hash:
            problems.append(_("the HKID number on the document does not match the request"))
        if not name_matches:
            problems.append(_("the name on the document does not match"))
        if date_of_birth_on_document != verification.date_of_birth:
            problems.append(_("the date of birth on the document does not match"))
        if problems:
            raise ApplicationError(
                _("Cannot approve: %(problems)s. Reject the request with a reason instead.")
                % {"problems": "; ".join(str(problem) for problem in problems)},
                code="mismatch",
            )
        user = User.objects.select_for_update().get(pk=verification.user_id)
        previous = AssuranceLevel(user.assurance_level)
        user.legal_name_en = verification.legal_name_en
        user.legal_name_zh = verification.legal_name_zh
        user.date_of_birth = verification.date_of_birth
        user.hkid_hash = verification.hkid_hash
        user.hkid_masked = verification.hkid_masked
        # The number the officer typed from the card, now matched: sealed for entitled departments.
        user.hkid_sealed = hkid_seal(normalised)
        user.assurance_level = max(previous, AssuranceLevel.SUBSTANTIAL)
        user.save(
            update_fields=[
                "legal_name_en",
                "legal_name_zh",
                "date_of_birth",
                "hkid_hash",
                "hkid_masked",
                "hkid_sealed",
                "assurance_level",
            ]
        )
        verification.status = Status.APPROVED
        verification.decided_by = officer
        verification.decided_at = timezone.now()
        verification.department = department
        verification.document_type = document_type
        verification.save(update_fields=["status", "decided_by", "decided_at", "department", "document_type"])
        audit_log(
            event_type="verification.approved",
            actor=officer,
            subject=user,
            request=request,
            data={"request": verification.pk, "department": department.code, "document": document_type},
        )
        if previous != user.assurance_level:
            audit_log(
                event_type="assurance.changed",
                actor=officer,
                subject=user,
                request=request,
                data={
                    "from": previous.acr,
                    "to": AssuranceLevel(user.assurance_level).acr,
                    "reason": "identity verified at a counter",
                },
            )
    resident_notify(
        user=user,
        department_code=department.code,
        notification_type="verification.approved",
        subject=_("Your identity is verified"),
        body=_(
            "An officer verified your identity. Your eID now reaches the Substantial level when you "
            "sign in with your second factor."
        ),
        context={},
    )
    return verification


def verification_reject(
    *, verification: VerificationRequest, officer: User, reason: str, request: HttpRequest | None = None
) -> VerificationRequest:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the resident a reason for the rejection."), code="reason_required")
    with transaction.atomic():
        verification = VerificationRequest.objects.select_for_update().get(pk=verification.pk)
        department = _check_officer(officer, verification)
        verification.status = Status.REJECTED
        verification.decided_by = officer
        verification.decided_at = timezone.now()
        verification.department = department
        verification.reason = reason[:500]
        verification.save(update_fields=["status", "decided_by", "decided_at", "department", "reason"])
        audit_log(
            event_type="verification.rejected",
            actor=officer,
            subject=verification.user,
            request=request,
            data={"request": verification.pk, "department": department.code, "reason": verification.reason},
        )
    resident_notify(
        user=verification.user,
        department_code=department.code,
        notification_type="verification.rejected",
        subject=_("Your identity could not be verified"),
        body=_("Your request was not approved: %(reason)s. You can make a new request."),
        context={"reason": verification.reason},
    )
    return verification


def verification_withdraw(*, verification: VerificationRequest, user: User) -> VerificationRequest:
    with transaction.atomic():
        verification = VerificationRequest.objects.select_for_update().get(pk=verification.pk, user=user)
        if verification.status != Status.PENDING:
            raise ApplicationError(_("This request has already been decided."), code="decided")
        verification.status = Status.WITHDRAWN
        verification.decided_at = timezone.now()
        verification.save(update_fields=["status", "decided_at"])
        audit_log(
            event_type="verification.withdrawn", actor=user, subject=user, data={"request": verification.pk}
        )
    return verification


def _registration_department_code() -> str:
    department = Department.objects.filter(verifies_identity=True).order_by("code").first()
    return department.code if department else ""
