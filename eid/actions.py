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
    user.hkid_hash = hkid_hash(normalised)
    user.hkid_masked = hkid_mask(normalised)
    user.save(update_fields=["hkid_hash", "hkid_masked"])
    return user


@transaction.atomic
def user_set_assurance_level(
    *, user: User, level: AssuranceLevel, by: User | None, reason: str, request: HttpRequest | None = None
) -> User:
    previous = AssuranceLevel(user.assurance_level)
    if previous == level:
        return user
    user.assurance_level = level
    user.save(update_fields=["assurance_level"])
    audit_log(
        event_type="assurance.changed",
        actor=by,
        subject=user,
        request=request,
        data={"from": previous.acr, "to": level.acr, "reason": reason},
    )
    return user


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
