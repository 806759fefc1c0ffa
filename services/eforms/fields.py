"""From a definition page to a Django form, and from a resident's eID record to prefilled values.

Each page becomes an ordinary Django form (so errors, labels and USWDS widgets work as everywhere
else in the portal). Prefilled fields are not part of the form at all: nothing posted for them is
read, and the values are read again from eID at submission.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eid.public import District, User, hkid_hash, hkid_mask, hkid_validate
from services.eforms.definition import (
    DEFAULT_FILE_SIZE,
    FILE_KINDS,
    PREFILL_SOURCES,
    condition_holds,
    localised,
)

ADDRESS_PARTS = ("flat", "building", "street", "district")
ADDRESS_LABELS = {
    "flat": gettext_lazy("Flat, floor and block"),
    "building": gettext_lazy("Building"),
    "street": gettext_lazy("Street"),
    "district": gettext_lazy("District"),
}

# Magic bytes → kind. The extension and the browser's Content-Type are never trusted.
MAGIC = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpeg", "image/jpeg"),
)
KIND_LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG"}

_HK_PHONE = re.compile(r"^(?:\+?852)?([2-9]\d{7})$")


def sniff(head: bytes) -> tuple[str, str] | None:
    """(kind, content type) from a file's first bytes; None if it is not a PDF, PNG or JPEG."""
    for magic, kind, content_type in MAGIC:
        if head.startswith(magic):
            return kind, content_type
    return None


def normalise_hk_phone(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw or "")
    match = _HK_PHONE.match(digits)
    if not match:
        raise ValidationError(_("Enter a Hong Kong phone number of 8 digits, like 9123 4567."), code="phone")
    return f"+852{match.group(1)}"


def normalise_hkid(raw: str) -> str:
    """A123456(7) from what the resident typed; the check digit must match (eid's rules)."""
    compact = hkid_validate(raw)
    return f"{compact[:-1]}({compact[-1]})"


def hkid_answer(raw: str) -> dict[str, str]:
    """What an HKID question stores: eid's keyed hash (for the department's systems to match) and the
    masked form, never the number itself (personal data minimised, shown masked)."""
    compact = hkid_validate(raw)
    return {"hmac": hkid_hash(compact), "masked": hkid_mask(compact)}


def hkid_masked_text(value: Any) -> str:
    """The masked HKID of a stored answer (older rows may hold the plain number: masked here too)."""
    if isinstance(value, dict):
        return str(value.get("masked") or "")
    try:
        return hkid_mask(hkid_validate(str(value)))
    except ValidationError:
        return "***"


# Prefill ------------------------------------------------------------------------------------------


def eid_value(*, user: User, source: str, field_type: str) -> Any:
    """The value eID holds for a prefill source, shaped for the field type; None if eID has none."""
    if source == "name_en":
        return user.legal_name_en or None
    if source == "name_zh":
        return user.legal_name_zh or None
    if source == "email":
        return user.email or None
    if source == "phone":
        return user.mobile_number or None
    if source == "birthdate":
        return user.date_of_birth.isoformat() if user.date_of_birth else None
    if source == "hkid_masked":
        return user.hkid_masked or None
    if source == "address":
        parts = {
            "flat": user.address_flat,
            "building": user.address_building,
            "street": user.address_street,
            "district": user.address_district,
        }
        if not any(parts.values()):
            return None
        if field_type == "hk_address":
            return parts
        return address_text(parts)
    raise ValueError(source)


def address_text(value: dict) -> str:
    district = value.get("district") or ""
    district_label = str(District(district).label) if district in District.values else district
    return ", ".join(
        part
        for part in (value.get("flat"), value.get("building"), value.get("street"), district_label)
        if part
    )


def prefill_values(*, user: User, definition: dict) -> dict[str, Any]:
    """Field key → the value read now from the resident's eID record, for every mapped field eID fills."""
    values: dict[str, Any] = {}
    for page in definition.get("pages", []):
        for field in page.get("fields", []):
            source = field.get("prefill")
            if source and source in PREFILL_SOURCES:
                value = eid_value(user=user, source=source, field_type=field["type"])
                if value is not None:
                    values[field["key"]] = value
    return values


# Page forms ---------------------------------------------------------------------------------------


class PageForm(forms.Form):
    """Built per page by page_form(); `definition_fields` keeps the definition of each question."""

    definition_fields: list[dict]
    conditional_keys: set[str]
    # HKID answers already given (hash + mask): an empty post keeps them, the number is not re-asked.
    kept_answers: dict[str, Any]

    def answers(self) -> dict[str, Any]:
        """The cleaned answers, keyed by field key (addresses as a dict), files excluded."""
        out: dict[str, Any] = {}
        for field in self.definition_fields:
            key, field_type = field["key"], field["type"]
            if field_type == "file":
                continue
            if field_type == "hk_address":
                parts = {part: self.cleaned_data.get(f"{key}__{part}", "") for part in ADDRESS_PARTS}
                if any(parts.values()):
                    out[key] = parts
                continue
            value = self.cleaned_data.get(key)
            if field_type == "hkid" and not value and key in self.kept_answers:
                out[key] = self.kept_answers[key]
                continue
            if value in (None, "", [], False) and field_type not in ("checkbox",):
                continue
            if field_type == "checkbox" and not field.get("choices") and not value:
                continue
            out[key] = _json_value(value)
        return out

    def uploads(self) -> dict[str, Any]:
        return {
            field["key"]: self.cleaned_data.get(field["key"])
            for field in self.definition_fields
            if field["type"] == "file" and self.cleaned_data.get(field["key"])
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _choices(field: dict) -> list[tuple[str, str]]:
    return [(choice["value"], localised(choice["label"])) for choice in field.get("choices", [])]


class UploadField(forms.FileField):
    """A file checked by its first bytes against the kinds the question accepts, and by size."""

    def __init__(self, *, accept: list[str], max_size: int, **kwargs: Any) -> None:
        self.accept = accept
        self.max_size = max_size
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not upload:
            return upload
        if upload.size > self.max_size:
            raise ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": round(self.max_size / 1024 / 1024, 1)},
                code="too_large",
            )
        upload.seek(0)
        sniffed = sniff(upload.read(16))
        upload.seek(0)
        if sniffed is None or sniffed[0] not in self.accept:
            raise ValidationError(
                _("The file must be a %(kinds)s file.")
                % {"kinds": " / ".join(KIND_LABELS[kind] for kind in self.accept)},
                code="file_type",
            )
        upload.sniffed_kind, upload.sniffed_content_type = sniffed
        return upload


def _form_field(field: dict, *, required: bool, has_file: bool, kept: Any = None) -> dict[str, forms.Field]:
    key, field_type = field["key"], field["type"]
    common = {
        "label": localised(field["label"]),
        "help_text": localised(field.get("help")),
        "required": required,
    }
    if field_type == "text":
        validators = []
        if field.get("pattern"):
            validators.append(
                RegexValidator(f"(?:{field['pattern']})\\Z", message=_("Check the format of your answer."))
            )
        return {
            key: forms.CharField(
                min_length=field.get("min_length"),
                max_length=field.get("max_length", 500),
                validators=validators,
                **common,
            )
        }
    if field_type == "number":
        return {
            key: forms.DecimalField(
                min_value=field.get("min"),
                max_value=field.get("max"),
                max_digits=18,
                decimal_places=6,
                **common,
            )
        }
    if field_type == "date":
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        date_field = forms.DateField(input_formats=["%Y-%m-%d"], widget=widget, **common)
        if field.get("min"):
            date_field.validators.append(_date_bound(date.fromisoformat(field["min"]), minimum=True))
        if field.get("max"):
            date_field.validators.append(_date_bound(date.fromisoformat(field["max"]), minimum=False))
        return {key: date_field}
    if field_type == "choice":
        return {key: forms.ChoiceField(choices=_choices(field), widget=forms.RadioSelect, **common)}
    if field_type == "checkbox":
        if field.get("choices"):
            return {
                key: forms.MultipleChoiceField(
                    choices=_choices(field), widget=forms.CheckboxSelectMultiple, **common
                )
            }
        return {key: forms.BooleanField(**common)}
    if field_type == "email":
        return {key: forms.EmailField(max_length=254, **common)}
    if field_type == "phone":
        return {key: _CleanedCharField(normalise_hk_phone, max_length=20, **common)}
    if field_type == "hkid":
        if kept is not None:
            # Given already: only the mask is kept, so the box stays empty and may be left so.
            common["required"] = False
            common["help_text"] = " ".join(
                part
                for part in (
                    str(common["help_text"] or ""),
                    _("You gave %(masked)s. Leave this empty to keep it, or type the number again.")
                    % {"masked": hkid_masked_text(kept)},
                )
                if part
            )
        return {key: _CleanedCharField(hkid_answer, max_length=16, **common)}
    if field_type == "declaration":
        common["required"] = True
        return {key: forms.BooleanField(**common)}
    if field_type == "file":
        common["required"] = required and not has_file
        return {
            key: UploadField(
                accept=field.get("accept", list(FILE_KINDS)),
                max_size=field.get("max_size", DEFAULT_FILE_SIZE),
                **common,
            )
        }
    if field_type == "hk_address":
        label = localised(field["label"])
        parts = {}
        for part in ADDRESS_PARTS:
            part_required = required and part in ("street", "district")
            part_label = f"{label}: {ADDRESS_LABELS[part]}"
            if part == "district":
                parts[f"{key}__{part}"] = forms.ChoiceField(
                    label=part_label, choices=[("", "-"), *District.choices], required=part_required
                )
            else:
                parts[f"{key}__{part}"] = forms.CharField(
                    label=part_label, max_length=150, required=part_required
                )
        return parts
    raise ValueError(field_type)


class _CleanedCharField(forms.CharField):
    def __init__(self, normalise: Any, **kwargs: Any) -> None:
        self.normalise = normalise
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        return self.normalise(value) if value else value


def _date_bound(bound: date, *, minimum: bool) -> Any:
    def check(value: date) -> None:
        if minimum and value < bound:
            raise ValidationError(_("Enter a date on or after %(date)s.") % {"date": bound.isoformat()})
        if not minimum and value > bound:
            raise ValidationError(_("Enter a date on or before %(date)s.") % {"date": bound.isoformat()})

    return check


def page_form(
    *,
    page: dict,
    answers: dict[str, Any],
    prefilled: dict[str, Any],
    files_present: set[str],
    data: Any = None,
    files: Any = None,
) -> PageForm:
    """The form for one page: its visible, not prefilled questions.

    A field whose condition depends on another question of the same page is included but optional
    here (the page works without JavaScript); `validate_page` decides once both answers are in.
    """
    same_page = {field["key"] for field in page.get("fields", [])}
    fields: dict[str, forms.Field] = {}
    definition_fields: list[dict] = []
    conditional: set[str] = set()
    kept: dict[str, Any] = {}
    for field in page.get("fields", []):
        if field["key"] in prefilled:
            continue
        condition = field.get("show_if")
        depends_here = bool(condition) and condition["field"] in same_page
        if not depends_here and not condition_holds(condition, answers):
            continue
        required = bool(field.get("required")) and not depends_here
        if depends_here:
            conditional.add(field["key"])
        given = answers.get(field["key"]) if field["type"] == "hkid" else None
        if given:
            kept[field["key"]] = given
        fields.update(
            _form_field(field, required=required, has_file=field["key"] in files_present, kept=given or None)
        )
        definition_fields.append(field)
    form_class = type("DynamicPageForm", (PageForm,), dict(fields))
    initial = _initial(definition_fields, answers)
    form = form_class(data=data, files=files, initial=initial, prefix=None)
    form.definition_fields = definition_fields
    form.conditional_keys = conditional
    form.kept_answers = kept
    return form


def _initial(fields: list[dict], answers: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for field in fields:
        value = answers.get(field["key"])
        if value is None:
            continue
        if field["type"] == "hk_address" and isinstance(value, dict):
            for part in ADDRESS_PARTS:
                initial[f"{field['key']}__{part}"] = value.get(part, "")
        elif field["type"] not in ("file", "hkid"):  # an HKID is never shown again, only its mask
            initial[field["key"]] = value
    return initial


def validate_page(form: PageForm, *, answers: dict[str, Any]) -> bool:
    """Validate, then apply same-page conditions: a shown conditional question that is required
    must be answered; a hidden one's answer is dropped by the caller (visible_answers)."""
    if not form.is_valid():
        return False
    own = {field["key"] for field in form.definition_fields}
    merged = {**{key: value for key, value in answers.items() if key not in own}, **form.answers()}
    for field in form.definition_fields:
        if field["key"] not in form.conditional_keys or not field.get("required"):
            continue
        if condition_holds(field.get("show_if"), merged) and field["key"] not in merged:
            target = field["key"] if field["type"] != "hk_address" else f"{field['key']}__street"
            form.add_error(target, _("This field is required."))
    return form.is_valid()


def display_value(field: dict, value: Any) -> str:
    """An answer as text for check-your-answers, receipts and officers."""
    if value is None or value == "":
        return ""
    field_type = field["type"]
    if field_type == "choice":
        labels = dict(_choices(field))
        return labels.get(value, str(value))
    if field_type == "checkbox":
        if field.get("choices"):
            labels = dict(_choices(field))
            return ", ".join(labels.get(item, str(item)) for item in value)
        return _("Yes") if value else _("No")
    if field_type == "declaration":
        return _("Confirmed") if value else ""
    if field_type == "hk_address" and isinstance(value, dict):
        return address_text(value)
    if field_type == "hkid":
        return hkid_masked_text(value)
    return str(value)
