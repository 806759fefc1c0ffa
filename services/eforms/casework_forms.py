"""Server-rendered forms of case handling (officers) and of the resident's reply."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from services.eforms.case_selectors import MAX_EXPORT_DAYS, InboxFilter
from services.eforms.casework import MAX_MESSAGE, MAX_REPLY_FILES, OFFICER_TRANSITIONS
from services.eforms.fields import UploadField
from services.eforms.models import Submission

# The reply accepts what most forms accept for evidence; each file is sniffed, never trusted.
REPLY_KINDS = ["pdf", "png", "jpeg"]
REPLY_MAX_SIZE = 10 * 1024 * 1024

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference or applicant name"), required=False, max_length=100)
    form = forms.ChoiceField(label=_("Form"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Assigned to me")), ("none", _("Not assigned"))],
    )
    date_from = forms.DateField(label=_("Submitted from"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("Submitted to"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, form_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [("", _("All forms")), *form_choices]
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (value, label)
            for value, label in Submission.Status.choices
            if value != Submission.Status.PAYMENT_PENDING
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date must be on or before the end date."))
        return data

    def to_filter(self) -> InboxFilter:
        data = self.cleaned_data
        return InboxFilter(
            form=data.get("form") or "",
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=data.get("q") or "",
            assigned=data.get("assigned") or "",
        )


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Reason or message to the applicant"),
        help_text=_("Required when you reject an application or ask for more information."),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, submission: Submission, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Submission.Status.choices)
        # Only the moves the transition table allows from here (casework checks again on save).
        allowed = OFFICER_TRANSITIONS.get(submission.status, frozenset())
        self.fields["to_status"].choices = [(value, labels[value]) for value in sorted(allowed)]


class AssignForm(forms.Form):
    officer = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args: Any, officers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.officers = {str(officer.public_id): officer for officer in officers}
        self.fields["officer"].choices = [("", _("Nobody"))] + [
            (key, officer.legal_name_en or officer.email) for key, officer in self.officers.items()
        ]


class MessageForm(forms.Form):
    message = forms.CharField(
        label=_("Message"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 4})
    )
    internal = forms.BooleanField(label=_("Internal note (not shown to the applicant)"), required=False)


class ExportForm(forms.Form):
    date_from = forms.DateField(label=_("Submitted from"), widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("Submitted to"), widget=DATE_WIDGET)
    form = forms.ChoiceField(label=_("Form"), required=False)

    def __init__(self, *args: Any, form_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [("", _("All forms")), *form_choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start date must be on or before the end date."))
            if end - start > timedelta(days=MAX_EXPORT_DAYS):
                raise forms.ValidationError(
                    _("Export at most %(days)s days at a time.") % {"days": MAX_EXPORT_DAYS}
                )
        return data


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Webhook URL"),
        help_text=_("A public https address of your department's system. Leave empty to stop the webhook."),
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        help_text=_("At least 16 characters; your system checks the signature with it. Shown only now."),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReplyFilesField(forms.FileField):
    """Several files, each checked by the forms' own upload rules (UploadField: size, then the type
    sniffed from the first bytes — never the name or the browser's claim)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(uploads) > MAX_REPLY_FILES:
            raise forms.ValidationError(_("Add at most %(count)s files.") % {"count": MAX_REPLY_FILES})
        checker = UploadField(accept=REPLY_KINDS, max_size=REPLY_MAX_SIZE, required=False)
        return [checker.clean(upload) for upload in uploads]


class ReplyForm(forms.Form):
    message = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    files = ReplyFilesField(label=_("Files (PDF, PNG or JPEG, up to 10 MB each)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("message") or "").strip() and not data.get("files") and not self.errors:
            raise forms.ValidationError(_("Write an answer or add a file."))
        return data
