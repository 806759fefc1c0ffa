"""The JSON definition of a form version, and its validator.

    {
      "title": {"en": "...", "zh-hant": "...", "zh-hans": "..."},
      "description": {...},                                   # optional
      "pages": [
        {"key": "vehicle", "title": {...}, "show_if": {"field": "has_car", "equals": true},
         "fields": [
           {"key": "plate", "type": "text", "label": {...}, "help": {...}, "required": true,
            "min_length": 2, "max_length": 8, "pattern": "^[A-Z0-9 ]+$",
            "show_if": {"field": "kind", "in": ["private", "goods"]}},
           {"key": "name", "type": "text", "label": {...}, "prefill": "name_en"},
           {"key": "kind", "type": "choice", "label": {...},
            "choices": [{"value": "private", "label": {...}}]},
           {"key": "proof", "type": "file", "label": {...}, "max_size": 5242880, "accept": ["pdf", "jpeg"]}
         ]}
      ]
    }

`validate_definition` raises ValidationError whose messages name the place, e.g.
"pages[1].fields[0].label: the English text is missing."
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from eid.public import LANGUAGE_CODES

FIELD_TYPES = (
    "text",
    "number",
    "date",
    "choice",
    "checkbox",
    "email",
    "phone",
    "hk_address",
    "hkid",
    "file",
    "declaration",
)

# Prefill key → (eID scope the resident consents to, field types it may fill).
PREFILL_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "name_en": ("profile", ("text",)),
    "name_zh": ("profile", ("text",)),
    "address": ("address", ("hk_address", "text")),
    "phone": ("phone", ("phone", "text")),
    "email": ("email", ("email", "text")),
    "birthdate": ("birthdate", ("date",)),
    "hkid_masked": ("eid.hkid", ("text",)),
}

FILE_KINDS = ("pdf", "png", "jpeg")
MAX_FILE_SIZE = 10 * 1024 * 1024
DEFAULT_FILE_SIZE = 5 * 1024 * 1024
MAX_TEXT_LENGTH = 2000
MAX_PATTERN_LENGTH = 200
MAX_PAGES = 50
MAX_FIELDS = 200
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_FIELD_KEYS = {
    "key",
    "type",
    "label",
    "help",
    "required",
    "prefill",
    "show_if",
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "choices",
    "max_size",
    "accept",
}
_PAGE_KEYS = {"key", "title", "show_if", "fields"}
_TOP_KEYS = {"title", "description", "pages"}


def localised(text: object, language: str | None = None) -> str:
    """The text in `language` (default: the active one), falling back to English."""
    if not isinstance(text, dict):
        return str(text or "")
    language = (language or get_language() or "en").lower()
    return str(text.get(language) or text.get("en") or "")


@dataclass(frozen=True)
class FieldRef:
    page_index: int
    field_index: int
    page: dict
    field: dict


def iter_fields(definition: dict) -> Iterator[FieldRef]:
    for page_index, page in enumerate(definition.get("pages", [])):
        for field_index, field in enumerate(page.get("fields", [])):
            yield FieldRef(page_index, field_index, page, field)


def fields_by_key(definition: dict) -> dict[str, dict]:
    return {ref.field["key"]: ref.field for ref in iter_fields(definition)}


def prefill_scopes(definition: dict) -> list[str]:
    """The eID scopes the form's prefilled fields read, in a stable order."""
    scopes = {
        PREFILL_SOURCES[ref.field["prefill"]][0]
        for ref in iter_fields(definition)
        if ref.field.get("prefill")
    }
    return [
        scope
        for scope in ("profile", "email", "phone", "address", "birthdate", "eid.hkid")
        if scope in scopes
    ]


# Patterns are run on residents' input: no back-references, look-arounds or nested quantifiers,
# the constructs behind catastrophic backtracking (ReDoS).
_UNSAFE_PATTERN = re.compile(r"\\[1-9]|\(\?[=!<P]|\\[kg]")
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")


def _check_pattern(pattern: object, where: str, errors: list[str]) -> None:
    if not isinstance(pattern, str) or not pattern:
        errors.append(_("%(where)s: the pattern must be a non-empty text.") % {"where": where})
        return
    if len(pattern) > MAX_PATTERN_LENGTH:
        errors.append(
            _("%(where)s: the pattern is longer than %(max)s characters.")
            % {"where": where, "max": MAX_PATTERN_LENGTH}
        )
        return
    if _UNSAFE_PATTERN.search(pattern) or _NESTED_QUANTIFIER.search(pattern):
        errors.append(
            _("%(where)s: back-references, look-arounds and nested repetition are not allowed.")
            % {"where": where}
        )
        return
    try:
        re.compile(pattern)
    except re.error as error:
        errors.append(
            _("%(where)s: the pattern is not valid (%(error)s).") % {"where": where, "error": error}
        )


def _check_text(value: object, where: str, errors: list[str], *, required: bool, complete: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, dict):
        errors.append(_('%(where)s: give the text per language, e.g. {"en": "…"}.') % {"where": where})
        return
    unknown = set(value) - set(LANGUAGE_CODES)
    if unknown:
        errors.append(
            _("%(where)s: unknown language %(languages)s.")
            % {"where": where, "languages": ", ".join(sorted(unknown))}
        )
    for language in LANGUAGE_CODES if complete else ("en",):
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            errors.append(
                _("%(where)s: the %(language)s text is missing.") % {"where": where, "language": language}
            )
    for language, text in value.items():
        if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
            errors.append(
                _("%(where)s.%(language)s: the text is too long.") % {"where": where, "language": language}
            )


def _check_show_if(
    condition: object, where: str, errors: list[str], *, earlier: dict[str, dict], own_key: str | None = None
) -> None:
    if not isinstance(condition, dict) or "field" not in condition:
        errors.append(_("%(where)s: show_if needs a field and equals or in.") % {"where": where})
        return
    if set(condition) - {"field", "equals", "in"} or (("equals" in condition) == ("in" in condition)):
        errors.append(
            _("%(where)s: show_if takes a field and exactly one of equals or in.") % {"where": where}
        )
        return
    target = condition["field"]
    if target == own_key:
        errors.append(_("%(where)s: a field cannot depend on itself.") % {"where": where})
        return
    if target not in earlier:
        errors.append(
            _("%(where)s: show_if refers to %(field)s, which is not a field asked before it.")
            % {"where": where, "field": target}
        )
        return
    if "in" in condition and (not isinstance(condition["in"], list) or not condition["in"]):
        errors.append(_('%(where)s: show_if "in" needs a non-empty list.') % {"where": where})
        return
    values = condition["in"] if "in" in condition else [condition["equals"]]
    if any(isinstance(value, dict | list) for value in values):
        errors.append(_("%(where)s: show_if compares with plain values only.") % {"where": where})
        return
    target_field = earlier[target]
    if target_field.get("type") == "hkid":
        # Only a hash and a mask of an HKID answer are stored: there is nothing to compare with.
        errors.append(
            _("%(where)s: show_if cannot depend on an HKID answer (%(field)s).")
            % {"where": where, "field": target}
        )
        return
    if target_field.get("type") == "choice":
        allowed = {
            choice.get("value") for choice in target_field.get("choices", []) if isinstance(choice, dict)
        }
        missing = [value for value in values if value not in allowed]
        if missing:
            errors.append(
                _("%(where)s: %(value)s is not a choice of %(field)s.")
                % {"where": where, "value": missing[0], "field": target}
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_field(
    field: object, where: str, errors: list[str], *, earlier: dict[str, dict], complete: bool
) -> None:
    if not isinstance(field, dict):
        errors.append(_("%(where)s: a field must be an object.") % {"where": where})
        return
    unknown = set(field) - _FIELD_KEYS
    if unknown:
        errors.append(
            _("%(where)s: unknown setting %(keys)s.") % {"where": where, "keys": ", ".join(sorted(unknown))}
        )
    key = field.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        errors.append(
            _("%(where)s.key: use 1-40 lower-case letters, digits or _, starting with a letter.")
            % {"where": where}
        )
    elif key in earlier:
        errors.append(_("%(where)s.key: %(key)s is used twice.") % {"where": where, "key": key})
    field_type = field.get("type")
    if field_type not in FIELD_TYPES:
        errors.append(
            _("%(where)s.type: %(type)s is not one of %(types)s.")
            % {"where": where, "type": field_type, "types": ", ".join(FIELD_TYPES)}
        )
        return
    _check_text(field.get("label"), f"{where}.label", errors, required=True, complete=complete)
    _check_text(field.get("help"), f"{where}.help", errors, required=False, complete=complete)
    if "required" in field and not isinstance(field["required"], bool):
        errors.append(_("%(where)s.required: true or false.") % {"where": where})

    for bound in ("min", "max"):
        if bound in field:
            if field_type not in ("number", "date"):
                errors.append(
                    _("%(where)s.%(bound)s: only number and date fields have a %(bound)s.")
                    % {"where": where, "bound": bound}
                )
            elif field_type == "number" and (
                not isinstance(field[bound], int | float) or isinstance(field[bound], bool)
            ):
                errors.append(_("%(where)s.%(bound)s: must be a number.") % {"where": where, "bound": bound})
            elif field_type == "date" and not _is_iso_date(field[bound]):
                errors.append(
                    _("%(where)s.%(bound)s: must be a date written YYYY-MM-DD.")
                    % {"where": where, "bound": bound}
                )
    if "min" in field and "max" in field and not errors_for(where, errors) and field["min"] > field["max"]:
        errors.append(_("%(where)s: min is greater than max.") % {"where": where})

    for bound in ("min_length", "max_length"):
        if bound in field:
            if field_type not in ("text",):
                errors.append(
                    _("%(where)s.%(bound)s: only text fields have a length.")
                    % {"where": where, "bound": bound}
                )
            elif not _is_int(field[bound]) or not 0 <= field[bound] <= MAX_TEXT_LENGTH:
                errors.append(
                    _("%(where)s.%(bound)s: a whole number from 0 to %(max)s.")
                    % {"where": where, "bound": bound, "max": MAX_TEXT_LENGTH}
                )
    if (
        _is_int(field.get("min_length"))
        and _is_int(field.get("max_length"))
        and field["min_length"] > field["max_length"]
    ):
        errors.append(_("%(where)s: min_length is greater than max_length.") % {"where": where})
    if "pattern" in field:
        if field_type != "text":
            errors.append(_("%(where)s.pattern: only text fields have a pattern.") % {"where": where})
        else:
            _check_pattern(field["pattern"], f"{where}.pattern", errors)

    if field_type == "choice" or (field_type == "checkbox" and "choices" in field):
        choices = field.get("choices")
        if not isinstance(choices, list) or not choices:
            errors.append(_("%(where)s.choices: give at least one choice.") % {"where": where})
        else:
            seen: set[str] = set()
            for index, choice in enumerate(choices):
                place = f"{where}.choices[{index}]"
                if (
                    not isinstance(choice, dict)
                    or not isinstance(choice.get("value"), str)
                    or not choice["value"]
                ):
                    errors.append(
                        _("%(where)s: a choice needs a value (text) and a label.") % {"where": place}
                    )
                    continue
                if choice["value"] in seen:
                    errors.append(
                        _("%(where)s: the value %(value)s is used twice.")
                        % {"where": place, "value": choice["value"]}
                    )
                seen.add(choice["value"])
                _check_text(choice.get("label"), f"{place}.label", errors, required=True, complete=complete)
    elif "choices" in field:
        errors.append(
            _("%(where)s.choices: only choice and checkbox fields have choices.") % {"where": where}
        )

    if field_type == "file":
        size = field.get("max_size", DEFAULT_FILE_SIZE)
        if not _is_int(size) or not 1 <= size <= MAX_FILE_SIZE:
            errors.append(
                _("%(where)s.max_size: a number of bytes from 1 to %(max)s.")
                % {"where": where, "max": MAX_FILE_SIZE}
            )
        accept = field.get("accept", list(FILE_KINDS))
        if not isinstance(accept, list) or not accept or any(kind not in FILE_KINDS for kind in accept):
            errors.append(
                _("%(where)s.accept: a list of %(kinds)s.") % {"where": where, "kinds": ", ".join(FILE_KINDS)}
            )
    else:
        for setting in ("max_size", "accept"):
            if setting in field:
                errors.append(
                    _("%(where)s.%(setting)s: only file fields have this setting.")
                    % {"where": where, "setting": setting}
                )

    if "prefill" in field:
        source = PREFILL_SOURCES.get(field["prefill"])
        if source is None:
            errors.append(
                _("%(where)s.prefill: %(value)s is not one of %(sources)s.")
                % {"where": where, "value": field["prefill"], "sources": ", ".join(PREFILL_SOURCES)}
            )
        elif field_type not in source[1]:
            errors.append(
                _("%(where)s.prefill: %(value)s cannot fill a %(type)s field.")
                % {"where": where, "value": field["prefill"], "type": field_type}
            )
    if "show_if" in field:
        _check_show_if(field["show_if"], f"{where}.show_if", errors, earlier=earlier, own_key=key)


def errors_for(where: str, errors: list[str]) -> bool:
    return any(error.startswith(where) for error in errors)


def _is_iso_date(value: object) -> bool:
    from datetime import date

    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def validate_definition(definition: object, *, complete: bool = True) -> dict:
    """Check a definition; returns it unchanged or raises ValidationError listing every problem.

    `complete=False` (a draft being built) asks only for English text; publishing asks for all three
    languages.
    """
    errors: list[str] = []
    if not isinstance(definition, dict):
        raise ValidationError(_("definition: must be a JSON object."), code="invalid")
    unknown = set(definition) - _TOP_KEYS
    if unknown:
        errors.append(_("definition: unknown setting %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
    _check_text(definition.get("title"), "title", errors, required=True, complete=complete)
    _check_text(definition.get("description"), "description", errors, required=False, complete=complete)
    pages = definition.get("pages")
    if not isinstance(pages, list) or not pages:
        errors.append(_("pages: a form needs at least one page."))
        raise ValidationError(errors, code="invalid")
    if len(pages) > MAX_PAGES:
        errors.append(_("pages: at most %(max)s pages.") % {"max": MAX_PAGES})
    earlier: dict[str, dict] = {}
    page_keys: set[str] = set()
    total = 0
    for page_index, page in enumerate(pages):
        where = f"pages[{page_index}]"
        if not isinstance(page, dict):
            errors.append(_("%(where)s: a page must be an object.") % {"where": where})
            continue
        if set(page) - _PAGE_KEYS:
            errors.append(
                _("%(where)s: unknown setting %(keys)s.")
                % {"where": where, "keys": ", ".join(sorted(set(page) - _PAGE_KEYS))}
            )
        key = page.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            errors.append(
                _("%(where)s.key: use 1-40 lower-case letters, digits or _, starting with a letter.")
                % {"where": where}
            )
        elif key in page_keys:
            errors.append(_("%(where)s.key: %(key)s is used twice.") % {"where": where, "key": key})
        else:
            page_keys.add(key)
        _check_text(page.get("title"), f"{where}.title", errors, required=True, complete=complete)
        if "show_if" in page:
            _check_show_if(page["show_if"], f"{where}.show_if", errors, earlier=earlier)
        fields = page.get("fields")
        if not isinstance(fields, list) or not fields:
            errors.append(_("%(where)s.fields: a page needs at least one field.") % {"where": where})
            continue
        for field_index, field in enumerate(fields):
            total += 1
            _check_field(field, f"{where}.fields[{field_index}]", errors, earlier=earlier, complete=complete)
            if isinstance(field, dict) and isinstance(field.get("key"), str) and field["key"] not in earlier:
                earlier[field["key"]] = field
    if total > MAX_FIELDS:
        errors.append(_("pages: at most %(max)s fields in a form.") % {"max": MAX_FIELDS})
    if errors:
        raise ValidationError(errors, code="invalid")
    return definition


# Conditional logic -------------------------------------------------------------------------------


def condition_holds(condition: dict | None, answers: dict[str, Any]) -> bool:
    if not condition:
        return True
    value = answers.get(condition["field"])
    if "in" in condition:
        if isinstance(value, list):  # a multi-choice checkbox: any ticked value counts
            return any(item in condition["in"] for item in value)
        return value in condition["in"]
    if isinstance(value, list):
        return condition["equals"] in value
    return value == condition["equals"]


def visible_pages(definition: dict, answers: dict[str, Any]) -> list[dict]:
    """Pages shown for these answers. A field hidden by its condition counts as unanswered, so a
    chain of conditions (C depends on B, B on A) collapses when A changes."""
    effective = visible_answers(definition, answers)
    return [page for page in definition.get("pages", []) if condition_holds(page.get("show_if"), effective)]


def visible_fields(page: dict, answers: dict[str, Any]) -> list[dict]:
    return [field for field in page.get("fields", []) if condition_holds(field.get("show_if"), answers)]


def visible_answers(definition: dict, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers of pages and fields shown, evaluated in order; hidden answers are dropped."""
    kept: dict[str, Any] = {}
    for page in definition.get("pages", []):
        if not condition_holds(page.get("show_if"), kept):
            continue
        for field in page.get("fields", []):
            if condition_holds(field.get("show_if"), kept) and field["key"] in answers:
                kept[field["key"]] = answers[field["key"]]
    return kept


def visible_field_keys(definition: dict, answers: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    kept: dict[str, Any] = {}
    for page in definition.get("pages", []):
        if not condition_holds(page.get("show_if"), kept):
            continue
        for field in page.get("fields", []):
            if condition_holds(field.get("show_if"), kept):
                keys.add(field["key"])
                if field["key"] in answers:
                    kept[field["key"]] = answers[field["key"]]
    return keys
