"""The auditors' search result as a table: CSV and XLSX with the same columns, in the reader's language."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import Case


def case_export_header() -> list[str]:
    return [
        _("Case"),
        _("Agenda number"),
        _("SOP"),
        _("Subject"),
        _("Requester"),
        _("Unit"),
        _("Urgency"),
        _("Status"),
        _("Started"),
        _("Finished"),
        _("SLA breached"),
    ]


def case_export_rows(cases: QuerySet[Case]) -> Iterator[list[Any]]:
    """One row per case, times in the case's unit time zone (naive, as spreadsheets want), in batches."""
    for case in cases.iterator(chunk_size=500):
        zone = case.unit.time_zone
        yield [
            case.reference,
            case.nomor_agenda,
            case.sop_version.code,
            case.subject,
            case.requester_name,
            case.unit.name,
            case.get_derajat_display(),
            case.get_status_display(),
            _local(case.created_at, zone),
            _local(case.closed_at, zone),
            _("yes") if getattr(case, "sla_breached", False) else _("no"),
        ]


def _local(moment: datetime.datetime | None, zone: str) -> datetime.datetime | None:
    if moment is None:
        return None
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


def _cell_text(value: Any) -> Any:
    if value is None:
        return ""
    return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value


def as_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell_text(v) for v in row])
    return out.getvalue()


def as_xlsx(header: list[str], rows: Iterable[list[Any]], *, title: str) -> bytes:
    """An XLSX workbook with one sheet: a bold header row, then the rows (dates as real date cells)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for cells in sheet.columns:
        width = max(len(str(c.value or "")) for c in cells)
        sheet.column_dimensions[cells[0].column_letter].width = min(max(width + 2, 10), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
