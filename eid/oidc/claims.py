"""The claims a relying party receives for the scopes a resident granted (eid.constants.SCOPES).

Every value comes from the resident's record through eid.public; nothing is released for a scope
that was not granted, and empty values are left out rather than sent as "".

`eid_hkid` is the masked number, except for a production client of a department's organisation whose
approval recorded a legal basis (`hkid_release_basis`): that client gets the full number, opened from
its seal, and each such release is audited (with the mask only).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.idp.oidc.models import Client
from django.db.models import Model
from django.utils import translation

# Unsealing is deliberately not in eid.public: no other app may open the number.
from eid.hkid import hkid_unseal
from eid.oidc.models import PartnerApplication
from eid.oidc.onboarding import client_is_sandbox
from eid.prepared import Extra
from eid.public import REGION_OF_DISTRICT, AssuranceLevel, Department, District, Region, User, audit_log


@dataclass(frozen=True)
class HkidReleaseBasis:
    """Why a client may receive the full HKID: its approved application and the legal basis recorded."""

    application: str
    department: Department
    legal_basis: str


def hkid_release_basis(client: Client | None) -> HkidReleaseBasis | None:
    """The basis on which `client` receives the full HKID, or None (it gets the mask).

    Only the production client of an approved application of a department's organisation with a legal
    basis recorded on approval (onboarding.application_approve); never a sandbox client. Read from the
    application row, not from the client's editable JSON."""
    if client is None or client_is_sandbox(client):
        return None
    application = (
        PartnerApplication.objects.filter(
            production_client=client,
            status=PartnerApplication.Status.APPROVED,
            organisation__department__isnull=False,
        )
        .exclude(hkid_legal_basis="")
        .select_related("organisation__department")
        .first()
    )
    if application is None or not application.hkid_legal_basis.strip():
        return None
    return HkidReleaseBasis(
        application=str(application.public_id),
        department=application.organisation.department,
        legal_basis=application.hkid_legal_basis.strip(),
    )


def _hkid_claim(*, user: User, client: Client | None, purpose: str) -> str:
    """The full number for an entitled department (audited), the mask for everyone else."""
    if not user.hkid_sealed:
        return user.hkid_masked
    basis = hkid_release_basis(client)
    if basis is None:
        return user.hkid_masked
    number = hkid_unseal(user.hkid_sealed)
    if not number:
        # Sealed under a key no longer configured: the mask, never a guess.
        return user.hkid_masked
    audit_log(
        event_type="oidc.hkid_released",
        subject=user,
        data={
            "client_id": client.id,
            "application": basis.application,
            "department": basis.department.code,
            "legal_basis": basis.legal_basis,
            "hkid": user.hkid_masked,
            "purpose": purpose,
        },
    )
    return number


def _english_label(choices: type, value: str) -> str:
    with translation.override("en"):
        return str(choices(value).label)


def address_claim(user: User) -> dict[str, str] | None:
    """OIDC Core §5.1.1 address: street lines, locality = district, region, country HK."""
    street = "\n".join(
        part for part in (user.address_flat, user.address_building, user.address_street) if part
    )
    if not street and not user.address_district:
        return None
    claim: dict[str, str] = {"country": "HK"}
    if street:
        claim["street_address"] = street
    if user.address_district:
        claim["locality"] = _english_label(District, user.address_district)
        claim["region"] = _english_label(Region, REGION_OF_DISTRICT[user.address_district])
    claim["formatted"] = "\n".join(
        part for part in (street, claim.get("locality", ""), claim.get("region", ""), "Hong Kong") if part
    )
    return claim


def _split_name(name: str) -> tuple[str, str]:
    """HK legal names are written FAMILY Given: "CHAN Tai Man" → ("CHAN", "Tai Man")."""
    family, _, given = name.strip().partition(" ")
    return family, given


def primary_email_extras() -> tuple[Extra, Extra]:
    """The resident's primary email address and its verified flag, as extra columns of a
    `PreparedSelect` whose base row has a `user_id` (the token endpoint and userinfo read them in
    the query they already make); hand the row to `remember_primary_email`."""
    table = EmailAddress._meta.db_table
    subquery = "(SELECT e.{%s} FROM {%s} e WHERE e.{user_id} = t0.{user_id} AND e.{primary} LIMIT 1)"
    return (
        Extra("eid_primary_email", subquery % ("email", table), EmailAddress._meta.get_field("email")),
        Extra(
            "eid_primary_email_verified",
            subquery % ("verified", table),
            EmailAddress._meta.get_field("verified"),
        ),
    )


def remember_primary_email(user: User, row: Model) -> None:
    """Hands a row's `primary_email_extras` to `resident_claims` through the user object."""
    user.eid_primary_email = (row.eid_primary_email, row.eid_primary_email_verified)


def _primary_email(user: User) -> tuple[str, bool] | None:
    known = getattr(user, "eid_primary_email", None)
    if known is not None:
        return known if known[0] else None
    address = EmailAddress.objects.get_primary(user)
    return (address.email, address.verified) if address is not None else None


def resident_claims(
    *,
    user: User,
    scopes: Iterable[str],
    email: str | None = None,
    client: Client | None = None,
    purpose: str = "",
) -> dict[str, Any]:
    """The claims for the granted `scopes`; `client` decides whether `eid_hkid` is the full number."""
    scopes = set(scopes)
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        if user.legal_name_en:
            family, given = _split_name(user.legal_name_en)
            claims.update({"name": user.legal_name_en, "family_name": family, "given_name": given})
        if user.legal_name_zh:
            claims["name#zh-Hant"] = user.legal_name_zh
    if "email" in scopes:
        chosen = None
        if email:  # the resident picked an address other than the primary at consent
            address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
            chosen = (address.email, address.verified) if address is not None else None
        chosen = chosen or _primary_email(user)
        if chosen is not None:
            claims.update({"email": chosen[0], "email_verified": chosen[1]})
    if "phone" in scopes and user.mobile_number:
        claims.update({"phone_number": user.mobile_number, "phone_number_verified": user.mobile_verified})
    if "address" in scopes and (address_value := address_claim(user)):
        claims["address"] = address_value
    if "birthdate" in scopes and user.date_of_birth:
        claims["birthdate"] = user.date_of_birth.isoformat()
    if "eid.hkid" in scopes and user.hkid_masked:
        claims["eid_hkid"] = _hkid_claim(user=user, client=client, purpose=purpose)
    if "eid.assurance" in scopes:
        # The account's proofing level; the session's level is the ID token's `acr`.
        claims["eid_assurance"] = AssuranceLevel(user.assurance_level).acr
    return claims
