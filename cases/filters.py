"""Filters of the list pages, in one place so that pages, exports and an API read the same query string.

`TaskFilter` narrows the inbox and the unit queue (SOP, case status, derajat, SLA state of the step, free text);
`CaseFilter` is the auditors' search across cases (nomor agenda or free text, SOP, unit, dates, status, breached SLA).
"""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.models import SlaClock

from .models import Case, Unit
from .selectors import breached_clocks

DUE_CHOICES = [
    ("overdue", _("overdue")),
    ("warning", _("due soon")),
    ("on_time", _("on time")),
    ("paused", _("paused or untimed")),
]


def _sop_choices() -> list[tuple[str, str]]:
    from workflows.models import SopVersion

    current = SopVersion.objects.filter(is_current=True).order_by("code").values_list("code", "title")
    return [(code, f"{code} — {title}") for code, title in current]


class TaskFilter(django_filters.FilterSet):
    """Filters of the inbox and the unit queue (querysets of viewflow Tasks with their case)."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    sop = django_filters.ChoiceFilter(
        label=_("SOP"), field_name="process__case__sop_version__code", choices=_sop_choices
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), field_name="process__case__status", choices=[(s.value, s.label) for s in Case.OPEN_STATUSES]
    )
    derajat = django_filters.ChoiceFilter(
        label=_("Urgency"), field_name="process__case__derajat", choices=Case.Derajat.choices
    )
    due = django_filters.ChoiceFilter(label=_("Due"), choices=DUE_CHOICES, method="filter_due")

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(_case_text_q(value.strip(), prefix="process__case__"))

    def filter_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        now = timezone.now()
        running = Q(clock__state=SlaClock.State.RUNNING)
        return queryset.filter(
            {
                "overdue": running & Q(clock__due_at__lte=now),
                "warning": running & Q(clock__warn_at__lte=now, clock__due_at__gt=now),
                "on_time": running & Q(clock__warn_at__gt=now),
                "paused": Q(clock__isnull=True) | Q(clock__state=SlaClock.State.PAUSED),
            }[value]
        )


def _case_text_q(text: str, *, prefix: str = "") -> Q:
    """Free text: the reference, nomor agenda, subject or requester contain it."""
    if not text:
        return Q()
    return (
        Q(**{f"{prefix}reference__icontains": text})
        | Q(**{f"{prefix}nomor_agenda__icontains": text})
        | Q(**{f"{prefix}subject__icontains": text})
        | Q(**{f"{prefix}requester_name__icontains": text})
    )


class CaseFilter(django_filters.FilterSet):
    """The auditors' search across cases (also the case list of everyone else, within what they may see)."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    nomor_agenda = django_filters.CharFilter(label=_("Agenda number"), lookup_expr="iexact")
    sop = django_filters.ChoiceFilter(label=_("SOP"), field_name="sop_version__code", choices=_sop_choices)
    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"), queryset=Unit.objects.exclude(kind=Unit.Kind.EXTERNAL), method="filter_unit"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Case.Status.choices)
    started_from = django_filters.DateFilter(label=_("Started from"), method="filter_from")
    started_until = django_filters.DateFilter(label=_("Started until"), method="filter_until")
    breached = django_filters.BooleanFilter(
        label=_("SLA breached"),
        method="filter_breached",
        widget=django_filters.widgets.BooleanWidget(),
    )

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(_case_text_q(value.strip()))

    def filter_unit(self, queryset: QuerySet, name: str, value: Unit | None) -> QuerySet:
        from .org import unit_subtree_ids

        return queryset.filter(unit_id__in=unit_subtree_ids([value.pk])) if value else queryset

    def filter_from(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_until(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return queryset.filter(created_at__lt=_start_of(value + datetime.timedelta(days=1)))

    def filter_breached(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = Exists(breached_clocks().filter(case_id=OuterRef("pk")))
        return queryset.filter(late) if value else queryset.exclude(late)


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the site's time zone (dates in forms are read as WIT days)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())
