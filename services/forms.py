from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eid.public import department_list
from services.base import Category


class CatalogueFilterForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        self.fields["department"].choices = [("", _("All departments"))] + [
            (department.code, department.name_in(language)) for department in department_list()
        ]
