"""Filters of the API's case list: those of the case list page (`cases.filters.CaseFilter`: free text, nomor agenda,
SOP, unit with the units under it, start dates, status, breached SLA), with the unit given by its code, several
statuses at once, and the derajat."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.filters import CaseFilter as PageCaseFilter
from cases.models import Case, Unit
from cases.org import unit_subtree_ids


class CaseFilter(PageCaseFilter):
    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices, label=_("Status"))
    unit = django_filters.CharFilter(max_length=40, method="filter_unit_code", label=_("Unit code"))
    derajat = django_filters.ChoiceFilter(choices=Case.Derajat.choices, label=_("Urgency"))

    class Meta:
        model = Case
        fields = ["q", "nomor_agenda", "sop", "unit", "status", "derajat", "started_from", "started_until",
                  "breached"]

    def filter_unit_code(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        unit = Unit.objects.filter(code=value).first()
        return queryset.filter(unit_id__in=unit_subtree_ids([unit.pk])) if unit else queryset.none()
