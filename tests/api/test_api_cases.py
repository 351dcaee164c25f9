"""The API used as another system would: a token, JSON or multipart, the same services and audit as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import errors
from cases.models import Attachment, AuditEvent, Case, Comment
from tests.builders import RT_CODE, RT_INTAKE, open_steps, start_vehicle_request, task_at

pytestmark = pytest.mark.django_db


def start_rt_by_api(client, scan, **overrides):
    return client.post(
        reverse("api:case_list"),
        {"sop": RT_CODE, **RT_INTAKE, "nota_dinas": scan("nota-dinas.pdf"), **overrides},
        format="multipart",
    )


def test_a_system_starts_a_case_with_an_attachment_and_the_audit_says_who(api, org, sop_library, scan):
    response = start_rt_by_api(api("pemohon"), scan)

    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert (body["reference"], body["sop"], body["status"], body["unit"]) == (
        case.reference,
        RT_CODE,
        "open",
        "subbag-rt",
    )
    assert case.requester == org["pemohon"]
    [attachment] = Attachment.objects.filter(case=case)
    assert (attachment.kind, attachment.original_name) == ("nota_dinas", "nota-dinas.pdf")
    assert body["attachments"][0]["sha256"] == attachment.sha256
    event = AuditEvent.objects.get(case=case)
    assert (event.action, event.actor) == ("case_started", org["pemohon"])
    assert [s["step"] for s in body["open_steps"]] == ["cek_ketersediaan"]
    assert body["open_steps"][0]["may_act"] is False  # the pool manager's step, not the requester's


def test_missing_intake_fields_are_refused_with_field_codes_and_nothing_is_written(api, org, sop_library, scan):
    response = start_rt_by_api(api("pemohon"), scan, tujuan="", jumlah_penumpang="banyak")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "intake_form_invalid"
    assert body["message"] == str(errors.INTAKE_FORM_INVALID)  # Indonesian, the default language
    assert body["fields"]["tujuan"][0]["code"] == "required"
    assert body["fields"]["jumlah_penumpang"][0]["code"] == "invalid"
    assert not Case.objects.exists()
    assert not AuditEvent.objects.filter(case__isnull=False).exists()


def test_an_unknown_sop_is_a_field_error(api, org, sop_library):
    response = api("pemohon").post(reverse("api:case_list"), {"sop": "BU-XX-99", "subject": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "BU-XX-99" in response.json()["fields"]["sop"][0]["message"]


def test_errors_speak_the_requested_language_then_the_users_then_indonesian(api, org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    url = reverse("api:case_comment", args=[case.pk])
    with_header = api("pemohon", **{"Accept-Language": "en"}).post(url, {"body": "  "}, format="json")
    default = api("pemohon").post(url, {"body": "  "}, format="json")
    org["pemohon"].language = "en"
    org["pemohon"].save(update_fields=["language"])
    preferred = api("pemohon").post(url, {"body": "  "}, format="json")
    header_wins = api("pemohon", **{"Accept-Language": "id"}).post(url, {"body": "  "}, format="json")

    assert {r.status_code for r in (with_header, default, preferred, header_wins)} == {400}
    assert {r.json()["code"] for r in (with_header, default, preferred, header_wins)} == {"comment_empty"}
    assert with_header.json()["message"] == "A comment cannot be empty."
    assert preferred.json()["message"] == "A comment cannot be empty."
    assert default.json()["message"] == header_wins.json()["message"] == "Komentar tidak boleh kosong."
    assert with_header["Content-Language"] == "en"
    assert default["Content-Language"] == "id"


def test_claim_complete_and_comment_go_through_the_services(api, org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    pool = api("kasubbag.rt")
    task = task_at(case, "cek_ketersediaan")

    completed = pool.post(
        reverse("api:task_complete", args=[task.pk]),
        {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM", "_catatan": "Tersedia"},
        format="json",
    )
    assert completed.status_code == 200, completed.json()
    assert [s["step"] for s in completed.json()["open_steps"]] == ["persetujuan"]
    assert open_steps(case) == ["persetujuan"]
    again = pool.post(reverse("api:task_complete", args=[task.pk]), {"_keputusan": "ya"}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "task_not_open")

    commented = api("pemohon").post(
        reverse("api:case_comment", args=[case.pk]), {"body": "Terima kasih"}, format="json"
    )
    assert commented.status_code == 201
    assert Comment.objects.get(case=case).author == org["pemohon"]

    timeline = pool.get(reverse("api:case_timeline", args=[case.pk])).json()
    assert [(e["action"], e["actor"]) for e in timeline] == [
        ("case_started", "pemohon"),
        ("step_completed", "kasubbag.rt"),
        ("comment_added", "pemohon"),
    ]
    assert timeline[1]["note"] == "Tersedia"
    assert timeline[1]["hash"] == AuditEvent.objects.get(case=case, case_seq=2).hash


def test_claim_and_release_of_a_queued_step(api, org, sop_library, scan):
    from tests.cases.test_access_matrix import drive

    case = drive(start_vehicle_request(org, sop_library[RT_CODE], scan), org, until="serah_terima")
    task = task_at(case, "serah_terima")
    driver = api("pengemudi1")

    claimed = driver.post(reverse("api:task_claim", args=[task.pk]))
    assert claimed.status_code == 200
    [step] = claimed.json()["open_steps"]
    assert (step["owner"], step["may_act"]) == ("pengemudi1", True)
    taken = api("pengemudi2").post(reverse("api:task_claim", args=[task.pk]))
    assert (taken.status_code, taken.json()["code"]) == (400, "task_taken")
    released = driver.post(reverse("api:task_release", args=[task.pk]))
    assert released.status_code == 200
    assert released.json()["open_steps"][0]["owner"] is None
    assert list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))[-2:] == [
        "step_claimed",
        "step_released",
    ]


def test_case_list_filters(api, org, sop_library, scan):
    from tests.builders import start_letter

    rt = start_vehicle_request(org, sop_library[RT_CODE], scan, subject="Kendaraan ke Masohi")
    letter = start_letter(org, sop_library["BU-ADM-01"])
    karo = api("karo")

    def ids(**query):
        response = karo.get(reverse("api:case_list"), query)
        assert response.status_code == 200, response.json()
        return {c["id"] for c in response.json()["results"]}

    assert ids() == {rt.pk, letter.pk}
    assert ids(sop=RT_CODE) == {rt.pk}
    assert ids(unit="subbag-persuratan") == {letter.pk}
    assert ids(q="masohi") == {rt.pk}
    assert ids(derajat="segera") == {letter.pk}
    assert ids(status=["open", "on_hold"]) == {rt.pk, letter.pk}
    assert ids(status="closed") == set()
    # The filters of the case list page too: nomor agenda, the units under a unit, start dates, breached SLA.
    assert ids(unit="bag-tu") == {letter.pk}
    assert ids(started_from=letter.created_at.date().isoformat()) == {rt.pk, letter.pk}
    assert ids(started_until="2000-01-01") == set()
    assert ids(breached="false") == {rt.pk, letter.pk}
    assert ids(breached="true") == set()
    bad = karo.get(reverse("api:case_list"), {"status": "lost", "started_from": "kemarin"})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"status", "started_from"}


def test_sop_catalogue_and_detail_describe_the_forms(api, org, sop_library):
    sops = api("pemohon").get(reverse("api:sop_list")).json()
    by_code = {s["code"]: s for s in sops}
    assert by_code[RT_CODE]["may_start"] is True
    assert by_code["BU-ADM-01"]["may_start"] is False
    detail = api("pemohon").get(reverse("api:sop_detail", args=[RT_CODE])).json()
    intake = {f["name"]: f for f in detail["intake_fields"]}
    assert intake["nota_dinas"]["type"] == "file"
    assert intake["derajat"]["type"] == "choice"
    steps = {s["id"]: s for s in detail["steps_detail"]}
    assert [b["key"] for b in steps["cek_ketersediaan"]["branches"]] == ["ya", "tidak"]
    assert any(f["name"] == "_keputusan" and f["type"] == "decision" for f in steps["cek_ketersediaan"]["fields"])
    assert api("pemohon").get(reverse("api:sop_detail", args=["BU-XX-99"])).status_code == 404


def test_case_history_pdf_is_printed_recorded_and_listed(api, org, sop_library, scan):
    import io

    from pypdf import PdfReader

    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    auditor = api("auditor")
    printed = auditor.post(reverse("api:case_documents", args=[case.pk]), {}, format="json")

    assert printed.status_code == 201
    assert printed["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(printed.content)).pages)
    assert case.reference in text
    code = printed["X-Document-Code"]
    records = auditor.get(reverse("api:case_documents", args=[case.pk])).json()
    assert [(r["code"], r["printed_by"]) for r in records] == [(code, "auditor")]
    assert (
        auditor.get(reverse("api:document_detail", args=[code])).json()["content_sha256"] == printed["X-Content-SHA256"]
    )
    assert api("agendaris1").get(reverse("api:document_detail", args=[code])).status_code == 404
    assert AuditEvent.objects.filter(case=case, action="document_printed", actor=org["auditor"]).count() == 1


def test_sop_outputs_and_the_lembar_disposisi_print_through_the_same_report_functions(api, org, sop_library, scan):
    from tests.builders import start_letter
    from tests.cases.test_access_matrix import drive

    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    pool = api("kasubbag.rt")
    url = reverse("api:case_documents", args=[case.pk])
    assert pool.get(reverse("api:case_detail", args=[case.pk])).json()["available_documents"] == []
    early = pool.post(url, {"kind": "sop_output", "output": "surat_izin_kendaraan"}, format="json")
    assert (early.status_code, early.json()["code"]) == (400, "document_not_yet")
    unknown = pool.post(url, {"kind": "sop_output", "output": "piagam"}, format="json")
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["output"])

    drive(case, org, until="serah_terima")
    available = pool.get(reverse("api:case_detail", args=[case.pk])).json()["available_documents"]
    assert "surat_izin_kendaraan" in [d["id"] for d in available]
    printed = pool.post(url, {"kind": "sop_output", "output": "surat_izin_kendaraan"}, format="json")
    assert printed.status_code == 201, printed.content[:500]
    assert printed["Content-Type"] == "application/pdf"
    [record] = pool.get(url).json()
    assert (record["kind"], record["output"], record["code"]) == (
        "sop_output",
        "surat_izin_kendaraan",
        printed["X-Document-Code"],
    )

    letter = start_letter(org, sop_library["BU-ADM-01"])
    sheet = api("agendaris1").post(
        reverse("api:case_documents", args=[letter.pk]), {"kind": "lembar_disposisi", "paper": "a4"}, format="json"
    )
    assert sheet.status_code == 201
    assert AuditEvent.objects.filter(case=letter, action="document_printed", actor=org["agendaris1"]).count() == 1
