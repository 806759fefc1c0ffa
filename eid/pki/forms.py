from django import forms
from django.utils.translation import gettext_lazy as _


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
