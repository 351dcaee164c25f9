"""A requester's journey in a real browser: ask for a vehicle, keep the receipt, follow the request (signed in and by
tracking code), read the notices, complain, and read the written answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case
from cases.services import task_complete
from tests.browser.test_journeys import fill_vehicle_request, log_in
from tests.builders import RT_CODE, open_tasks

# Like the other journeys: the live server needs committed data; serialized_rollback restores what data migrations made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ANSWER = "Mohon maaf atas keterlambatan; jadwal pool telah diperbaiki."


def staff_complete(case: Case, step: str, user, data: dict) -> None:
    task = next(t for t in open_tasks(case) if t.flow_task.name == step)
    task_complete(task_id=task.pk, acting_user=user, data=data)


def test_a_requester_submits_tracks_is_notified_and_complains(page: Page, shot, org, sop_library):
    log_in(page, "pemohon")
    page.get_by_role("link", name="Katalog SOP").click()
    expect(page.locator("main")).not_to_contain_text("BU-ADM-01")  # letters are not a requester's service
    page.locator(f"a[href$='/katalog/{RT_CODE}/mulai/']").first.click()
    fill_vehicle_request(page, "Kendaraan untuk monitoring di Masohi")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Tanda terima")
    case = Case.objects.get()
    expect(page.locator(".receipt .reference")).to_have_text(case.reference)
    expect(page.locator(".tracking-code")).to_have_text(case.tracking_code)
    expect(page.locator(".receipt .time-standard")).not_to_be_empty()
    shot(page, "receipt")

    staff_complete(case, "cek_ketersediaan", org["kasubbag.rt"], {"_keputusan": "ya", "kendaraan": "Innova DE 1234"})
    staff_complete(case, "persetujuan", org["kabag.rt"], {"_keputusan": "setuju", "_catatan": "Catatan internal"})

    page.get_by_role("link", name="Notifikasi").click()
    expect(page.locator("main")).to_contain_text(f"Permohonan {case.reference} diterima")
    expect(page.locator("main")).to_contain_text(f"Permohonan {case.reference} disetujui")
    shot(page, "notifications")

    page.get_by_role("link", name="Permohonan saya").click()
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("table.current-steps")).to_contain_text("Kepala Subbagian Rumah Tangga")
    expect(page.locator("table.current-steps")).to_contain_text("WIT")
    expect(page.locator("main")).not_to_contain_text("Catatan internal")
    shot(page, "my-request")

    public = page.context.browser.new_context(base_url=page.url.split("/permohonan")[0], locale="id-ID").new_page()
    public.goto(f"/lacak/{case.tracking_code}/")
    expect(public.locator("main")).to_contain_text("diproses")
    expect(public.locator("main")).not_to_contain_text(case.subject)
    expect(public.locator("header")).not_to_contain_text("Keluar")
    shot(public, "public-tracking")
    public.context.close()

    page.get_by_role("link", name="Adukan permohonan ini").click()
    page.fill("[name=isi_pengaduan]", "Surat izin belum juga terbit setelah disetujui.")
    shot(page, "complaint")
    page.get_by_role("button", name="Kirim pengaduan").click()
    expect(page.locator(".messages")).to_contain_text("telah diajukan")
    complaint = Case.objects.get(complaint_about=case)
    staff_complete(complaint, "telaah", org["kasubbag.rt"], {"_keputusan": "jelas"})
    staff_complete(complaint, "jawab", org["kasubbag.rt"], {"_keputusan": "tidak_terbukti", "jawaban": ANSWER})

    page.goto(f"/permohonan/{case.pk}/")
    expect(page.locator(".answers")).to_contain_text(ANSWER)
    shot(page, "complaint-answered")
