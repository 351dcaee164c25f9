"""The org chart is kept per process behind a stamp that database triggers change on every write to its tables, so
whatever writes them (a service, the admin, a bulk update, raw SQL, another process) counts from the next read, and a
case service reads the chart and the calendar with one query."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import OrgChartStamp, Position, PositionHolding, Role, Unit
from cases.org import acting_positions, org_chart, org_chart_pinned, positions_with_role, today, users_acting_in
from cases.reference import reference_data_pinned
from workflows.calendar import calendar_data_current

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)

# One statement that writes each table of the chart (PostgreSQL fires statement triggers even for no changed row,
# but each of these changes one).
WRITES = {
    "cases_unit": "UPDATE cases_unit SET name = name || '' WHERE code = 'bag-rt'",
    "cases_role": "UPDATE cases_role SET name = name || '' WHERE code = 'KRT'",
    "cases_position": "UPDATE cases_position SET title = title || '' WHERE is_head",
    "cases_position_roles": (
        "DELETE FROM cases_position_roles WHERE role_id IN (SELECT id FROM cases_role WHERE code = 'ARS')"
    ),
    "cases_positionholding": "UPDATE cases_positionholding SET valid_from = valid_from",
    "cases_delegation": "UPDATE cases_delegation SET reason = reason || ''",
}


STAMP_READ = (
    'SELECT "cases_orgchartstamp"."stamp" AS "stamp" FROM "cases_orgchartstamp" WHERE "cases_orgchartstamp"."id" = 1 '
    'ORDER BY "cases_orgchartstamp"."id" ASC LIMIT 1'
)


def _stamp():
    return OrgChartStamp.objects.get(pk=1).stamp


@pytest.mark.parametrize("table", sorted(WRITES))
def test_every_write_to_a_chart_table_changes_the_stamp(org, table):
    before = _stamp()
    with connection.cursor() as cursor:
        cursor.execute(WRITES[table])
        assert cursor.rowcount > 0
    assert _stamp() != before


def test_the_chart_is_read_once_per_change_then_the_stamp_only(org, django_assert_num_queries):
    user = org["kasubbag.rt"]
    PositionHolding.objects.filter(user=org["pengemudi2"]).update(valid_until=today() - DAY)
    with django_assert_num_queries(6):  # the stamp, then units, positions, their roles, holdings and delegations
        acting = acting_positions(user)
    with django_assert_num_queries(1):  # the stamp only
        assert acting_positions(user) == acting
    with django_assert_num_queries(1), org_chart_pinned():  # pinned: one stamp read for the whole block
        assert acting_positions(user) == acting
        assert users_acting_in([acting[0].position_id]) == {user.pk}


def test_a_bulk_update_counts_from_the_next_read(org):
    driver = org["pengemudi2"]
    assert len(acting_positions(driver)) == 1
    PositionHolding.objects.filter(user=driver).update(valid_until=today() - DAY)  # no signal is sent
    assert acting_positions(driver) == []


def test_a_role_given_to_a_position_counts_from_the_next_read(org):
    head = Position.objects.get(unit__code="bag-rt", is_head=True)
    unit = Unit.objects.get(code="bag-rt").pk
    assert head.pk not in positions_with_role("ARS", unit)
    head.roles.add(Role.objects.get(code="ARS"))
    assert head.pk in positions_with_role("ARS", unit)


def test_a_change_another_process_committed_counts_from_the_next_read(org):
    """Another process writes the table with plain SQL: no signal reaches this process, the trigger bumps the stamp."""
    driver = org["pengemudi2"]
    assert len(acting_positions(driver)) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_positionholding SET valid_until = %s WHERE user_id = %s", [today() - DAY, driver.pk]
        )
    assert acting_positions(driver) == []


def test_a_rolled_back_change_leaves_no_stale_chart(org):
    driver = org["pengemudi2"]
    with pytest.raises(RuntimeError), transaction.atomic():
        PositionHolding.objects.filter(user=driver).delete()
        assert acting_positions(driver) == []
        raise RuntimeError("rolled back")
    assert len(acting_positions(driver)) == 1


def test_a_pinned_block_keeps_its_chart(org):
    driver = org["pengemudi2"]
    with org_chart_pinned():
        chart = org_chart()
        PositionHolding.objects.filter(user=driver).update(valid_until=today() - DAY)
        assert org_chart() is chart
        assert len(acting_positions(driver)) == 1
    assert acting_positions(driver) == []


def test_a_case_service_reads_the_chart_and_the_calendar_with_one_query(org, django_assert_num_queries):
    acting_positions(org["karo"])
    calendar_data_current()  # both kept in the process
    with django_assert_num_queries(1), reference_data_pinned():
        acting_positions(org["karo"])
        calendar_data_current()
        org_chart()


def test_a_page_reads_the_stamp_once_however_many_parts_ask_who_the_viewer_is(client, org, sop_library):
    client.force_login(org["kabag.rt"])  # a head: the header, the menus and the queue each ask for his positions
    client.get(reverse("cases:queue"))  # the chart kept in the process
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cases:queue")).status_code == 200
    assert [q["sql"] for q in queries.captured_queries].count(STAMP_READ) == 1
