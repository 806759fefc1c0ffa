import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput)
    end = forms.DateField(label=_("To (inclusive)"), widget=DateInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                raise ValidationError(_("The end date is before the start date."))
            if (data["end"] - data["start"]).days > 366:
                raise ValidationError(_("Choose a range of at most one year."))
        return data

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.cleaned_data["start"], datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(
            self.cleaned_data["end"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        return start, end


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund (HK$)"), min_value=0.01, max_digits=11, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def amount_in_cents(self) -> int:
        return int(self.cleaned_data["amount"] * 100)
