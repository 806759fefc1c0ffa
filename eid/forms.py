from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eid.hkid import hkid_validate
from eid.models import VerificationRequest


class DateInput(forms.DateInput):
    input_type = "date"


class VerificationRequestForm(forms.Form):
    legal_name_en = forms.CharField(
        label=_("Full name in English, as on your identity card"), max_length=150, strip=True
    )
    legal_name_zh = forms.CharField(
        label=_("Full name in Chinese, as on your identity card (if any)"), max_length=50, required=False
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput)
    hkid = forms.CharField(
        label=_("HKID number"),
        max_length=12,
        help_text=_("For example A123456(3). Only a masked form is kept."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_hkid(self) -> str:
        return hkid_validate(self.cleaned_data["hkid"])

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value >= timezone.localdate():
            raise ValidationError(_("Enter a date of birth in the past."))
        return value


class VerificationApproveForm(forms.Form):
    document_type = forms.ChoiceField(
        label=_("Document checked"), choices=VerificationRequest.Document.choices
    )
    hkid_on_document = forms.CharField(
        label=_("HKID number on the document"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth_on_document = forms.DateField(label=_("Date of birth on the document"), widget=DateInput)
    name_matches = forms.BooleanField(label=_("The name on the document matches the request"), required=False)

    def clean_hkid_on_document(self) -> str:
        return hkid_validate(self.cleaned_data["hkid_on_document"])


class VerificationRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, shown to the resident"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
