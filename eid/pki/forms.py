from django import forms
from django.utils.translation import gettext_lazy as _

from eid.pki.constants import RevocationReason


class VerifyForm(forms.Form):
    document = forms.FileField(
        label=_("Document"),
        help_text=_("A signed PDF, or any file signed with a separate signature file."),
    )
    signature = forms.FileField(
        label=_("Signature file (optional)"),
        required=False,
        help_text=_("The .p7s file that came with the document. Leave empty for a signed PDF."),
    )


class SignForm(forms.Form):
    document = forms.FileField(label=_("File to sign"))
    as_pdf = forms.BooleanField(
        label=_("It is a PDF: sign inside the PDF"),
        required=False,
        help_text=_("Otherwise you get a separate signature file (.p7s) to keep with the file."),
    )


class OfficerSearchForm(forms.Form):
    query = forms.CharField(
        label=_("Serial number or email address"),
        max_length=254,
        help_text=_("The certificate's serial number, or the resident's email address."),
    )


class OfficerRevokeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (reason.value, reason.label)
            for reason in (
                RevocationReason.KEY_COMPROMISE,
                RevocationReason.AFFILIATION_CHANGED,
                RevocationReason.PRIVILEGE_WITHDRAWN,
                RevocationReason.CESSATION_OF_OPERATION,
                RevocationReason.UNSPECIFIED,
            )
        ],
    )
