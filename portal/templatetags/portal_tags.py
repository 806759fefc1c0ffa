from django import template
from django.utils.translation import get_language, gettext

register = template.Library()


@register.filter
def localized_name(obj: object) -> str:
    """A department's (or any object with name_in) name in the page's language."""
    return obj.name_in(get_language()) if obj is not None else gettext("eID Portal")
