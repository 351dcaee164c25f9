"""The period (and unit) a report covers, read from the query string."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Unit

from .dashboards import Period


class PeriodForm(forms.Form):
    """A month (YYYY-MM), or a range of days; without either, the year so far (or this month, for the monthly
    report). Optionally one unit."""

    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        required=False,
        queryset=Unit.objects.exclude(kind=Unit.Kind.EXTERNAL),
    )

    def period(self, *, default: str = "year") -> Period:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        unit = data.get("unit")
        unit_id = unit.pk if unit else None
        if data.get("month"):
            year, month = (int(x) for x in data["month"].split("-"))
            return Period.month(year, month, unit_id=unit_id)
        today = timezone.localdate()
        if default == "month" and not (data.get("start") or data.get("end")):
            return Period.month(today.year, today.month, unit_id=unit_id)
        first = data.get("start") or datetime.date(today.year, 1, 1)
        last = data.get("end") or today
        return Period.days(first, max(first, last), unit_id=unit_id)
