from django import forms
from django.utils.translation import gettext_lazy as _

from eid.public import District
from services.notifications.models import AREA_TOPICS, Channel, Topic


def _pair_choices() -> list[tuple[str, str]]:
    return [
        (f"{channel}:{topic}", f"{channel}:{topic}") for channel in Channel.values for topic in Topic.values
    ]


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

    def opted_out(self) -> set[tuple[str, str]]:
        wanted = set(self.cleaned_data["receive"])
        return {
            (channel, topic)
            for channel in Channel.values
            for topic in Topic.values
            if f"{channel}:{topic}" not in wanted
        }
