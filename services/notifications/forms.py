from django import forms
from django.utils.translation import gettext_lazy as _

from eid.public import District, User
from services.notifications.models import AREA_TOPICS, Channel, Topic


def _pair_choices() -> list[tuple[str, str]]:
    return [
        (f"{channel}:{topic}", f"{channel}:{topic}") for channel in Channel.values for topic in Topic.values
    ]


TIME_ATTRS = {"type": "time", "class": "usa-input usa-input--small", "aria-describedby": "quiet-hint"}


class PreferencesForm(forms.Form):
    """`receive` holds the channel:topic pairs the resident wants; the rest are opt-outs."""

    receive = forms.MultipleChoiceField(choices=_pair_choices, required=False)
    districts = forms.MultipleChoiceField(
        label=_("Districts"), choices=District.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    area_topics = forms.MultipleChoiceField(
        label=_("What to tell you about in those districts"),
        choices=[(topic.value, topic.label) for topic in AREA_TOPICS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    language = forms.ChoiceField(
        label=_("Language of your messages"),
        choices=User._meta.get_field("preferred_language").choices,
        required=False,
        widget=forms.RadioSelect,
    )
    quiet_start = forms.TimeField(
        label=_("Quiet from"), required=False, widget=forms.TimeInput(attrs=TIME_ATTRS, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        label=_("Quiet until"), required=False, widget=forms.TimeInput(attrs=TIME_ATTRS, format="%H:%M")
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if bool(cleaned.get("quiet_start")) != bool(cleaned.get("quiet_end")):
            raise forms.ValidationError(
                _("Give both the start and the end of your quiet hours, or neither."), code="quiet_hours"
            )
        return cleaned

    def opted_out(self) -> set[tuple[str, str]]:
        wanted = set(self.cleaned_data["receive"])
        return {
            (channel, topic)
            for channel in Channel.values
            for topic in Topic.values
            if f"{channel}:{topic}" not in wanted
        }
