"""The two reads that open every act on a step (`cases.services._lock_task`), written out as SQL.

1. The case and its process row, locked (the flow lock), with the case's unit, its SOP version's content hash and the
   stamps of the reference data (`cases.reference`).
2. Once that lock is held, the task fresh, with its SLA clock if it has one and the id of the process's last task.

On PostgreSQL both go in one round trip: in READ COMMITTED each statement reads a snapshot taken when it starts, so
the second sees everything an earlier holder of the lock committed. The ORM took longer to build these statements
than PostgreSQL to answer them.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from viewflow.workflow.models import Process, Task

from workflows.models import CalendarStamp, SlaClock, SopVersion
from workflows.rows import Columns, Value
from workflows.write_behind import sends_statements_together

from .models import Case, OrgChartStamp, Unit


class LockedStep(NamedTuple):
    case: Case  # with its process and unit
    task: Task  # with its clock (or None), `process` and `last_task_id`
    sop_content_hash: str
    calendar_stamp: uuid.UUID | None
    org_chart_stamp: uuid.UUID | None


@dataclass(frozen=True)
class _Reads:
    case_sql: str
    task_sql: str
    case: Columns
    process: Columns
    unit: Columns
    task: Columns
    clock: Columns
    content_hash: Value
    calendar_stamp: Value
    org_chart_stamp: Value


@functools.cache
def _reads(vendor: str) -> _Reads:
    connection = transaction.get_connection()
    quote = connection.ops.quote_name

    def table(model: type) -> str:
        return quote(model._meta.db_table)

    case, process, unit = (Columns(m, a, connection) for m, a in ((Case, "c"), (Process, "p"), (Unit, "u")))
    task, clock = Columns(Task, "t", connection), Columns(SlaClock, "k", connection)
    lock = " FOR UPDATE OF c, p" if connection.features.has_select_for_update_of else ""
    case_sql = (
        f"SELECT {case.sql}, {process.sql}, {unit.sql}, v.content_hash,"  # noqa: S608 - names from the models
        f" (SELECT s.stamp FROM {table(CalendarStamp)} s WHERE s.id = 1),"
        f" (SELECT s.stamp FROM {table(OrgChartStamp)} s WHERE s.id = 1)"
        f" FROM {table(Case)} c JOIN {table(Process)} p ON p.id = c.process_id"
        f" JOIN {table(Unit)} u ON u.id = c.unit_id JOIN {table(SopVersion)} v ON v.id = c.sop_version_id"
        f" WHERE c.process_id = (SELECT x.process_id FROM {table(Task)} x WHERE x.id = %s){lock}"
    )
    task_sql = (
        f"SELECT {task.sql}, {clock.sql},"  # noqa: S608 - names from the models
        f" (SELECT l.id FROM {table(Task)} l WHERE l.process_id = t.process_id ORDER BY l.id DESC LIMIT 1)"
        f" FROM {table(Task)} t LEFT JOIN {table(SlaClock)} k ON k.task_id = t.id WHERE t.id = %s"
    )
    return _Reads(
        case_sql,
        task_sql,
        case,
        process,
        unit,
        task,
        clock,
        content_hash=Value(SopVersion._meta.get_field("content_hash"), connection),
        calendar_stamp=Value(CalendarStamp._meta.get_field("stamp"), connection),
        org_chart_stamp=Value(OrgChartStamp._meta.get_field("stamp"), connection),
    )


def _rows(connection: BaseDatabaseWrapper, reads: _Reads, task_id: int) -> tuple[tuple | None, tuple | None]:
    with connection.cursor() as cursor:
        if sends_statements_together(connection):
            cursor.execute(f"{reads.case_sql};\n{reads.task_sql}", [task_id, task_id])
            case_row = cursor.fetchone()
            cursor.cursor.nextset()
            return case_row, cursor.fetchone()
        cursor.execute(reads.case_sql, [task_id])
        case_row = cursor.fetchone()
        cursor.execute(reads.task_sql, [task_id])
        return case_row, cursor.fetchone()


def lock_step(task_id: int) -> LockedStep:
    """Lock the case of task `task_id` and its process row, then read the task (see the module's docstring)."""
    connection = transaction.get_connection()
    reads = _reads(connection.vendor)
    case_row, task_row = _rows(connection, reads, task_id)
    if case_row is None or task_row is None:
        raise Case.DoesNotExist(f"No case has task {task_id}.")

    case = reads.case.build(case_row, 0, connection)
    at = reads.case.width
    process = reads.process.build(case_row, at, connection)
    at += reads.process.width
    unit = reads.unit.build(case_row, at, connection)
    at += reads.unit.width
    content_hash, calendar_stamp, org_chart_stamp = case_row[at:]
    Case._meta.get_field("process").set_cached_value(case, process)
    Case._meta.get_field("unit").set_cached_value(case, unit)

    task = reads.task.build(task_row, 0, connection)
    clock = reads.clock.build(task_row, reads.task.width, connection)
    SlaClock._meta.get_field("task").remote_field.set_cached_value(task, clock)
    if clock is not None:
        SlaClock._meta.get_field("task").set_cached_value(clock, task)
    task.last_task_id = task_row[-1]
    task.process = process
    return LockedStep(
        case,
        task,
        reads.content_hash.convert(content_hash, connection),
        reads.calendar_stamp.convert(calendar_stamp, connection),
        reads.org_chart_stamp.convert(org_chart_stamp, connection),
    )
