"""GOV.UK Notify-style templates: `((name))` placeholders, validated before anything is queued."""

import re

from django.utils.translation import gettext as _

from eid.public import LANGUAGE_CODES, ApplicationError

PLACEHOLDER = re.compile(r"\(\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\)")
MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 10_000
# Ten concatenated UCS-2 parts (67 characters each): Chinese text needs UCS-2.
MAX_SMS_CHARS = 670
MAX_VALUE_CHARS = 2_000


def placeholders(text: str) -> list[str]:
    """Names in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def content_placeholders(content: dict[str, tuple[str, str]]) -> set[str]:
    return {name for subject, body in content.values() for name in placeholders(subject + "\n" + body)}


def content_validate(content: dict[str, tuple[str, str]]) -> None:
    """Every language present, and the same placeholders in each (so a send validates them all)."""
    missing_languages = [language for language in LANGUAGE_CODES if not all(content.get(language, ("", "")))]
    if missing_languages:
        raise ApplicationError(
            _("A subject and body are needed in every language: %(languages)s.")
            % {"languages": ", ".join(missing_languages)},
            code="missing_language",
        )
    names = {language: set(placeholders(s + "\n" + b)) for language, (s, b) in content.items()}
    if len({frozenset(found) for found in names.values()}) > 1:
        raise ApplicationError(
            _("Every language must use the same placeholders."), code="placeholder_mismatch"
        )


def personalisation_validate(names: set[str], personalisation: dict[str, object]) -> None:
    missing = sorted(names - set(personalisation))
    if missing:
        raise ApplicationError(
            _("Missing personalisation: %(names)s.") % {"names": ", ".join(missing)},
            code="missing_personalisation",
            extra={"missing": missing},
        )
    for name, value in personalisation.items():
        if len(str(value)) > MAX_VALUE_CHARS:
            raise ApplicationError(
                _("The value of %(name)s is too long.") % {"name": name},
                code="too_long",
                extra={"name": name},
            )


def render(text: str, personalisation: dict[str, object]) -> str:
    return PLACEHOLDER.sub(lambda match: str(personalisation[match.group(1)]), text)
