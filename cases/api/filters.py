"""Filters of the case list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Case


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", max_length=200, label=_("Case number, agenda number or subject contains")
    )
    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices, label=_("Status"))
    sop = django_filters.CharFilter(field_name="sop_version__code", max_length=32, label=_("SOP code"))
    unit = django_filters.CharFilter(field_name="unit__code", max_length=40, label=_("Unit code"))
    derajat = django_filters.ChoiceFilter(choices=Case.Derajat.choices, label=_("Urgency"))
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("From"))
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Until"))

    class Meta:
        model = Case
        fields = ["q", "status", "sop", "unit", "derajat", "created_after", "created_before"]

    def search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(
            Q(reference__icontains=value) | Q(nomor_agenda__icontains=value) | Q(subject__icontains=value)
        )
