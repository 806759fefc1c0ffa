"""Server-rendered forms of the form builder: one form per page or question, and the version settings.

Each form turns its fields into the definition's JSON shape (`to_definition`) and back (`initial_from`).
"""

import json
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from eid.public import LANGUAGE_CODES, AssuranceLevel, Department
from services.eforms.definition import FIELD_TYPES, FILE_KINDS, KEY_PATTERN, PREFILL_SOURCES

LANGUAGE_LABELS = {
    "en": _("English"),
    "zh-hant": _("Traditional Chinese"),
    "zh-hans": _("Simplified Chinese"),
}


def _suffix(language: str) -> str:
    return language.replace("-", "_")


def _text_fields(name: str, label: Any, *, required_en: bool) -> dict[str, forms.Field]:
    return {
        f"{name}_{_suffix(language)}": forms.CharField(
            label=f"{label} ({LANGUAGE_LABELS[language]})",
            required=required_en and language == "en",
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}) if name in ("help", "description") else forms.TextInput,
        )
        for language in LANGUAGE_CODES
    }


def _text_value(data: dict, name: str) -> dict[str, str] | None:
    value = {
        language: data.get(f"{name}_{_suffix(language)}", "").strip()
        for language in LANGUAGE_CODES
        if data.get(f"{name}_{_suffix(language)}", "").strip()
    }
    return value or None


def _text_initial(value: Any, name: str) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    return {f"{name}_{_suffix(language)}": value.get(language, "") for language in LANGUAGE_CODES}


def _parse_value(raw: str) -> Any:
    raw = raw.strip()
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d{1,15}", raw):
        return int(raw)
    return raw


def _condition(data: dict) -> dict | None:
    target = data.get("show_if_field", "").strip()
    if not target:
        return None
    values = [_parse_value(part) for part in data.get("show_if_values", "").split(",") if part.strip()]
    if len(values) == 1:
        return {"field": target, "equals": values[0]}
    return {"field": target, "in": values}


def _condition_initial(condition: Any) -> dict[str, str]:
    if not isinstance(condition, dict):
        return {"show_if_field": "", "show_if_values": ""}
    values = condition.get("in") if "in" in condition else [condition.get("equals")]
    return {
        "show_if_field": condition.get("field", ""),
        "show_if_values": ", ".join(
            json.dumps(value) if isinstance(value, bool) else str(value) for value in values
        ),
    }


class _KeyField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=40,
            help_text=_(
                "Lower-case letters, digits and _, starting with a letter. Used in exports and the API."
            ),
            **kwargs,
        )

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value and not KEY_PATTERN.match(value):
            raise forms.ValidationError(_("Use lower-case letters, digits and _, starting with a letter."))
        return value


class NewFormForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("Department"))
    slug = forms.SlugField(
        label=_("Address name"),
        max_length=64,
        help_text=_("Part of the form's address, e.g. parking-permit."),
    )
    reference_prefix = forms.RegexField(
        regex=r"^[A-Za-z]{2,5}$",
        label=_("Reference prefix"),
        help_text=_("2 to 5 letters: reference numbers read PREFIX-YEAR-000123."),
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields.update(_text_fields("title", _("Title"), required_en=True))

    def title(self) -> dict[str, str]:
        return _text_value(self.cleaned_data, "title") or {}


class SettingsForm(forms.Form):
    required_assurance = forms.TypedChoiceField(
        label=_("Required assurance level"), choices=AssuranceLevel.choices, coerce=int
    )
    fee = forms.DecimalField(
        label=_("Fee (HK$)"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("100000"),
        decimal_places=2,
        help_text=_("Leave empty for no fee."),
    )
    signature_required = forms.BooleanField(label=_("The resident signs the application"), required=False)
    draft_retention_days = forms.IntegerField(
        label=_("Days an unfinished application is kept"), min_value=1, max_value=365
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_text_fields("title", _("Title"), required_en=True))
        self.fields.update(_text_fields("description", _("Description"), required_en=False))

    @staticmethod
    def initial_from(version: Any) -> dict[str, Any]:
        return {
            "required_assurance": version.required_assurance,
            "fee": Decimal(version.fee_cents) / 100 if version.fee_cents else None,
            "signature_required": version.signature_required,
            "draft_retention_days": version.draft_retention_days,
            **_text_initial(version.definition.get("title"), "title"),
            **_text_initial(version.definition.get("description"), "description"),
        }

    def settings(self) -> dict[str, Any]:
        fee = self.cleaned_data["fee"]
        return {
            "required_assurance": self.cleaned_data["required_assurance"],
            "fee_cents": int(fee * 100) if fee else None,
            "signature_required": self.cleaned_data["signature_required"],
            "draft_retention_days": self.cleaned_data["draft_retention_days"],
        }

    def apply_to(self, definition: dict) -> dict:
        result = {**definition, "title": _text_value(self.cleaned_data, "title")}
        description = _text_value(self.cleaned_data, "description")
        if description:
            result["description"] = description
        else:
            result.pop("description", None)
        return result


class PageForm(forms.Form):
    key = _KeyField(label=_("Key"))
    show_if_field = forms.CharField(label=_("Show only if the question (key)"), required=False, max_length=40)
    show_if_values = forms.CharField(
        label=_("has one of these answers (comma-separated)"), required=False, max_length=500
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_text_fields("title", _("Page title"), required_en=True))

    @staticmethod
    def initial_from(page: dict) -> dict[str, Any]:
        return {
            "key": page.get("key", ""),
            **_text_initial(page.get("title"), "title"),
            **_condition_initial(page.get("show_if")),
        }

    def to_definition(self) -> dict:
        page: dict[str, Any] = {
            "key": self.cleaned_data["key"],
            "title": _text_value(self.cleaned_data, "title"),
        }
        if condition := _condition(self.cleaned_data):
            page["show_if"] = condition
        return page


# What officers read for each answer type and eID source (the codes are the definition's vocabulary).
FIELD_TYPE_LABELS = {
    "text": _("Text"),
    "number": _("Number"),
    "date": _("Date"),
    "choice": _("One choice from a list"),
    "checkbox": _("Tick boxes"),
    "email": _("Email address"),
    "phone": _("Phone number"),
    "hk_address": _("Hong Kong address"),
    "hkid": _("HKID number"),
    "file": _("File upload"),
    "declaration": _("Declaration"),
}
PREFILL_LABELS = {
    "name_en": _("Name in English"),
    "name_zh": _("Name in Chinese"),
    "address": _("Address"),
    "phone": _("Phone number"),
    "email": _("Email address"),
    "birthdate": _("Date of birth"),
    "hkid_masked": _("HKID number (masked)"),
}


class FieldForm(forms.Form):
    key = _KeyField(label=_("Key"))
    type = forms.ChoiceField(
        label=_("Type of answer"), choices=[(kind, FIELD_TYPE_LABELS[kind]) for kind in FIELD_TYPES]
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    prefill = forms.ChoiceField(
        label=_("Fill in from the resident's eID"),
        required=False,
        choices=[("", _("No")), *[(source, PREFILL_LABELS[source]) for source in PREFILL_SOURCES]],
    )
    min = forms.CharField(label=_("Minimum (number, or date YYYY-MM-DD)"), required=False, max_length=20)
    max = forms.CharField(label=_("Maximum (number, or date YYYY-MM-DD)"), required=False, max_length=20)
    min_length = forms.IntegerField(label=_("Minimum length"), required=False, min_value=0, max_value=2000)
    max_length = forms.IntegerField(label=_("Maximum length"), required=False, min_value=1, max_value=2000)
    pattern = forms.CharField(label=_("Pattern (regular expression)"), required=False, max_length=200)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: value | English | Traditional Chinese | Simplified Chinese"),
    )
    accept = forms.MultipleChoiceField(
        label=_("File types"),
        required=False,
        choices=[(kind, kind.upper()) for kind in FILE_KINDS],
        widget=forms.CheckboxSelectMultiple,
    )
    max_size_kb = forms.IntegerField(
        label=_("Largest file (KB)"), required=False, min_value=1, max_value=10240
    )
    show_if_field = forms.CharField(label=_("Show only if the question (key)"), required=False, max_length=40)
    show_if_values = forms.CharField(
        label=_("has one of these answers (comma-separated)"), required=False, max_length=500
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_text_fields("label", _("Question"), required_en=True))
        self.fields.update(_text_fields("help", _("Help text"), required_en=False))

    def clean_choices(self) -> list[dict] | None:
        lines = [line for line in self.cleaned_data["choices"].splitlines() if line.strip()]
        if not lines:
            return None
        choices = []
        for number, line in enumerate(lines, start=1):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError(
                    _("Line %(number)s: write value | English label (then the Chinese labels).")
                    % {"number": number}
                )
            label = {
                language: text for language, text in zip(LANGUAGE_CODES, parts[1:4], strict=False) if text
            }
            choices.append({"value": parts[0], "label": label})
        return choices

    @staticmethod
    def initial_from(field: dict) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "key": field.get("key", ""),
            "type": field.get("type", "text"),
            "required": bool(field.get("required")),
            "prefill": field.get("prefill", ""),
            "min": "" if field.get("min") is None else str(field["min"]),
            "max": "" if field.get("max") is None else str(field["max"]),
            "min_length": field.get("min_length"),
            "max_length": field.get("max_length"),
            "pattern": field.get("pattern", ""),
            "choices": "\n".join(
                " | ".join(
                    [choice.get("value", "")]
                    + [choice.get("label", {}).get(lang, "") for lang in LANGUAGE_CODES]
                )
                for choice in field.get("choices", [])
            ),
            "accept": field.get("accept", []),
            "max_size_kb": field["max_size"] // 1024 if field.get("max_size") else None,
            **_text_initial(field.get("label"), "label"),
            **_text_initial(field.get("help"), "help"),
            **_condition_initial(field.get("show_if")),
        }
        return initial

    def to_definition(self) -> dict:
        data = self.cleaned_data
        field: dict[str, Any] = {
            "key": data["key"],
            "type": data["type"],
            "label": _text_value(data, "label"),
        }
        if help_text := _text_value(data, "help"):
            field["help"] = help_text
        if data["required"]:
            field["required"] = True
        if data["prefill"]:
            field["prefill"] = data["prefill"]
        for bound in ("min", "max"):
            if data[bound].strip():
                raw = data[bound].strip()
                field[bound] = raw if data["type"] == "date" else _number(raw)
        for setting in ("min_length", "max_length"):
            if data[setting] is not None:
                field[setting] = data[setting]
        if data["pattern"]:
            field["pattern"] = data["pattern"]
        if data["choices"]:
            field["choices"] = data["choices"]
        if data["type"] == "file":
            if data["accept"]:
                field["accept"] = data["accept"]
            if data["max_size_kb"]:
                field["max_size"] = data["max_size_kb"] * 1024
        if condition := _condition(data):
            field["show_if"] = condition
        return field


def _number(raw: str) -> Any:
    try:
        value = Decimal(raw)
    except ArithmeticError:
        return raw  # left for the validator to name
    return int(value) if value == value.to_integral_value() else float(value)


class JsonForm(forms.Form):
    definition = forms.CharField(
        label=_("Definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}),
        max_length=500_000,
    )

    def clean_definition(self) -> Any:
        try:
            return json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": error.lineno, "column": error.colno}
            ) from error
