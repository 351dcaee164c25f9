"""The working calendar from the command line.

`calendar sync [--years 2026 2027] [--dry-run]` copies libur nasional and cuti bersama from the `holidays` package
into the holiday table (default: this year and next); `calendar due --unit CODE --start ISO-DATETIME --budget 3d`
prints a due moment in the unit's time zone, so an admin can check the calendar by hand; `calendar list --year Y`
prints the days off; `calendar ramadan --from DATE --until DATE` gives a schedule its Ramadan hours.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import ApplicationError
from cases.models import Unit
from workflows.calendar import RAMADAN_WEEK, CalendarError, calendar_for_unit, format_local, parse_budget
from workflows.calendar_services import calendar_sync, schedule_variant_save
from workflows.models import Holiday, WorkSchedule, WorkScheduleVariant


class Command(BaseCommand):
    help = "Sync the holiday table, or compute a due moment on a unit's working calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="Copy libur nasional and cuti bersama from the holidays package.")
        sync.add_argument("--years", type=int, nargs="+", help="Years to sync (default: this year and next).")
        sync.add_argument("--dry-run", action="store_true", help="Show what would change; change nothing.")
        due = sub.add_parser("due", help="Print the due moment of a time standard in the unit's time zone.")
        due.add_argument("--unit", required=True, help="Unit code.")
        due.add_argument(
            "--start", required=True, help="ISO date-time; without an offset it is read in the unit's time zone."
        )
        due.add_argument("--budget", required=True, help="A time standard: 90m, 4h or 3d.")
        list_ = sub.add_parser("list", help="Print the days off of a year.")
        list_.add_argument("--year", type=int, help="Default: this year.")
        ramadan = sub.add_parser("ramadan", help="Give a schedule Ramadan hours on a date range.")
        ramadan.add_argument("--from", dest="valid_from", required=True, help="First day of Ramadan (YYYY-MM-DD).")
        ramadan.add_argument("--until", dest="valid_until", required=True, help="Last day (YYYY-MM-DD).")
        ramadan.add_argument("--schedule", help="Schedule code (default: the default schedule).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "sync":
                self._sync(options["years"], options["dry_run"])
            elif action == "due":
                self._due(options["unit"], options["start"], options["budget"])
            elif action == "list":
                self._list(options["year"] or timezone.localdate().year)
            else:
                self._ramadan(options["valid_from"], options["valid_until"], options["schedule"])
        except ApplicationError as problem:
            raise CommandError(problem.message, returncode=1) from problem

    def _sync(self, years: list[int] | None, dry_run: bool) -> None:
        this_year = timezone.localdate().year
        result = calendar_sync(years=years or [this_year, this_year + 1], dry_run=dry_run)
        for label, rows in (
            (_("added"), result.added),
            (_("updated"), result.updated),
            (_("restored"), result.restored),
            (_("retired (no longer in the package)"), result.retired),
            (_("kept as an administrator set it"), [r for r in result.kept_manual if r.active]),
            (_("kept removed by an administrator"), [r for r in result.kept_manual if not r.active]),
        ):
            for row in rows:
                marked = row.estimated and "(perkiraan)" not in row.name.lower()
                estimated = f" ({_('estimated')})" if marked else ""
                self.stdout.write(f"{label}: {row.date.isoformat()} {row.name}{estimated}")
        summary = _("%(years)s: %(added)d added, %(updated)d updated, %(restored)d restored, %(retired)d retired") % {
            "years": ", ".join(map(str, result.years)),
            "added": len(result.added),
            "updated": len(result.updated),
            "restored": len(result.restored),
            "retired": len(result.retired),
        }
        if dry_run:
            summary += " (" + _("dry run: nothing written") + ")"
        self.stdout.write(summary)

    def _due(self, code: str, start_text: str, budget: str) -> None:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise CommandError(_("No unit with code %(code)s.") % {"code": code}, returncode=1)
        try:
            parse_budget(budget)
        except CalendarError:
            raise CommandError(
                _("The budget is a whole number followed by m, h or d (e.g. 90m, 4h, 3d), not %(budget)s.")
                % {"budget": budget},
                returncode=1,
            ) from None
        try:
            start = datetime.datetime.fromisoformat(start_text)
        except ValueError:
            raise CommandError(
                _("The start is an ISO date-time such as 2026-03-17T10:00, not %(start)s.") % {"start": start_text},
                returncode=1,
            ) from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(unit.time_zone))
        calendar = calendar_for_unit(unit)
        self.stdout.write(format_local(calendar.due(start, budget), unit.time_zone))

    def _list(self, year: int) -> None:
        rows = Holiday.objects.filter(date__year=year)
        for row in rows:
            flags = [row.get_kind_display()]
            if row.estimated:
                flags.append(_("estimated"))
            if not row.active:
                flags.append(_("removed: a working day"))
            self.stdout.write(f"{row.date.isoformat()} {row.date:%a} {row.name} [{', '.join(flags)}]")
        if not rows:
            self.stdout.write(_("No days off recorded for %(year)d; run `calendar sync`.") % {"year": year})

    def _ramadan(self, valid_from: str, valid_until: str, code: str | None) -> None:
        try:
            start, end = datetime.date.fromisoformat(valid_from), datetime.date.fromisoformat(valid_until)
        except ValueError as problem:
            raise CommandError(str(problem), returncode=1) from None
        schedule = (
            WorkSchedule.objects.filter(code=code).first()
            if code
            else WorkSchedule.objects.filter(is_default=True).first()
        )
        if schedule is None:
            raise CommandError(_("No schedule %(code)s.") % {"code": code or "default"}, returncode=1)
        week = {day: hours for day, hours in enumerate(RAMADAN_WEEK) if hours is not None}
        variant = WorkScheduleVariant(
            schedule=schedule, name=f"Ramadan {start.year}", valid_from=start, valid_until=end
        )
        schedule_variant_save(variant=variant, week=week, acting_user=None)
        self.stdout.write(str(variant))
