"""Dashboards: SLA compliance, time taken against the standard, backlog by age, slowest steps; the same SVG charts in
the page and in the monthly performance report PDF."""

from __future__ import annotations

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import HttpRequest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from cases.demo import DEMO_PASSWORD
from cases.models import AuditEvent
from cases.services import task_complete
from reports.dashboards import Period, backlog_by_age, completion_against_standard, sla_compliance, slowest_steps
from tests.builders import RT_CODE, start_vehicle_request, task_at

pytestmark = pytest.mark.django_db
WIT = ZoneInfo("Asia/Jayapura")


def wit(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=WIT)


@pytest.fixture
def checked(org, sop_library, scan):
    """Three vehicle requests started at 08:00 on 2 November; the availability check (30 office minutes) is done at
    08:20 (on time), 08:25 (on time) and 10:00 (late). A fourth, started on 30 October, is still open."""
    with time_machine.travel(wit(2026, 10, 30, 8, 0), tick=False):
        start_vehicle_request(org, sop_library[RT_CODE], scan, subject="Masih terbuka")
    cases = []
    for minute in (20, 25, 120):
        with time_machine.travel(wit(2026, 11, 2, 8, 0), tick=False):
            case = start_vehicle_request(org, sop_library[RT_CODE], scan)
        with time_machine.travel(wit(2026, 11, 2, 8, 0) + datetime.timedelta(minutes=minute), tick=False):
            task_complete(
                task_id=task_at(case, "cek_ketersediaan").pk,
                acting_user=org["kasubbag.rt"],
                data={"_keputusan": "ya", "kendaraan": "DE 1 AM"},
            )
        cases.append(case)
    return cases


NOVEMBER = Period.month(2026, 11)


def test_sla_compliance_per_sop_unit_and_month(checked):
    [sop] = sla_compliance(NOVEMBER, by="sop")
    assert (sop.key, sop.total, sop.met) == (RT_CODE, 3, 2)
    assert round(sop.percent, 1) == 66.7
    [unit] = sla_compliance(NOVEMBER, by="unit")
    assert (unit.key, unit.total, unit.met) == ("subbag-rt", 3, 2)
    [month] = sla_compliance(NOVEMBER, by="month")
    assert (month.key, month.total) == ("2026-11", 3)
    assert sla_compliance(Period.month(2026, 10), by="sop") == []


def test_time_taken_against_the_standard_and_slowest_steps(checked):
    [row] = completion_against_standard(NOVEMBER)
    assert row.steps == 3
    assert row.mean_taken == datetime.timedelta(minutes=(20 + 25 + 120) / 3)
    assert row.mean_allowed == datetime.timedelta(minutes=30)
    [slow] = slowest_steps(NOVEMBER)
    assert (slow.step, slow.count, slow.late) == ("cek_ketersediaan", 3, 1)
    assert slow.title.startswith("Memeriksa ketersediaan")


def test_backlog_by_age(checked):
    buckets = {b.label: b.count for b in backlog_by_age(now=wit(2026, 11, 10, 8, 0))}
    assert buckets["7–14"] == 4  # every case is open: three from 2 November (8 days), one from 30 October (11 days)
    assert sum(buckets.values()) == 4


def test_dashboard_page_shows_svg_charts_to_heads_and_auditors_only(client, org, checked):
    client.login(request=HttpRequest(), username="pengemudi1", password=DEMO_PASSWORD)
    assert client.get(reverse("reports:dashboard")).status_code == 404
    client.login(request=HttpRequest(), username="kabag.rt", password=DEMO_PASSWORD)
    response = client.get(reverse("reports:dashboard"), {"month": "2026-11"})
    page = response.content.decode()
    # The charts need no script: the page carries only the site-wide script file (the language switch).
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/cases/cepat.js" defer>']
    chart = page[page.index('id="chart-compliance-sop"') :]
    svg = etree.fromstring(chart[chart.index("<svg") : chart.index("</svg>") + 6].encode())
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert RT_CODE in texts
    assert any(t.startswith("66,7%") or t.startswith("66.7%") for t in texts), texts


def test_monthly_performance_report_pdf_has_the_charts_and_is_recorded(client, org, checked):
    client.login(request=HttpRequest(), username="auditor", password=DEMO_PASSWORD)
    response = client.get(reverse("reports:performance_pdf"), {"month": "2026-11"})
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Laporan kinerja layanan" in text
    assert RT_CODE in text and "(2/3)" in text
    event = AuditEvent.objects.filter(action="document_printed", case__isnull=True).get()
    assert event.after["kind"] == "performance_report"
    assert len(event.after["sha256"]) == 64


def test_dashboard_speaks_english_to_a_user_who_chose_it(client, org, checked):
    client.login(request=HttpRequest(), username="auditor", password=DEMO_PASSWORD)
    client.post(reverse("cases:language_set"), {"language": "en"})
    page = client.get(reverse("reports:dashboard"), {"month": "2026-11"}).content.decode()
    assert "SLA compliance per SOP" in page
    assert "Kepatuhan SLA" not in page
