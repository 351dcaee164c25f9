"""Each role's main journey in a real browser: staff start and complete a case (and the requester answers the
satisfaction survey), a supervisor decides an escalation, an auditor finds a case and prints its history."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from cases.demo import DEMO_PASSWORD
from cases.models import Case, SatisfactionSurvey
from tests.builders import RT_CODE, open_tasks, start_vehicle_request
from workflows import escalation
from workflows.models import Escalation

# The live server needs committed data; serialized_rollback restores what data migrations made (the audit chain head,
# content types) after the flush, as the other transactional tests expect.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
WIT = ZoneInfo("Asia/Jayapura")


def log_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator("header")).to_contain_text("Keluar")


def fill_vehicle_request(page: Page, subject: str) -> None:
    """Fill the BU-RT-01 intake form open on `page`: a car to Masohi on 1 December, with the nota dinas."""
    page.fill("[name=subject]", subject)
    page.fill("[name=tujuan]", "Masohi")
    page.fill("[name=tanggal_berangkat]", "2026-12-01T08:00")
    page.fill("[name=tanggal_kembali]", "2026-12-01T15:00")
    page.fill("[name=jumlah_penumpang]", "3")
    page.set_input_files(
        "[name=nota_dinas]",
        files=[{"name": "nota-dinas.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}],
    )


def work_on(page: Page, case: Case) -> None:
    """Open the case's step from the inbox, taking it from the unit queue first when it waits there."""
    page.goto("/")
    if page.locator("tr", has_text=case.reference).count() == 0:
        page.goto("/antrean/")
        page.locator("tr", has_text=case.reference).get_by_role("button", name="Ambil").click()
        expect(page.locator(".messages")).to_contain_text("Langkah telah diambil")
        page.goto("/")
    page.locator("tr", has_text=case.reference).get_by_role("link", name="Kerjakan").click()


def complete(page: Page, fields: dict[str, str] | None = None, decision: str | None = None) -> None:
    for name, value in (fields or {}).items():
        page.fill(f"[name={name}]", value)
    if decision:
        page.check(f"input[name=_keputusan][value={decision}]")
    page.get_by_role("button", name="Selesaikan langkah").click()
    expect(page.locator(".messages")).to_contain_text("diselesaikan")


def test_staff_start_and_complete_a_vehicle_request_and_the_requester_rates_it(page, shot, org, sop_library):
    log_in(page, "pemohon")
    page.get_by_role("link", name="Katalog SOP").click()
    page.locator(f"a[href$='/katalog/{RT_CODE}/mulai/']").first.click()
    fill_vehicle_request(page, "Kendaraan untuk rapat di Masohi")
    shot(page, "intake")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("telah dimulai")
    case = Case.objects.get()

    log_in(page, "kasubbag.rt")
    page.goto("/")
    expect(page.locator("tr", has_text=case.reference).locator(".sla")).to_be_visible()
    shot(page, "inbox")
    work_on(page, case)
    shot(page, "step-form")
    # "Available" needs the vehicle (kelengkapan for that branch): refused by the server, nothing moves.
    page.check("input[name=_keputusan][value=ya]")
    page.get_by_role("button", name="Selesaikan langkah").click()
    expect(page.locator(".messages")).to_contain_text("tidak dapat diselesaikan")
    expect(page.locator(".errorlist")).to_be_visible()
    shot(page, "step-refused")
    complete(page, {"kendaraan": "Toyota Innova DE 1234 AM"}, decision="ya")
    log_in(page, "kabag.rt")
    work_on(page, case)
    complete(page, decision="setuju")
    log_in(page, "kasubbag.rt")
    work_on(page, case)
    complete(page, {"nomor_surat_izin": "000.1.4/27/RT/2026"})
    log_in(page, "pengemudi1")
    work_on(page, case)
    complete(page, {"km_awal": "45210"})
    for fields in ({}, {"km_akhir": "45262"}):
        work_on(page, case)
        complete(page, fields)
    log_in(page, "kasubbag.rt")
    work_on(page, case)
    complete(page, decision="tidak")
    expect(page.locator("h1 .badge")).to_have_text("Selesai")
    shot(page, "case-resolved")

    log_in(page, "pemohon")
    page.get_by_role("link", name="Notifikasi").click()
    page.get_by_role("link", name="Isi survei").click()
    survey = SatisfactionSurvey.objects.get(case=case)
    for element, score in zip(
        ["persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku", "pengaduan", "sarana"],
        [4, 4, 3, 4, 4, 3, 4, 3, 4],
        strict=True,
    ):
        page.check(f"input[name={element}][value='{score}']")
    shot(page, "survey")
    page.get_by_role("button", name="Kirim").click()
    expect(page.locator(".messages")).to_contain_text("Terima kasih")
    assert survey.answers.count() == 9


def test_supervisor_decides_an_escalation(page, shot, org, sop_library, scan):
    with time_machine.travel(datetime.datetime(2026, 11, 20, 8, 0, tzinfo=WIT), tick=False):
        case = start_vehicle_request(org, sop_library[RT_CODE], scan, subject="Kendaraan yang terlambat dicek")
    assert escalation.sweep() >= 2  # the step is days over its 30 minutes: early warning and the atasan langsung
    assert Escalation.objects.filter(case=case, position__title__startswith="Kepala Bagian").exists()

    log_in(page, "kabag.rt")
    page.get_by_role("link", name="Eskalasi").click()
    item = page.locator("form", has=page.locator("textarea[name=reason]")).first
    expect(page.locator("main")).to_contain_text(case.reference)
    expect(page.locator("main .sla.overdue").first).to_be_visible()
    shot(page, "escalations")
    item.locator("input[name=decision][value=take_over]").check()
    item.locator("textarea[name=reason]").fill("Saya tangani langsung hari ini")
    item.get_by_role("button", name="Putuskan").click()
    expect(page.locator(".messages")).to_contain_text(case.reference)
    shot(page, "decided")
    assert open_tasks(case)[0].owner == org["kabag.rt"]

    page.get_by_role("link", name="Tim").click()
    expect(page.locator("table.workload")).to_contain_text("Ir. Frans Sahetapy")
    shot(page, "team")
    page.get_by_role("link", name="Dasbor").click()
    expect(page.locator("#chart-backlog svg")).to_be_visible()
    shot(page, "dashboards")


def test_auditor_finds_a_case_and_prints_its_history(page, shot, org, sop_library, scan):
    start_vehicle_request(org, sop_library[RT_CODE], scan, subject="Kendaraan ke Ambon")
    wanted = start_vehicle_request(org, sop_library[RT_CODE], scan, subject="Kendaraan ke Tual")

    log_in(page, "auditor")
    page.get_by_role("link", name="Kasus").click()
    page.fill("input[name=q]", "Tual")
    page.get_by_role("button", name="Saring").click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(wanted.reference)
    shot(page, "search")
    rows.first.get_by_role("link", name=wanted.reference).click()
    expect(page.locator("main")).not_to_contain_text("Tambahkan komentar")  # read-only
    shot(page, "case")
    with page.context.expect_event(
        "response", predicate=lambda response: response.url.endswith("riwayat.pdf")
    ) as printed:
        page.get_by_role("button", name="Cetak riwayat kasus (PDF)").click()
    response = printed.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert wanted.printed_documents.count() == 1
