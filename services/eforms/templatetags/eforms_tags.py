from django import template

from services.eforms.definition import localised

register = template.Library()


@register.filter
def localised_text(value: object) -> str:
    """{"en": …, "zh-hant": …, "zh-hans": …} → the text in the active language (English fallback)."""
    return localised(value)
