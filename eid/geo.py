"""Approximate place of an IP address, only when a locator is configured (`EID_IP_LOCATOR`).

The portal ships no location database: a deployment that has one (e.g. a GeoIP2 file) names a
function `ip -> "Sha Tin, Hong Kong"` in the setting, and the device list and sign-in history show
its answer. Unset, nothing is looked up and no place is shown.
"""

import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def ip_locator_enabled() -> bool:
    return bool(getattr(settings, "EID_IP_LOCATOR", ""))


def ip_place(ip: str | None) -> str:
    if not ip or not ip_locator_enabled():
        return ""
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return ""
    key = f"eid:ip-place:{ip}"
    place = cache.get(key)
    if place is None:
        try:
            place = str(import_string(settings.EID_IP_LOCATOR)(ip) or "")[:100]
        except Exception:  # a broken locator must never break the page
            logger.exception("IP locator failed")
            place = ""
        cache.set(key, place, 24 * 3600)
    return place
