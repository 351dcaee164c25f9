"""The working calendar on real dates: the 2026 holiday table as the `holidays` package gives it (SKB 1497/2025,
2/2025, 5/2025), due moments checked by hand, the sync and its tombstones, audited admin edits and `calendar due`.

Every expected moment below was counted by hand from domain.md §7 (cuti bersama 2026: 16 Feb, 18 Mar, 20, 23,
24 Mar, 15 May, 28 May, 24 Dec) and the Perpres 21/2023 hours (Mon–Thu 07:30–16:00, break 12:00–13:00; Fri
07:30–16:30, break 11:30–13:00).
"""

from __future__ import annotations

import datetime
import uuid
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from cases.audit import audit_verify
from cases.errors import ApplicationError
from cases.models import AuditEvent, Unit
from workflows.calendar import (
    PERPRES_21_2023_WEEK,
    RAMADAN_WEEK,
    CalendarError,
    OfficeHours,
    WorkingCalendar,
    calendar_data_load,
    calendar_for_unit,
    format_local,
    weekly_hours,
)
from workflows.calendar_services import (
    AUDIT_CALENDAR_SYNCED,
    AUDIT_DAY_ADDED,
    AUDIT_DAY_CHANGED,
    AUDIT_DAY_REMOVED,
    AUDIT_SCHEDULE_SAVED,
    AUDIT_UNIT_SCHEDULE_SET,
    AUDIT_VARIANT_SAVED,
    SCHEDULE_DEFAULT_DELETE,
    VARIANT_OVERLAP,
    calendar_day_add,
    calendar_day_remove,
    calendar_sync,
    schedule_variant_save,
    unit_schedule_set,
    work_schedule_delete,
    work_schedule_save,
)
from workflows.models import Holiday, UnitWorkSchedule, WorkSchedule, WorkScheduleVariant

pytestmark = pytest.mark.django_db

WIT = ZoneInfo("Asia/Jayapura")
CUTI_BERSAMA_2026 = {
    datetime.date(2026, 2, 16),
    datetime.date(2026, 3, 18),
    datetime.date(2026, 3, 20),
    datetime.date(2026, 3, 23),
    datetime.date(2026, 3, 24),
    datetime.date(2026, 5, 15),
    datetime.date(2026, 5, 28),
    datetime.date(2026, 12, 24),
}
RAMADAN_2026 = (datetime.date(2026, 2, 19), datetime.date(2026, 3, 20))


def wit(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=WIT)


def shown(moment: datetime.datetime) -> str:
    return format_local(moment, "Asia/Jayapura").removesuffix(" WIT")


@pytest.fixture
def unit() -> Unit:
    return Unit.objects.create(code="biro-umum", name="Biro Umum", kind=Unit.Kind.BIRO)


@pytest.fixture
def calendar(unit: Unit) -> WorkingCalendar:
    calendar_sync(years=[2026])
    return calendar_for_unit(unit)


def ramadan_2026() -> WorkScheduleVariant:
    return schedule_variant_save(
        variant=WorkScheduleVariant(
            schedule=WorkSchedule.objects.get(is_default=True),
            name="Ramadan 1447 H",
            valid_from=RAMADAN_2026[0],
            valid_until=RAMADAN_2026[1],
        ),
        week={day: hours for day, hours in enumerate(RAMADAN_WEEK) if hours},
        acting_user=None,
    )


# The holiday table ----------------------------------------------------------------------------------------------


def test_sync_copies_the_2026_skb_list(calendar: WorkingCalendar):
    rows = Holiday.objects.filter(date__year=2026)
    assert {r.date for r in rows if r.kind == Holiday.Kind.CUTI_BERSAMA} == CUTI_BERSAMA_2026
    assert sum(r.kind == Holiday.Kind.LIBUR_NASIONAL for r in rows) == 17
    assert all(r.active and r.source == Holiday.Source.PACKAGE and not r.estimated for r in rows)
    assert Holiday.objects.get(date="2026-03-19").name == "Hari Suci Nyepi"
    assert Holiday.objects.get(date="2026-03-20").name == "Cuti Bersama Hari Raya Idul Fitri"


def test_sync_marks_perkiraan_dates_estimated():
    # Years far enough ahead that the package still estimates their Islamic and lunar dates.
    calendar_sync(years=[2026, 2030])
    rows = list(Holiday.objects.all())
    assert all(r.estimated == ("(perkiraan)" in r.name) for r in rows)
    assert {r.date.year for r in rows if r.estimated} == {2030}
    assert Holiday.objects.filter(date__year=2030, estimated=True, name__startswith="Hari Raya Idul Fitri").exists()


def test_sync_twice_changes_nothing_and_records_one_event():
    first = calendar_sync(years=[2026])
    second = calendar_sync(years=[2026])
    assert len(first.added) == 25
    assert not second.changed
    event = AuditEvent.objects.get(action=AUDIT_CALENDAR_SYNCED)
    assert event.case is None
    assert event.after["2026-03-18"]["kind"] == "cuti_bersama"
    assert audit_verify() is None


def test_sync_dry_run_writes_nothing():
    result = calendar_sync(years=[2026], dry_run=True)
    assert len(result.added) == 25
    assert not Holiday.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_removed_package_date_stays_removed_after_sync(calendar: WorkingCalendar, unit: Unit, admin_user):
    calendar_day_remove(date=datetime.date(2026, 3, 18), acting_user=admin_user, note="SKB perubahan")
    result = calendar_sync(years=[2026])

    row = Holiday.objects.get(date="2026-03-18")
    assert (row.active, row.source) == (False, Holiday.Source.MANUAL)
    assert [r.date for r in result.kept_manual] == [datetime.date(2026, 3, 18)]
    # 18 March is a working day again: 18 (1), Nyepi, CB, weekend, CB, CB, 25 (2), 26 (3).
    assert shown(calendar_for_unit(unit).due(wit("2026-03-17T10:00"), "3d")) == "2026-03-26 10:00"
    event = AuditEvent.objects.get(action=AUDIT_DAY_REMOVED)
    assert (event.actor, event.note, event.before["source"]) == (admin_user, "SKB perubahan", "holidays")


def test_an_admins_row_is_never_overwritten_by_sync(calendar: WorkingCalendar, admin_user):
    calendar_day_add(
        date=datetime.date(2026, 3, 19),
        name="Hari Suci Nyepi (Tahun Baru Saka 1948)",
        kind=Holiday.Kind.LIBUR_NASIONAL,
        acting_user=admin_user,
    )
    calendar_sync(years=[2026])
    row = Holiday.objects.get(date="2026-03-19")
    assert (row.name, row.source) == ("Hari Suci Nyepi (Tahun Baru Saka 1948)", Holiday.Source.MANUAL)
    assert AuditEvent.objects.get(action=AUDIT_DAY_CHANGED).before["name"] == "Hari Suci Nyepi"


def test_sync_retires_a_date_the_package_dropped_and_restores_one_it_lists_again():
    # As if an older package had listed 27 April and a later SKB had moved it; and sync had retired 18 March.
    Holiday.objects.create(date="2026-04-27", name="Cuti Bersama (lama)", kind="cuti_bersama", source="holidays")
    Holiday.objects.create(date="2026-03-18", name="x", kind="cuti_bersama", source="holidays", active=False)
    result = calendar_sync(years=[2026])
    assert [r.date for r in result.retired] == [datetime.date(2026, 4, 27)]
    assert [r.date for r in result.restored] == [datetime.date(2026, 3, 18)]
    assert not Holiday.objects.get(date="2026-04-27").active
    assert Holiday.objects.get(date="2026-03-18").active
    event = AuditEvent.objects.get(action=AUDIT_CALENDAR_SYNCED)
    assert event.before["2026-04-27"]["active"] is True
    assert event.after["2026-04-27"]["active"] is False


def test_admin_adds_a_regional_day_off_marked_estimated(unit: Unit, admin_user):
    calendar_day_add(
        date=datetime.date(2026, 5, 12), name="Hari Pattimura (Pemda)", estimated=True, acting_user=admin_user
    )
    row = Holiday.objects.get(date="2026-05-12")
    assert (row.kind, row.estimated, row.source) == (Holiday.Kind.MANUAL, True, Holiday.Source.MANUAL)
    assert not calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))
    assert AuditEvent.objects.get(action=AUDIT_DAY_ADDED).after["name"] == "Hari Pattimura (Pemda)"


def test_a_package_date_removed_before_it_is_synced_never_arrives(unit: Unit):
    calendar_day_remove(date=datetime.date(2026, 12, 24), name="Cuti Bersama Natal (dibatalkan)", acting_user=None)
    calendar_sync(years=[2026])
    row = Holiday.objects.get(date="2026-12-24")
    assert (row.active, row.name) == (False, "Cuti Bersama Natal (dibatalkan)")
    assert calendar_for_unit(unit).is_working_day(datetime.date(2026, 12, 24))


def test_calendar_for_unit_reads_the_tables_once_per_change_or_takes_loaded_data(
    calendar: WorkingCalendar, unit: Unit, django_assert_num_queries
):
    calendar_day_add(date=datetime.date(2026, 5, 12), name="Libur daerah", acting_user=None)
    with django_assert_num_queries(6):  # the stamp, then the five tables
        changed = calendar_for_unit(unit)
    with django_assert_num_queries(1):  # the stamp only
        assert calendar_for_unit(unit) == changed
    data = calendar_data_load()
    with django_assert_num_queries(0):
        assert calendar_for_unit(unit, data=data) == changed
    assert calendar_for_unit(None, data=data).time_zone == "Asia/Jayapura"


def test_a_day_off_added_through_the_service_counts_from_the_next_call(calendar: WorkingCalendar, unit: Unit):
    assert calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))
    calendar_day_add(date=datetime.date(2026, 5, 12), name="Libur daerah", acting_user=None)
    assert not calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))
    calendar_day_remove(date=datetime.date(2026, 5, 12), acting_user=None)
    assert calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))


def test_new_hours_and_a_unit_schedule_count_from_the_next_call(calendar: WorkingCalendar, unit: Unit):
    assert calendar_for_unit(unit).schedule.hours_on(datetime.date(2026, 5, 12)).opens == datetime.time(7, 30)
    short = work_schedule_save(
        schedule=WorkSchedule(code="pendek", name="Pendek"),
        week={day: OfficeHours.parse("09:00", "12:00") for day in range(5)},
        acting_user=None,
    )
    unit_schedule_set(unit=unit, schedule=short, acting_user=None)
    assert calendar_for_unit(unit).schedule.hours_on(datetime.date(2026, 5, 12)).opens == datetime.time(9, 0)


def test_a_row_written_outside_the_services_counts_from_the_next_call(calendar: WorkingCalendar, unit: Unit):
    assert calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))
    Holiday.objects.create(date=datetime.date(2026, 5, 12), name="Libur daerah", kind=Holiday.Kind.MANUAL)
    assert not calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))


def test_a_change_another_process_committed_counts_from_the_next_call(calendar: WorkingCalendar, unit: Unit):
    """Another process writes the table and bumps the stamp; this process's kept calendar is then stale."""
    assert calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))
    with connection.cursor() as cursor:  # no signal reaches this process
        cursor.execute(
            "INSERT INTO workflows_holiday (date, name, kind, estimated, active, source, updated_at) "
            "VALUES ('2026-05-12', 'Libur daerah', 'manual', false, true, 'manual', now())"
        )
        cursor.execute("UPDATE workflows_calendarstamp SET stamp = %s WHERE id = 1", [uuid.uuid4()])
    assert not calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))


def test_a_rolled_back_change_leaves_no_stale_calendar(calendar: WorkingCalendar, unit: Unit):
    with pytest.raises(RuntimeError), transaction.atomic():
        calendar_day_add(date=datetime.date(2026, 5, 12), name="Libur daerah", acting_user=None)
        assert not calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))
        raise RuntimeError("rolled back")
    assert calendar_for_unit(unit).is_working_day(datetime.date(2026, 5, 12))


def test_adding_a_day_without_a_name_is_refused():
    with pytest.raises(ApplicationError):
        calendar_day_add(date=datetime.date(2026, 5, 12), name="  ", acting_user=None)
    assert not Holiday.objects.exists()


# Due moments on real dates --------------------------------------------------------------------------------------

DUE = [
    # start (WIT), budget, due (WIT), why
    ("2026-03-17T10:00", "3d", "2026-03-27 10:00", "18 CB, 19 Nyepi, 20 CB, weekend, 23–24 CB; 25, 26, 27"),
    ("2026-05-29T15:00", "4h", "2026-06-02 10:00", "Fri 90 min; Sat, Sun Waisak, Mon Pancasila; Tue 150 min"),
    ("2026-08-14T15:00", "4h", "2026-08-18 10:00", "Fri 90 min; Mon 17 Aug; Tue 150 min"),
    ("2026-02-13T15:00", "4h", "2026-02-18 10:00", "Fri 90 min; Mon 16 CB Imlek, Tue 17 Imlek; Wed 150 min"),
    ("2026-04-02T15:00", "2h", "2026-04-06 08:30", "Thu 60 min; Good Friday; Mon 60 min"),
    ("2026-12-23T10:00", "1d", "2026-12-28 10:00", "24 CB Natal, 25 Natal, weekend"),
    ("2026-05-26T10:00", "2d", "2026-06-02 10:00", "27 Iduladha, 28 CB, 29 (1), 1 Jun Pancasila, 2 Jun (2)"),
    ("2026-04-13T06:00", "90m", "2026-04-13 09:00", "06:00 counts from 07:30"),
    ("2026-04-14T17:00", "90m", "2026-04-15 09:00", "17:00 counts from the next opening"),
    ("2026-04-11T10:00", "90m", "2026-04-13 09:00", "Saturday counts from Monday 07:30"),
    ("2026-04-13T06:00", "1d", "2026-04-14 07:30", "a day budget from 06:00 keeps the opening's clock time"),
    ("2026-04-14T17:00", "1d", "2026-04-16 07:30", "from Wednesday's opening, one working day"),
    ("2026-04-11T10:00", "3d", "2026-04-16 07:30", "Saturday: Monday's opening + 3 working days"),
    ("2026-04-13T14:20", "2d", "2026-04-15 14:20", "same clock time, second working day"),
    ("2026-04-13T11:00", "90m", "2026-04-13 13:30", "the break 12:00–13:00 does not count"),
    ("2026-04-17T11:00", "60m", "2026-04-17 13:30", "Friday's break 11:30–13:00 does not count"),
    ("2026-04-13T12:15", "30m", "2026-04-13 13:30", "a start in the break counts from 13:00"),
    ("2026-04-13T11:00", "60m", "2026-04-13 12:00", "ends at the start of the break, not at 13:00"),
    ("2026-04-13T15:00", "1h", "2026-04-13 16:00", "ends at closing, not the next morning"),
    ("2026-04-17T16:00", "30m", "2026-04-17 16:30", "Friday closes at 16:30"),
    ("2026-04-17T16:15", "1d", "2026-04-20 16:00", "16:15 is after Monday's closing: pulled back to 16:00"),
    ("2026-04-13T11:45", "4d", "2026-04-17 11:30", "11:45 is in Friday's break: pulled back to 11:30"),
    ("2026-04-13T07:30", "15h", "2026-04-14 16:00", "two full days of office time"),
    ("2026-04-13T07:30", "2d", "2026-04-15 07:30", "two working days"),
]


@pytest.mark.parametrize(("start", "budget", "expected", "why"), DUE, ids=[f"{s} +{b}" for s, b, _, _ in DUE])
def test_due_moment_on_real_dates(calendar: WorkingCalendar, start: str, budget: str, expected: str, why: str):
    due = calendar.due(wit(start), budget)
    assert due.tzinfo is datetime.UTC
    assert shown(due) == expected, why


@pytest.mark.parametrize(
    ("start", "budget", "excluded", "counted"),
    [
        ("2026-04-13T11:00", "90m", "2026-04-13 13:30", "2026-04-13 12:30"),
        ("2026-04-17T11:00", "60m", "2026-04-17 13:30", "2026-04-17 12:00"),
        ("2026-04-13T12:15", "30m", "2026-04-13 13:30", "2026-04-13 12:45"),
        ("2026-04-13T07:30", "17h", "2026-04-15 09:30", "2026-04-14 16:00"),
    ],
)
def test_breaks_excluded_by_default_counted_when_the_schedule_says(
    calendar: WorkingCalendar, unit: Unit, start: str, budget: str, excluded: str, counted: str
):
    assert shown(calendar.due(wit(start), budget)) == excluded
    schedule = work_schedule_save(
        schedule=WorkSchedule(code="istirahat-dihitung", name="Istirahat dihitung", breaks_count=True),
        week={day: hours for day, hours in enumerate(PERPRES_21_2023_WEEK) if hours},
        acting_user=None,
    )
    unit_schedule_set(unit=unit, schedule=schedule, acting_user=None)
    assert shown(calendar_for_unit(unit).due(wit(start), budget)) == counted


def test_default_schedule_is_perpres_21_2023(unit: Unit):
    schedule = calendar_for_unit(unit).schedule
    assert weekly_hours(schedule.week, breaks_count=schedule.breaks_count) == 37.5
    assert schedule.week == PERPRES_21_2023_WEEK
    assert weekly_hours(RAMADAN_WEEK, breaks_count=False) == 32.5


@pytest.mark.parametrize(
    ("start", "budget", "expected", "why"),
    [
        ("2026-02-19T11:00", "4h", "2026-02-20 08:30", "Thu 11–12 + 12:30–15:00 = 210 min; Fri from 08:00"),
        ("2026-02-23T07:45", "30m", "2026-02-23 08:30", "Ramadan opens at 08:00"),
        ("2026-02-20T11:00", "60m", "2026-02-20 13:00", "Friday's Ramadan break 11:30–12:30 (60 min)"),
        ("2026-03-13T15:15", "1d", "2026-03-16 15:00", "Fri closes 15:30, Mon 15:00: pulled back"),
        ("2026-02-13T07:30", "2d", "2026-02-19 08:00", "normal 07:30 → Ramadan opening 08:00"),
        ("2026-03-17T14:45", "3d", "2026-03-27 14:45", "out of Ramadan into normal hours"),
    ],
)
def test_ramadan_variant(calendar: WorkingCalendar, unit: Unit, start: str, budget: str, expected: str, why: str):
    ramadan_2026()
    assert shown(calendar_for_unit(unit).due(wit(start), budget)) == expected, why


def test_variants_of_one_schedule_may_not_overlap():
    ramadan_2026()
    with pytest.raises(ApplicationError) as refused:
        schedule_variant_save(
            variant=WorkScheduleVariant(
                schedule=WorkSchedule.objects.get(is_default=True),
                name="Lagi",
                valid_from=datetime.date(2026, 3, 1),
                valid_until=datetime.date(2026, 3, 31),
            ),
            week={0: RAMADAN_WEEK[0]},
            acting_user=None,
        )
    other = "Ramadan 1447 H (2026-02-19 – 2026-03-20)"
    assert refused.value.message == VARIANT_OVERLAP % {"name": "Lagi", "other": other}


def test_unit_time_zone_is_used(calendar: WorkingCalendar):
    wib = Unit.objects.create(code="perwakilan-jakarta", name="Kantor Perwakilan", kind="tim", time_zone="Asia/Jakarta")
    start = datetime.datetime(2026, 4, 13, 15, 45, tzinfo=ZoneInfo("Asia/Jakarta"))  # 17:45 WIT: closed in Ambon
    due = calendar_for_unit(wib).due(start, "30m")
    assert format_local(due, "Asia/Jakarta") == "2026-04-14 07:45 WIB"  # 15 min on Monday, 15 on Tuesday (WIB)
    assert shown(calendar.due(start, "30m")) == "2026-04-14 08:00"  # the same start in a WIT unit


def test_schedule_edits_are_audited_and_the_default_is_kept(unit: Unit, admin_user):
    schedule = work_schedule_save(
        schedule=WorkSchedule(code="enam-hari", name="Enam hari"),
        week={day: PERPRES_21_2023_WEEK[0] for day in range(6)},
        acting_user=admin_user,
    )
    unit_schedule_set(unit=unit, schedule=schedule, acting_user=admin_user)
    assert calendar_for_unit(unit).is_working_day(datetime.date(2026, 4, 18))  # a Saturday
    assert UnitWorkSchedule.objects.get(unit=unit).schedule == schedule
    default = WorkSchedule.objects.get(is_default=True)
    with pytest.raises(ApplicationError) as refused:
        work_schedule_delete(schedule=default, acting_user=admin_user)
    assert refused.value.message == SCHEDULE_DEFAULT_DELETE
    saved = AuditEvent.objects.get(action=AUDIT_SCHEDULE_SAVED)
    assert saved.after["week"]["5"] == ["07:30", "16:00", "12:00", "13:00"]
    assert AuditEvent.objects.get(action=AUDIT_UNIT_SCHEDULE_SET).after == {
        "unit": "biro-umum",
        "schedule": "enam-hari",
    }
    assert audit_verify() is None


# The admin routes writes through the services ---------------------------------------------------------------------


def test_admin_add_and_delete_of_a_holiday_are_audited(admin_client, admin_user):
    response = admin_client.post(
        "/admin/workflows/holiday/add/",
        {"date": "2026-09-07", "name": "HUT Provinsi Maluku", "kind": "manual", "active": "on"},
    )
    assert response.status_code == 302, response.content
    row = Holiday.objects.get(date="2026-09-07")
    assert row.source == Holiday.Source.MANUAL
    response = admin_client.post(f"/admin/workflows/holiday/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert not row.active  # a tombstone, not a deleted row
    actions = list(AuditEvent.objects.exclude(action="login").values_list("action", "actor"))
    assert actions == [(AUDIT_DAY_ADDED, admin_user.pk), (AUDIT_DAY_REMOVED, admin_user.pk)]


def _hours_post(prefix: str, rows: list[tuple[int, str, str, str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, (day, opens, closes, break_start, break_end) in enumerate(rows):
        data |= {
            f"{prefix}-{i}-weekday": str(day),
            f"{prefix}-{i}-opens": opens,
            f"{prefix}-{i}-closes": closes,
            f"{prefix}-{i}-break_start": break_start,
            f"{prefix}-{i}-break_end": break_end,
        }
    return data


def test_admin_saves_a_schedule_with_its_hours_through_the_service(admin_client):
    rows = [(day, "08:00", "16:00", "12:00", "13:00") for day in range(5)]
    response = admin_client.post(
        "/admin/workflows/workschedule/add/",
        {"code": "pelayanan", "name": "Unit pelayanan", "breaks_count": "on", **_hours_post("hours", rows)},
    )
    assert response.status_code == 302, response.content
    schedule = WorkSchedule.objects.get(code="pelayanan")
    assert schedule.hours.count() == 5 and schedule.breaks_count
    assert AuditEvent.objects.get(action=AUDIT_SCHEDULE_SAVED).after["code"] == "pelayanan"


def test_admin_refuses_a_break_outside_the_office_hours(admin_client):
    rows = [(0, "08:00", "16:00", "07:00", "09:00")]
    response = admin_client.post(
        "/admin/workflows/workschedule/add/", {"code": "salah", "name": "Salah", **_hours_post("hours", rows)}
    )
    assert response.status_code == 200
    assert not WorkSchedule.objects.filter(code="salah").exists()
    assert not AuditEvent.objects.exclude(action="login").exists()  # the admin's login aside


def test_admin_variant_and_unit_schedule_are_audited(admin_client, unit: Unit):
    default = WorkSchedule.objects.get(is_default=True)
    rows = [(day, "08:00", "15:00", "12:00", "12:30") for day in range(4)] + [(4, "08:00", "15:30", "11:30", "12:30")]
    response = admin_client.post(
        "/admin/workflows/workschedulevariant/add/",
        {
            "schedule": str(default.pk),
            "name": "Ramadan 1447 H",
            "valid_from": "2026-02-19",
            "valid_until": "2026-03-20",
            **_hours_post("hours", rows),
        },
    )
    assert response.status_code == 302, response.content
    response = admin_client.post("/admin/workflows/unitworkschedule/add/", {"unit": unit.pk, "schedule": default.pk})
    assert response.status_code == 302, response.content
    actions = AuditEvent.objects.exclude(action="login").values_list("action", flat=True)  # the admin's login aside
    assert list(actions) == [AUDIT_VARIANT_SAVED, AUDIT_UNIT_SCHEDULE_SET]
    assert shown(calendar_for_unit(unit).due(wit("2026-02-23T07:45"), "30m")) == "2026-02-23 08:30"


# The command ----------------------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


def test_calendar_due_prints_the_moment_in_the_units_zone(calendar: WorkingCalendar):
    assert (
        run("due", "--unit", "biro-umum", "--start", "2026-03-17T10:00", "--budget", "3d") == "2026-03-27 10:00 WIT\n"
    )
    assert run("due", "--unit", "biro-umum", "--start", "2026-03-17T01:00+00:00", "--budget", "3d").startswith(
        "2026-03-27 10:00 WIT"
    )
    assert (
        run("due", "--unit", "biro-umum", "--start", "2026-05-29T15:00", "--budget", "4h") == "2026-06-02 10:00 WIT\n"
    )


@pytest.mark.parametrize(
    ("unit_code", "start", "budget", "message"),
    [
        ("tidak-ada", "2026-03-17T10:00", "3d", "tidak-ada"),
        ("biro-umum", "2026-03-17T10:00", "3w", "3w"),
        ("biro-umum", "2026-03-17T10:00", "0d", "0d"),
        ("biro-umum", "17/03/2026 10:00", "3d", "17/03/2026"),
    ],
)
def test_calendar_due_refuses_bad_input_with_exit_status_1(unit: Unit, unit_code, start, budget, message):
    with pytest.raises(CommandError, match=message) as refused:
        run("due", "--unit", unit_code, "--start", start, "--budget", budget)
    assert refused.value.returncode == 1


def test_calendar_sync_command_defaults_to_this_year_and_next():
    this_year = timezone.localdate().year
    output = run("sync")
    assert f"{this_year}, {this_year + 1}:" in output
    assert Holiday.objects.filter(date__year=this_year).exists()
    assert Holiday.objects.filter(date__year=this_year + 1).exists()
    again = gettext("%(years)s: %(added)d added, %(updated)d updated, %(restored)d restored, %(retired)d retired")
    assert again % {"years": this_year, "added": 0, "updated": 0, "restored": 0, "retired": 0} in run(
        "sync", "--years", str(this_year)
    )


def test_calendar_ramadan_command_adds_the_perpres_ramadan_hours(unit: Unit):
    assert run("ramadan", "--from", "2026-02-19", "--until", "2026-03-20").startswith("Ramadan 2026")
    assert shown(calendar_for_unit(unit).due(wit("2026-02-19T11:00"), "4h")) == "2026-02-20 08:30"


def test_naive_start_is_refused(calendar: WorkingCalendar):
    with pytest.raises(CalendarError):
        calendar.due(datetime.datetime(2026, 3, 17, 10, 0), "3d")  # noqa: DTZ001
