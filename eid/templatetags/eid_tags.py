from django import template

from eid.geo import ip_locator_enabled as _ip_locator_enabled
from eid.geo import ip_place as _ip_place

register = template.Library()


@register.filter
def ip_place(ip: str | None) -> str:
    return _ip_place(ip)


@register.simple_tag
def ip_locator_enabled() -> bool:
    return _ip_locator_enabled()
