"""Writes of the working calendar: the holiday table and work schedules. Every change appends one audit event.

The holiday table is a copy of the `holidays` package (country ID; categories public = libur nasional and
government = cuti bersama) that admins may correct, because SKB dates change mid-year:

* `calendar_sync` adds package dates, updates the rows it owns (`source=holidays`) when the package renames them
  or confirms an estimated ("perkiraan") date, and retires its own rows for dates the package no longer lists
  (`active=False`; restored if the package lists them again).
* Rows an admin touched are `source=manual` and sync never changes them. Removing a date leaves a *tombstone*
  (`active=False, source=manual`), so a removed package date does not come back with the next sync; adding the
  date again reactivates it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import holidays as holidays_package
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.audit import audit_append
from cases.errors import ApplicationError
from cases.models import Unit, User

from .calendar import CalendarError, OfficeHours
from .models import CalendarStamp, Holiday, UnitWorkSchedule, WorkHours, WorkSchedule, WorkScheduleVariant

COUNTRY = "ID"
CATEGORIES = {
    holidays_package.PUBLIC: Holiday.Kind.LIBUR_NASIONAL,
    holidays_package.GOVERNMENT: Holiday.Kind.CUTI_BERSAMA,  # cuti bersama
}
ESTIMATED_MARKERS = ("(perkiraan)", "(estimated)")

HOLIDAY_NAME_REQUIRED = _("Give the holiday a name.")
SCHEDULE_HOURS_INVALID = _("Office hours for %(day)s: %(problem)s")
SCHEDULE_DAY_TWICE = _("%(day)s has office hours twice.")
SCHEDULE_NO_HOURS = _("A schedule needs office hours on at least one day.")
SCHEDULE_DEFAULT_UNSET = _("A schedule stops being the default only when another one is made the default.")
SCHEDULE_DEFAULT_DELETE = _("The default schedule cannot be deleted; make another schedule the default first.")
SCHEDULE_IN_USE = _("The schedule is used by %(units)s; give those units another schedule first.")
VARIANT_OVERLAP = _("%(name)s overlaps %(other)s; variants of one schedule cannot share dates.")
VARIANT_DATES = _("The variant ends before it starts.")
YEARS_REQUIRED = _("Name at least one year to sync.")

AUDIT_CALENDAR_SYNCED = "calendar_synced"
AUDIT_DAY_ADDED = "calendar_day_added"
AUDIT_DAY_CHANGED = "calendar_day_changed"
AUDIT_DAY_REMOVED = "calendar_day_removed"
AUDIT_SCHEDULE_SAVED = "work_schedule_saved"
AUDIT_SCHEDULE_DELETED = "work_schedule_deleted"
AUDIT_VARIANT_SAVED = "schedule_variant_saved"
AUDIT_VARIANT_DELETED = "schedule_variant_deleted"
AUDIT_UNIT_SCHEDULE_SET = "unit_schedule_set"
AUDIT_UNIT_SCHEDULE_CLEARED = "unit_schedule_cleared"

Week = Mapping[int, OfficeHours]


# The stamp ------------------------------------------------------------------------------------------------------------

CALENDAR_TABLES = (Holiday, WorkSchedule, WorkScheduleVariant, WorkHours, UnitWorkSchedule)


def calendar_stamp_bump() -> None:
    """Record that the calendar tables changed, so that every process reads them again (`calendar_data_current`).

    Called on every save and delete of their rows (signals connected in WorkflowsConfig.ready, which also catch the
    admin and fixtures) and after the bulk writes below, which send no signals.
    """
    CalendarStamp.objects.bulk_create(
        [CalendarStamp(pk=1, stamp=uuid.uuid4())], update_conflicts=True, update_fields=["stamp"], unique_fields=["id"]
    )


def calendar_table_changed(**kwargs: Any) -> None:
    """Receiver of post_save and post_delete of the calendar tables."""
    calendar_stamp_bump()


# Holidays -----------------------------------------------------------------------------------------------------------


def _holiday_state(row: Holiday | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "date": row.date.isoformat(),
        "name": row.name,
        "kind": row.kind,
        "estimated": row.estimated,
        "active": row.active,
        "source": row.source,
    }


@dataclass(frozen=True)
class PackageDay:
    date: datetime.date
    name: str
    kind: str
    estimated: bool


def package_holidays(*, years: Iterable[int]) -> dict[datetime.date, PackageDay]:
    """What the `holidays` package says for the years: date → name (Indonesian), kind, estimated."""
    years = sorted(set(years))
    days: dict[datetime.date, PackageDay] = {}
    # Public first: a date that is both a libur nasional and a cuti bersama is a libur nasional.
    for category, kind in CATEGORIES.items():
        calendar = holidays_package.country_holidays(COUNTRY, categories=(category,), years=years, language="id")
        for date, name in sorted(calendar.items()):
            if date in days:
                continue
            days[date] = PackageDay(
                date=date,
                name=name[:200],
                kind=kind,
                estimated=any(marker in name.lower() for marker in ESTIMATED_MARKERS),
            )
    return days


@dataclass
class SyncResult:
    years: list[int]
    added: list[Holiday] = field(default_factory=list)
    updated: list[Holiday] = field(default_factory=list)
    retired: list[Holiday] = field(default_factory=list)
    restored: list[Holiday] = field(default_factory=list)
    kept_manual: list[Holiday] = field(default_factory=list)  # an admin's row on a package date, left as it is

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.restored)


@transaction.atomic
def calendar_sync(*, years: Iterable[int], acting_user: User | None = None, dry_run: bool = False) -> SyncResult:
    """Copy the package's libur nasional and cuti bersama for the years into the holiday table (see module doc).

    One audit event records every changed date (before and after); a sync that changes nothing records nothing.
    With `dry_run` the result says what would change and nothing is written.
    """
    years = sorted(set(years))
    if not years:
        raise ApplicationError(YEARS_REQUIRED)
    package = package_holidays(years=years)
    result = SyncResult(years=years)
    rows = {row.date: row for row in Holiday.objects.select_for_update().filter(date__year__in=years)}
    now = timezone.now()
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}

    for date, day in sorted(package.items()):
        row = rows.get(date)
        if row is None:
            row = Holiday(
                date=date,
                name=day.name,
                kind=day.kind,
                estimated=day.estimated,
                source=Holiday.Source.PACKAGE,
                updated_at=now,
            )
            result.added.append(row)
        elif row.source == Holiday.Source.MANUAL:
            result.kept_manual.append(row)
            continue
        else:
            wanted = {"name": day.name, "kind": day.kind, "estimated": day.estimated, "active": True}
            if all(getattr(row, key) == value for key, value in wanted.items()):
                continue
            before[date.isoformat()] = _holiday_state(row)
            (result.updated if row.active else result.restored).append(row)
            for key, value in wanted.items():
                setattr(row, key, value)
            row.updated_at = now
        after[date.isoformat()] = _holiday_state(row)

    for date, row in sorted(rows.items()):
        if row.source == Holiday.Source.PACKAGE and row.active and date not in package:
            before[date.isoformat()] = _holiday_state(row)
            row.active, row.updated_at = False, now
            after[date.isoformat()] = _holiday_state(row)
            result.retired.append(row)

    if dry_run or not result.changed:
        return result
    Holiday.objects.bulk_create(result.added)
    calendar_stamp_bump()
    for row in [*result.updated, *result.restored, *result.retired]:
        row.save(update_fields=["name", "kind", "estimated", "active", "updated_at"])
    audit_append(
        action=AUDIT_CALENDAR_SYNCED,
        actor=acting_user,
        before=before,
        after=after,
        note=(
            f"holidays {holidays_package.__version__}, years {', '.join(map(str, years))}: "
            f"{len(result.added)} added, {len(result.updated)} updated, {len(result.restored)} restored, "
            f"{len(result.retired)} retired"
        ),
    )
    return result


@transaction.atomic
def calendar_day_add(
    *,
    date: datetime.date,
    name: str,
    kind: str = Holiday.Kind.MANUAL,
    estimated: bool = False,
    acting_user: User | None,
    note: str = "",
) -> Holiday:
    """Make the date a day off, or change its name, kind or estimated flag. The row becomes the admin's (`manual`)."""
    name = name.strip()
    if not name:
        raise ApplicationError(HOLIDAY_NAME_REQUIRED)
    kind = Holiday.Kind(kind)
    row = Holiday.objects.select_for_update().filter(date=date).first()
    before = _holiday_state(row)
    if row is None:
        row = Holiday(date=date)
    wanted = {"name": name[:200], "kind": kind, "estimated": estimated, "active": True, "source": Holiday.Source.MANUAL}
    if before and all(getattr(row, key) == value for key, value in wanted.items()):
        return row
    for key, value in wanted.items():
        setattr(row, key, value)
    row.updated_at = timezone.now()
    row.full_clean(validate_unique=False)
    row.save()
    audit_append(
        action=AUDIT_DAY_CHANGED if before.get("active") else AUDIT_DAY_ADDED,
        actor=acting_user,
        before=before,
        after=_holiday_state(row),
        note=note,
    )
    return row


@transaction.atomic
def calendar_day_remove(*, date: datetime.date, acting_user: User | None, name: str = "", note: str = "") -> Holiday:
    """Make the date a working day: the row stays as an inactive `manual` tombstone that sync leaves alone.

    A date with no row gets a tombstone too (named `name`), so a package date can be refused before it is synced.
    """
    row = Holiday.objects.select_for_update().filter(date=date).first()
    before = _holiday_state(row)
    if row is None:
        row = Holiday(date=date, name=name.strip()[:200], kind=Holiday.Kind.MANUAL)
    elif not row.active and row.source == Holiday.Source.MANUAL:
        return row
    row.active, row.source, row.updated_at = False, Holiday.Source.MANUAL, timezone.now()
    row.save()
    audit_append(action=AUDIT_DAY_REMOVED, actor=acting_user, before=before, after=_holiday_state(row), note=note)
    return row


# Schedules ----------------------------------------------------------------------------------------------------------


def _week_state(hours: Iterable[WorkHours]) -> dict[str, Any]:
    def clock(value: datetime.time | None) -> str | None:
        return value.strftime("%H:%M") if value else None

    return {
        str(row.weekday): [clock(row.opens), clock(row.closes), clock(row.break_start), clock(row.break_end)]
        for row in sorted(hours, key=lambda r: r.weekday)
    }


def week_validate(*, days: Iterable[tuple[int, datetime.time, datetime.time, Any, Any]]) -> dict[int, OfficeHours]:
    """(weekday, opens, closes, break_start, break_end) rows → a week, or ApplicationError naming the bad day."""
    week: dict[int, OfficeHours] = {}
    for weekday, opens, closes, break_start, break_end in days:
        label = WorkHours.Weekday(weekday).label
        if weekday in week:
            raise ApplicationError(SCHEDULE_DAY_TWICE, params={"day": label})
        try:
            week[weekday] = OfficeHours(opens, closes, break_start, break_end)
        except CalendarError as problem:
            raise ApplicationError(SCHEDULE_HOURS_INVALID, params={"day": label, "problem": str(problem)}) from None
    if not week:
        raise ApplicationError(SCHEDULE_NO_HOURS)
    return week


def _replace_hours(*, week: Week, schedule: WorkSchedule | None = None, variant: WorkScheduleVariant | None = None):
    owner = Q(schedule=schedule) if schedule is not None else Q(variant=variant)
    WorkHours.objects.filter(owner).delete()
    WorkHours.objects.bulk_create(
        WorkHours(
            schedule=schedule,
            variant=variant,
            weekday=weekday,
            opens=hours.opens,
            closes=hours.closes,
            break_start=hours.break_start,
            break_end=hours.break_end,
        )
        for weekday, hours in sorted(week.items())
    )
    calendar_stamp_bump()


def _schedule_state(schedule: WorkSchedule) -> dict[str, Any]:
    if schedule.pk is None:
        return {}
    return {
        "code": schedule.code,
        "name": schedule.name,
        "breaks_count": schedule.breaks_count,
        "is_default": schedule.is_default,
        "week": _week_state(schedule.hours.all()),
    }


@transaction.atomic
def work_schedule_save(
    *, schedule: WorkSchedule, week: Week | None = None, acting_user: User | None, note: str = ""
) -> WorkSchedule:
    """Create or change a schedule (its fields as set on the instance) and, when given, its weekly hours.

    Making it the default takes the default from the schedule that had it.
    """
    before: dict[str, Any] = {}
    if schedule.pk is not None:
        WorkSchedule.objects.select_for_update().get(pk=schedule.pk)
        before = _schedule_state(WorkSchedule.objects.get(pk=schedule.pk))
    if week is not None:
        week = week_validate(days=[(d, h.opens, h.closes, h.break_start, h.break_end) for d, h in week.items()])
    elif schedule.pk is None:
        raise ApplicationError(SCHEDULE_NO_HOURS)
    if before.get("is_default") and not schedule.is_default:
        raise ApplicationError(SCHEDULE_DEFAULT_UNSET)
    if schedule.is_default:
        WorkSchedule.objects.select_for_update().filter(is_default=True).exclude(pk=schedule.pk).update(
            is_default=False
        )
    schedule.full_clean()
    schedule.save()
    if week is not None:
        _replace_hours(week=week, schedule=schedule)
    audit_append(
        action=AUDIT_SCHEDULE_SAVED, actor=acting_user, before=before, after=_schedule_state(schedule), note=note
    )
    return schedule


@transaction.atomic
def work_schedule_delete(*, schedule: WorkSchedule, acting_user: User | None, note: str = "") -> None:
    schedule = WorkSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.is_default:
        raise ApplicationError(SCHEDULE_DEFAULT_DELETE)
    units = [str(u.unit) for u in UnitWorkSchedule.objects.filter(schedule=schedule).select_related("unit")]
    if units:
        raise ApplicationError(SCHEDULE_IN_USE, params={"units": ", ".join(units)})
    before = _schedule_state(schedule)
    before["variants"] = [str(v) for v in schedule.variants.all()]
    schedule.delete()
    audit_append(action=AUDIT_SCHEDULE_DELETED, actor=acting_user, before=before, note=note)


def _variant_state(variant: WorkScheduleVariant) -> dict[str, Any]:
    if variant.pk is None:
        return {}
    return {
        "schedule": variant.schedule.code,
        "name": variant.name,
        "valid_from": variant.valid_from.isoformat(),
        "valid_until": variant.valid_until.isoformat(),
        "week": _week_state(variant.hours.all()),
    }


def variant_overlapping(
    *, schedule: WorkSchedule, valid_from: datetime.date, valid_until: datetime.date, exclude_pk: int | None = None
) -> WorkScheduleVariant | None:
    """Another variant of the schedule sharing a date with [valid_from, valid_until], if any."""
    return (
        WorkScheduleVariant.objects.filter(schedule=schedule, valid_from__lte=valid_until, valid_until__gte=valid_from)
        .exclude(pk=exclude_pk)
        .first()
    )


@transaction.atomic
def schedule_variant_save(
    *, variant: WorkScheduleVariant, week: Week | None = None, acting_user: User | None, note: str = ""
) -> WorkScheduleVariant:
    """Create or change dated hours of a schedule (e.g. Ramadan). Variants of one schedule may not overlap."""
    WorkSchedule.objects.select_for_update().get(pk=variant.schedule_id)  # serialises overlap checks
    before = _variant_state(WorkScheduleVariant.objects.get(pk=variant.pk)) if variant.pk is not None else {}
    if variant.valid_until < variant.valid_from:
        raise ApplicationError(VARIANT_DATES)
    other = variant_overlapping(
        schedule=variant.schedule,
        valid_from=variant.valid_from,
        valid_until=variant.valid_until,
        exclude_pk=variant.pk,
    )
    if other is not None:
        raise ApplicationError(VARIANT_OVERLAP, params={"name": variant.name, "other": str(other)})
    if week is not None:
        week = week_validate(days=[(d, h.opens, h.closes, h.break_start, h.break_end) for d, h in week.items()])
    elif variant.pk is None:
        raise ApplicationError(SCHEDULE_NO_HOURS)
    variant.full_clean()
    variant.save()
    if week is not None:
        _replace_hours(week=week, variant=variant)
    audit_append(action=AUDIT_VARIANT_SAVED, actor=acting_user, before=before, after=_variant_state(variant), note=note)
    return variant


@transaction.atomic
def schedule_variant_delete(*, variant: WorkScheduleVariant, acting_user: User | None, note: str = "") -> None:
    variant = WorkScheduleVariant.objects.select_for_update().select_related("schedule").get(pk=variant.pk)
    before = _variant_state(variant)
    variant.delete()
    audit_append(action=AUDIT_VARIANT_DELETED, actor=acting_user, before=before, note=note)


@transaction.atomic
def unit_schedule_set(*, unit: Unit, schedule: WorkSchedule, acting_user: User | None, note: str = "") -> None:
    """The unit works to this schedule from now on (running clocks recompute their due moments from it)."""
    row = UnitWorkSchedule.objects.select_for_update().select_related("schedule").filter(unit=unit).first()
    if row is not None and row.schedule_id == schedule.pk:
        return
    before = {"unit": unit.code, "schedule": row.schedule.code} if row is not None else {"unit": unit.code}
    UnitWorkSchedule.objects.update_or_create(unit=unit, defaults={"schedule": schedule})
    audit_append(
        action=AUDIT_UNIT_SCHEDULE_SET,
        actor=acting_user,
        before=before,
        after={"unit": unit.code, "schedule": schedule.code},
        note=note,
    )


@transaction.atomic
def unit_schedule_clear(*, unit: Unit, acting_user: User | None, note: str = "") -> None:
    """The unit goes back to the default schedule."""
    row = UnitWorkSchedule.objects.select_for_update().select_related("schedule").filter(unit=unit).first()
    if row is None:
        return
    before = {"unit": unit.code, "schedule": row.schedule.code}
    row.delete()
    audit_append(
        action=AUDIT_UNIT_SCHEDULE_CLEARED, actor=acting_user, before=before, after={"unit": unit.code}, note=note
    )
