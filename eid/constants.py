"""Identity vocabulary shared by every app: assurance levels, districts, languages, scopes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssuranceLevel(models.IntegerChoices):
    """Ordered levels of assurance; comparisons (<, >=) follow the order."""

    LOW = 1, _("Low")
    SUBSTANTIAL = 2, _("Substantial")
    HIGH = 3, _("High")

    @property
    def acr(self) -> str:
        return f"urn:eid:hk:loa:{self.name.lower()}"

    @classmethod
    def from_acr(cls, acr: str) -> "AssuranceLevel | None":
        for level in cls:
            if level.acr == acr:
                return level
        return None


class District(models.TextChoices):
    """The 18 districts of Hong Kong, grouped by region in REGION_OF_DISTRICT."""

    CENTRAL_WESTERN = "central-western", _("Central and Western")
    EASTERN = "eastern", _("Eastern")
    SOUTHERN = "southern", _("Southern")
    WAN_CHAI = "wan-chai", _("Wan Chai")
    KOWLOON_CITY = "kowloon-city", _("Kowloon City")
    KWUN_TONG = "kwun-tong", _("Kwun Tong")
    SHAM_SHUI_PO = "sham-shui-po", _("Sham Shui Po")
    WONG_TAI_SIN = "wong-tai-sin", _("Wong Tai Sin")
    YAU_TSIM_MONG = "yau-tsim-mong", _("Yau Tsim Mong")
    ISLANDS = "islands", _("Islands")
    KWAI_TSING = "kwai-tsing", _("Kwai Tsing")
    NORTH = "north", _("North")
    SAI_KUNG = "sai-kung", _("Sai Kung")
    SHA_TIN = "sha-tin", _("Sha Tin")
    TAI_PO = "tai-po", _("Tai Po")
    TSUEN_WAN = "tsuen-wan", _("Tsuen Wan")
    TUEN_MUN = "tuen-mun", _("Tuen Mun")
    YUEN_LONG = "yuen-long", _("Yuen Long")


class Region(models.TextChoices):
    HONG_KONG_ISLAND = "hong-kong-island", _("Hong Kong Island")
    KOWLOON = "kowloon", _("Kowloon")
    NEW_TERRITORIES = "new-territories", _("New Territories")


REGION_OF_DISTRICT: dict[str, str] = {
    **dict.fromkeys(
        [District.CENTRAL_WESTERN, District.EASTERN, District.SOUTHERN, District.WAN_CHAI],
        Region.HONG_KONG_ISLAND,
    ),
    **dict.fromkeys(
        [
            District.KOWLOON_CITY,
            District.KWUN_TONG,
            District.SHAM_SHUI_PO,
            District.WONG_TAI_SIN,
            District.YAU_TSIM_MONG,
        ],
        Region.KOWLOON,
    ),
    **dict.fromkeys(
        [
            District.ISLANDS,
            District.KWAI_TSING,
            District.NORTH,
            District.SAI_KUNG,
            District.SHA_TIN,
            District.TAI_PO,
            District.TSUEN_WAN,
            District.TUEN_MUN,
            District.YUEN_LONG,
        ],
        Region.NEW_TERRITORIES,
    ),
}


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    TRADITIONAL_CHINESE = "zh-hant", "繁體中文"
    SIMPLIFIED_CHINESE = "zh-hans", "简体中文"


LANGUAGE_CODES: tuple[str, ...] = tuple(Language.values)


class OfficerRole(models.TextChoices):
    OFFICER = "officer", _("Officer")
    MANAGER = "manager", _("Manager")
    DEPARTMENT_ADMIN = "department_admin", _("Department administrator")


# eID scopes a service or OIDC client may ask for, each with the claims it releases.
SCOPES: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("name", "name#zh-Hant", "given_name", "family_name"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
    "birthdate": ("birthdate",),
    "eid.hkid": ("eid_hkid",),
    "eid.assurance": ("eid_assurance",),
}

# Scopes of a department system's own access token (client credentials grant): no resident is
# behind such a token, so they are never offered on the consent screen nor mixed with SCOPES.
CLIENT_SCOPES: dict[str, str] = {
    "notifications.send": _("Send notifications to residents for the department (REST API)"),
    "eforms.cases": _("Read the department's online form applications and update their status (REST API)"),
}

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "openid": _("Your eID identifier for this service"),
    "profile": _("Your legal name in English and Chinese"),
    "email": _("Your email address"),
    "phone": _("Your mobile number"),
    "address": _("Your residential address"),
    "birthdate": _("Your date of birth"),
    "eid.hkid": _("Your HKID number (masked)"),
    "eid.assurance": _("How strongly your identity has been verified"),
}
