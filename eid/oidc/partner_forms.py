"""Forms of partner onboarding: organisation, application, and the administrator's decision."""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from eid.oidc.registration import Registration, registration_validate
from eid.public import SCOPE_DESCRIPTIONS, SCOPES, Department, User


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    business_registration_number = forms.CharField(
        label=_("Business registration number"),
        help_text=_("The 8 digits on the Business Registration Certificate. Not needed for a department."),
        required=False,
        validators=[RegexValidator(r"^\d{8}$", _("Enter the 8 digits of the business registration number."))],
    )
    contact_email = forms.EmailField(
        label=_("Contact email"), help_text=_("Where the portal team writes about your applications.")
    )
    department = forms.ModelChoiceField(
        label=_("Government department (for a department's own systems)"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("None: a company or other organisation"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(memberships__user=user).distinct()
        if departments.exists():
            self.fields["department"].queryset = departments
        else:
            del self.fields["department"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        missing = not data.get("department") and not data.get("business_registration_number")
        if missing and "business_registration_number" not in self.errors:
            self.add_error("business_registration_number", _("Enter the business registration number."))
        return data


class MemberForm(forms.Form):
    email = forms.EmailField(
        label=_("Colleague's email address"),
        help_text=_("The verified email address of their eID account."),
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class ApplicationForm(forms.Form):
    KEY_SECRET = "secret"  # noqa: S105 - a choice value, not a secret
    KEY_JWKS = "jwks"
    KEY_JWKS_URI = "jwks_uri"

    name = forms.CharField(label=_("Application name"), max_length=100)
    purpose_en = forms.CharField(
        label=_("Purpose, in English"),
        help_text=_("Shown to residents on the consent screen: why your application needs their eID."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )
    purpose_zh_hant = forms.CharField(
        label=_("Purpose, in Traditional Chinese"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )
    purpose_zh_hans = forms.CharField(
        label=_("Purpose, in Simplified Chinese"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )
    redirect_uris = forms.CharField(
        label=_("Redirect URIs"),
        help_text=_("One per line, https (http only for localhost). Matched exactly."),
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    post_logout_redirect_uris = forms.CharField(
        label=_("Post-logout redirect URIs (optional)"),
        help_text=_("One per line: where residents may be sent after signing out through your application."),
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        required=False,
    )
    backchannel_logout_uri = forms.CharField(
        label=_("Back-channel logout URI (optional)"),
        help_text=_("The portal posts a signed logout token here when a resident's session ends."),
        required=False,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    key_type = forms.ChoiceField(
        label=_("How your application authenticates"),
        choices=[
            (KEY_JWKS_URI, _("private_key_jwt with keys published at a jwks_uri")),
            (KEY_JWKS, _("private_key_jwt with the public keys (JWK Set) pasted below")),
            (KEY_SECRET, _("A client secret (not allowed for FAPI applications)")),
        ],
        widget=forms.RadioSelect,
    )
    jwks_uri = forms.CharField(
        label=_("jwks_uri"), required=False, widget=forms.TextInput(attrs={"spellcheck": "false"})
    )
    jwks = forms.CharField(
        label=_("JWK Set (public keys only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What your application asks residents for"),
        help_text=_("The HKID is always masked for partners."),
        choices=[(scope, SCOPE_DESCRIPTIONS.get(scope, scope)) for scope in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["openid"],
    )
    fapi = forms.BooleanField(
        label=_("FAPI 2.0 (pushed requests, DPoP, private_key_jwt; required for banks)"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        key_type = data["key_type"]
        jwks: dict | None = None
        if key_type == self.KEY_JWKS:
            if not data.get("jwks", "").strip():
                self.add_error("jwks", _("Paste your public JWK Set."))
                return data
            try:
                jwks = json.loads(data["jwks"])
            except ValueError:
                self.add_error("jwks", _("The JWK Set is not valid JSON."))
                return data
        if key_type == self.KEY_JWKS_URI and not data.get("jwks_uri", "").strip():
            self.add_error("jwks_uri", _("Enter the URI where your public keys are published."))
            return data
        scopes = list(dict.fromkeys(["openid", *data["scopes"]]))
        registration = Registration(
            redirect_uris=_lines(data["redirect_uris"]),
            post_logout_redirect_uris=_lines(data.get("post_logout_redirect_uris", "")),
            backchannel_logout_uri=data.get("backchannel_logout_uri", "").strip(),
            scopes=scopes,
            fapi=bool(data.get("fapi")),
            jwks=jwks,
            jwks_uri=data.get("jwks_uri", "").strip() if key_type == self.KEY_JWKS_URI else "",
        )
        try:
            registration_validate(registration)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return data
        data["registration"] = registration
        return data


class ApproveForm(forms.Form):
    hkid_legal_basis = forms.CharField(
        label=_("Legal basis for the HKID (departments only)"),
        help_text=_(
            "The ordinance or policy that allows this system to receive the HKID. Leave empty if none."
        ),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, shown to the organisation"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
