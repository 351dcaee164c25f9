"""Forms of the pages that are not SOP steps (step and intake forms are built from SOP files in workflows.forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.forms import InstructionsField, PositionsField

from .models import SKM_ELEMENTS, SKM_SCALE, Position


class DispositionForm(forms.Form):
    """A disposisi inisiatif: to whom, with which instructions, a note and a batas waktu."""

    recipients = PositionsField(
        label=_("Pass on to"), queryset=Position.objects.select_related("unit").order_by("unit__code", "title"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    instructions = InstructionsField(label=_("With respect, please"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    due_date = forms.DateField(label=_("Batas waktu"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SurveyForm(forms.Form):
    """The nine elements of the SKM questionnaire, each scored 1–4, and a free suggestion."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in SKM_ELEMENTS:
            self.fields[key] = forms.TypedChoiceField(
                label=label, choices=SKM_SCALE, coerce=int, widget=forms.RadioSelect
            )
        self.fields["suggestion"] = forms.CharField(
            label=_("Suggestions (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )

    def scores(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key, _label in SKM_ELEMENTS}
