from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.http import escape_leading_slashes
from django.utils.translation import get_language


def portal(request: HttpRequest) -> dict:
    """The language switcher's links: the same page in each language (works without JavaScript)."""
    current = get_language()
    # A path starting `//` (a 404 page for //evil.example/en/) would read as another site's address in
    # href, and translate_url would even keep that host: escape it first, as CommonMiddleware does.
    path = escape_leading_slashes(request.get_full_path())
    languages = [
        {"code": code, "name": name, "url": translate_url(path, code), "current": code == current}
        for code, name in settings.LANGUAGES
    ]
    return {"portal_languages": languages, "portal_environment": getattr(settings, "PORTAL_ENVIRONMENT", "")}
