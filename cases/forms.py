"""Forms of the case page that are not SOP steps (those are built from the SOP in workflows.forms)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.forms import InstructionsField, PositionsField

from .models import Position


class DispositionForm(forms.Form):
    """A disposisi inisiatif: to whom, with which instructions, a note and a batas waktu."""

    recipients = PositionsField(
        label=_("Pass on to"), queryset=Position.objects.select_related("unit").order_by("unit__code", "title"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    instructions = InstructionsField(label=_("With respect, please"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    due_date = forms.DateField(label=_("Batas waktu"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
