from django import template

from services.eforms.definition import localised

register = template.Library()


@register.filter
def localised_text(value: object) -> str:
    """{"en": …, "zh-hant": …, "zh-hans": …} → the text in the active language (English fallback)."""
    return localised(value)


@register.filter
def field_type_label(code: str) -> str:
    """An answer type's name for officers ("hk_address" → "Hong Kong address"); the code if unknown."""
    from services.eforms.builder_forms import FIELD_TYPE_LABELS

    return str(FIELD_TYPE_LABELS.get(code, code))


@register.filter
def prefill_label(code: str) -> str:
    """An eID prefill source's name for officers ("name_zh" → "Name in Chinese")."""
    from services.eforms.builder_forms import PREFILL_LABELS

    return str(PREFILL_LABELS.get(code, code))
