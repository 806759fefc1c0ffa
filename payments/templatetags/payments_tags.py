from django import template

register = template.Library()


@register.filter
def money(cents: int | None, currency: str = "HKD") -> str:
    """Minor units as money: 12345 → "HK$123.45" (integers all the way, no float rounding)."""
    cents = cents or 0
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    symbol = "HK$" if currency == "HKD" else f"{currency} "
    return f"{sign}{symbol}{whole:,}.{part:02d}"
