"""Writes about residents and departments: each owns its transaction and writes its audit event."""

from django.db import transaction
from django.http import HttpRequest

from eid.audit.chain import audit_log
from eid.constants import AssuranceLevel, OfficerRole
from eid.hkid import hkid_hash, hkid_mask, hkid_validate
from eid.models import Department, OfficerMembership, User


def user_set_hkid(*, user: User, raw_hkid: str) -> User:
    """Store an HKID as its keyed hash and masked form; raises ValidationError when invalid."""
    normalised = hkid_validate(raw_hkid)
    digest = hkid_hash(normalised)
    if digest != user.hkid_hash:
        # A sealed number is only ever one an officer verified on the card: a new number drops it.
        user.hkid_sealed = ""
    user.hkid_hash = digest
    user.hkid_masked = hkid_mask(normalised)
    user.save(update_fields=["hkid_hash", "hkid_masked", "hkid_sealed"])
    return user


@transaction.atomic
def user_set_assurance_level(
    *, user: User, level: AssuranceLevel, by: User | None, reason: str, request: HttpRequest | None = None
) -> User:
    previous = AssuranceLevel(user.assurance_level)
    if previous == level:
        return user
    user.assurance_level = level
    update_fields = ["assurance_level"]
    if level < AssuranceLevel.SUBSTANTIAL and user.hkid_sealed:
        # Verification withdrawn: the verified number is no longer released to anyone.
        user.hkid_sealed = ""
        update_fields.append("hkid_sealed")
    user.save(update_fields=update_fields)
    audit_log(
        event_type="assurance.changed",
        actor=by,
        subject=user,
        request=request,
        data={"from": previous.acr, "to": level.acr, "reason": reason},
    )
    if level < previous and level < AssuranceLevel.HIGH:
        # HIGH means "holds a valid signing certificate": below it, none may stay valid.
        _signing_certificates_withdraw(user=user, by=by, request=request)
    return user


def _signing_certificates_withdraw(*, user: User, by: User | None, request: HttpRequest | None) -> int:
    from eid.pki.actions import certificates_revoke_for_user  # eid.pki builds on this module

    return certificates_revoke_for_user(user=user, by=by, request=request)


@transaction.atomic
def user_deactivate(*, user: User, by: User | None, reason: str, request: HttpRequest | None = None) -> User:
    """Close an account: it can no longer sign in, and its signing certificates are revoked."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    # A closed account's verified HKID number is released to no one: the seal goes (hash and mask stay,
    # so the number still cannot open a second eID).
    user.hkid_sealed = ""
    user.save(update_fields=["is_active", "hkid_sealed"])
    audit_log(event_type="account.closed", actor=by, subject=user, request=request, data={"reason": reason})
    _signing_certificates_withdraw(user=user, by=by, request=request)
    _client_sessions_end(user=user)
    return user


def _client_sessions_end(*, user: User) -> None:
    from eid.oidc.backchannel import client_sessions_end  # eid.oidc builds on this module

    client_sessions_end(user=user, reason="account_closed")


@transaction.atomic
def officer_membership_grant(
    *, user: User, department: Department, role: OfficerRole, by: User | None
) -> OfficerMembership:
    membership, _ = OfficerMembership.objects.update_or_create(
        user=user, department=department, defaults={"role": role}
    )
    audit_log(
        event_type="officer.role_granted",
        actor=by,
        subject=user,
        data={"department": department.code, "role": str(role)},
    )
    return membership
