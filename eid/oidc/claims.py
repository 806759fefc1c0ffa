"""The claims a relying party receives for the scopes a resident granted (eid.constants.SCOPES).

Every value comes from the resident's record through eid.public; nothing is released for a scope
that was not granted, and empty values are left out rather than sent as "".
"""

from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from django.utils import translation

from eid.public import REGION_OF_DISTRICT, AssuranceLevel, District, Region, User


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


def resident_claims(*, user: User, scopes: Iterable[str], email: str | None = None) -> dict[str, Any]:
    scopes = set(scopes)
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        if user.legal_name_en:
            family, given = _split_name(user.legal_name_en)
            claims.update({"name": user.legal_name_en, "family_name": family, "given_name": given})
        if user.legal_name_zh:
            claims["name#zh-Hant"] = user.legal_name_zh
    if "email" in scopes:
        address = None
        if email:
            address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        address = address or EmailAddress.objects.get_primary(user)
        if address is not None:
            claims.update({"email": address.email, "email_verified": address.verified})
    if "phone" in scopes and user.mobile_number:
        claims.update({"phone_number": user.mobile_number, "phone_number_verified": user.mobile_verified})
    if "address" in scopes and (address_value := address_claim(user)):
        claims["address"] = address_value
    if "birthdate" in scopes and user.date_of_birth:
        claims["birthdate"] = user.date_of_birth.isoformat()
    if "eid.hkid" in scopes and user.hkid_masked:
        claims["eid_hkid"] = user.hkid_masked
    if "eid.assurance" in scopes:
        # The account's proofing level; the session's level is the ID token's `acr`.
        claims["eid_assurance"] = AssuranceLevel(user.assurance_level).acr
    return claims
