"""BU-AS-01 (pemeliharaan kendaraan): every branch walked to an end through the services, as the org chart's people.

A driver (or the Kasubbag Perlengkapan dan Aset, or a parent BU-RT-01 case) reports the vehicle; the teknisi examines
it, the Kasubbag Aset estimates the cost, the Kabag Aset (or the Karo above the pagu) approves and issues the SPK, the
bengkel works while the case is on hold, the teknisi checks the result (back to the bengkel under warranty when it is
not right), the pengurus barang records it. An uneconomic vehicle opens a BU-AS-04 penghapusan case and the
maintenance case ends without waiting for it.
"""

from __future__ import annotations

import pytest

from cases.models import AuditEvent, Case, Position
from cases.services import case_start, task_complete
from tests.builders import (
    AS01_CODE,
    AS04_CODE,
    AS_COLUMNS,
    RT_CODE,
    RT_HAPPY_PATH,
    Walk,
    assert_refused_without_change,
    open_steps,
    open_tasks,
    start_vehicle_request,
    subcase_walk,
    task_at,
    visited,
)
from workflows.forms import intake_form_class
from workflows.models import SopVersion
from workflows.sops import data_fields

pytestmark = pytest.mark.django_db

# A damage report by the driver of a pool vehicle.
AS01_INTAKE = {
    **AS_COLUMNS,
    "subject": "Perbaikan rem Toyota Innova DE 1234 AM",
    "requester_name": "Benny Matulessy",
    "pemicu": "laporan_kerusakan",
    "kendaraan": "Toyota Innova DE 1234 AM",
    "kode_register": "02.03.01.02.003/0007",
    "km_akhir": 45398,
    "catatan_kondisi": "Rem berdecit dan pedal terasa dalam",
}

SPK = {"nomor_spk": "027/14/SPK-ASET/2026", "tanggal_selesai_spk": "2026-12-04"}
REPAIRED_AND_RECORDED = ["di_bengkel", "periksa_hasil", "pencatatan"]


@pytest.fixture
def as01(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[AS01_CODE]


@pytest.fixture
def report(org, as01):
    def start(by: str = "pengemudi1", **overrides) -> Walk:
        case = case_start(sop_version=as01, acting_user=org[by], data={**AS01_INTAKE, **overrides})
        walk = Walk(org, case, by)
        assert walk.case.unit.code == "subbag-aset"  # the owner role's desk, whoever reports
        return walk

    return start


def examined(walk: Walk, pos, decision: str, status_after: str = Case.Status.OPEN, **data) -> Case:
    return walk.do(
        "pemeriksaan_awal", "teknisi", {"_keputusan": decision, "hasil_pemeriksaan": "Kampas rem aus", **data},
        offered={pos["teknisi"]}, status_after=status_after,
    )


def estimated(walk: Walk, pos, decision: str, biaya: int = 1_750_000) -> None:
    walk.do(
        "estimasi_biaya", "kasubbag.aset",
        {"_keputusan": decision, "bengkel": "Bengkel Karya Motor Ambon", "estimasi_biaya": biaya},
        offered={pos["kasubbag.aset"]},
    )


def spk_by_kbpa(walk: Walk, pos) -> None:
    walk.do(
        "persetujuan_spk", "kabag.aset", {"_keputusan": "setuju", **SPK}, offered={pos["kabag.aset"]},
        status_after=Case.Status.ON_HOLD,
    )


def at_the_bengkel(walk: Walk, pos, biaya: int = 1_700_000) -> None:
    """di_bengkel: the case is on hold until the Kasubbag Aset records the vehicle back from the bengkel."""
    assert walk.case.status == Case.Status.ON_HOLD
    walk.do(
        "di_bengkel", "kasubbag.aset", {"biaya_realisasi": biaya, "_catatan": "Kendaraan kembali dari bengkel"},
        offered={pos["kasubbag.aset"]},
    )


def checked_and_recorded(walk: Walk, pos) -> Case:
    walk.do("periksa_hasil", "teknisi", {"_keputusan": "sesuai"}, offered={pos["teknisi"]})
    return walk.do(
        "pencatatan", "pengurus.barang", {}, offered={pos["pengurus.barang"]}, status_after=Case.Status.RESOLVED
    )


def assert_resolved_at(case: Case, version: SopVersion, end: str) -> None:
    assert case.closed_at is not None
    assert case.outcome_note == version.step(end)["kegiatan"]
    assert open_tasks(case) == []
    assert case.process.status == "DONE"


def test_periodic_service_within_budget_runs_through_the_bengkel_to_selesai(report, as01, pos):
    walk = report(pemicu="servis_berkala", subject="Servis berkala 50.000 km Toyota Innova DE 1234 AM")
    examined(walk, pos, "servis_berkala")
    estimated(walk, pos, "dalam_pagu", 850_000)
    spk_by_kbpa(walk, pos)
    at_the_bengkel(walk, pos, 850_000)
    case = checked_and_recorded(walk, pos)

    assert visited(case) == ["pemeriksaan_awal", "estimasi_biaya", "persetujuan_spk", *REPAIRED_AND_RECORDED, "selesai"]
    assert_resolved_at(case, as01, "selesai")
    assert case.data["nomor_spk"] == "027/14/SPK-ASET/2026"
    assert case.data["tanggal_selesai_spk"] == "2026-12-04"
    assert case.data["biaya_realisasi"] == 850_000
    assert case.children.count() == 0
    walk.assert_audit_trail()
    statuses = [
        (e.step, e.after["status"])
        for e in AuditEvent.objects.filter(case=case, action="step_completed").order_by("case_seq")
    ]
    assert statuses == [
        ("pemeriksaan_awal", "open"),
        ("estimasi_biaya", "open"),
        ("persetujuan_spk", "on_hold"),
        ("di_bengkel", "open"),
        ("periksa_hasil", "open"),
        ("pencatatan", "resolved"),
    ]


def test_repair_above_budget_approved_by_karo_and_sent_back_under_warranty(report, as01, pos):
    walk = report()
    examined(walk, pos, "perbaikan")
    estimated(walk, pos, "melebihi_pagu", 14_500_000)
    walk.do(
        "persetujuan_karo", "karo", {"_keputusan": "setuju", **SPK}, offered={pos["karo"]},
        status_after=Case.Status.ON_HOLD,
    )
    at_the_bengkel(walk, pos, 14_200_000)
    walk.do(
        "periksa_hasil", "teknisi", {"_keputusan": "tidak_sesuai", "catatan_hasil": "Rem masih berdecit"},
        offered={pos["teknisi"]}, status_after=Case.Status.ON_HOLD,
    )
    at_the_bengkel(walk, pos, 14_200_000)  # klaim garansi: no new SPK
    case = checked_and_recorded(walk, pos)

    assert visited(case) == [
        "pemeriksaan_awal", "estimasi_biaya", "persetujuan_karo", "di_bengkel", "periksa_hasil",
        *REPAIRED_AND_RECORDED, "selesai",
    ]
    assert_resolved_at(case, as01, "selesai")
    assert case.data["catatan_hasil"] == "Rem masih berdecit"
    walk.assert_audit_trail()


def test_estimate_sent_back_by_kbpa_and_by_karo_is_redone_until_approved(report, as01, pos):
    walk = report()
    examined(walk, pos, "perbaikan")
    estimated(walk, pos, "dalam_pagu")
    walk.do(
        "persetujuan_spk", "kabag.aset", {"_keputusan": "revisi", "catatan_persetujuan": "Bandingkan dua bengkel"},
        offered={pos["kabag.aset"]},
    )
    estimated(walk, pos, "melebihi_pagu", 9_000_000)
    walk.do(
        "persetujuan_karo", "karo", {"_keputusan": "revisi", "catatan_persetujuan": "Pisahkan suku cadang"},
        offered={pos["karo"]},
    )
    estimated(walk, pos, "dalam_pagu", 4_900_000)
    spk_by_kbpa(walk, pos)
    at_the_bengkel(walk, pos)
    case = checked_and_recorded(walk, pos)

    assert visited(case) == [
        "pemeriksaan_awal", "estimasi_biaya", "persetujuan_spk", "estimasi_biaya", "persetujuan_karo",
        "estimasi_biaya", "persetujuan_spk", *REPAIRED_AND_RECORDED, "selesai",
    ]
    assert_resolved_at(case, as01, "selesai")
    assert case.data["estimasi_biaya"] == 4_900_000
    assert case.data["catatan_persetujuan"] == "Pisahkan suku cadang"
    walk.assert_audit_trail()


def test_karo_refusing_the_cost_above_budget_ends_rejected(report, as01, pos):
    walk = report()
    examined(walk, pos, "perbaikan")
    estimated(walk, pos, "melebihi_pagu", 32_000_000)
    case = walk.do(
        "persetujuan_karo", "karo", {"_keputusan": "tolak", "catatan_persetujuan": "Anggaran tidak tersedia"},
        offered={pos["karo"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == ["pemeriksaan_awal", "estimasi_biaya", "persetujuan_karo", "tidak_disetujui"]
    assert case.closed_at is not None
    assert case.outcome_note == as01.step("tidak_disetujui")["kegiatan"]
    walk.assert_audit_trail()


def test_uneconomic_vehicle_opens_a_penghapusan_case_and_ends_without_waiting_for_it(
    report, sop_library, as01, pos, scan
):
    walk = report()
    case = examined(
        walk, pos, "tidak_ekonomis",
        uraian_barang="Toyota Innova DE 1234 AM, tahun 2009, kode register 02.03.01.02.003/0007",
        alasan_usulan="Biaya perbaikan mesin melebihi 50% nilai kendaraan",
        status_after=Case.Status.RESOLVED,
    )

    # The maintenance case is over: diusulkan hapus. The subcase step is no human step: it is not among `visited`.
    assert visited(case) == ["pemeriksaan_awal", "diusulkan_hapus"]
    assert_resolved_at(case, as01, "diusulkan_hapus")
    (child,) = case.children.all()
    assert (child.sop_version, child.parent, child.parent_step) == (
        sop_library[AS04_CODE], case, "usul_penghapusan"
    )
    assert child.status == Case.Status.OPEN
    assert (child.subject, child.requester_name, child.derajat, child.tingkat_keamanan) == (
        case.subject, case.requester_name, case.derajat, case.tingkat_keamanan,
    )
    assert child.data == {
        "uraian_barang": "Toyota Innova DE 1234 AM, tahun 2009, kode register 02.03.01.02.003/0007",
        "alasan_usulan": "Biaya perbaikan mesin melebihi 50% nilai kendaraan",
        "kode_register": "02.03.01.02.003/0007",
    }
    assert child.unit.code == "subbag-aset"
    assert open_steps(child) == ["identifikasi"]
    walk.assert_audit_trail()
    event = AuditEvent.objects.get(case=case, step="pemeriksaan_awal")
    assert (event.after["end"], event.after["subcases"]) == ("diusulkan_hapus", [child.reference])
    opened = AuditEvent.objects.get(case=child)
    assert opened.after["parent"] == case.reference
    assert opened.after["parent_step"] == "usul_penghapusan"

    # The penghapusan runs on its own; its end does not touch the finished parent.
    penghapusan = subcase_walk(walk.org, child, "teknisi")
    penghapusan.do(
        "identifikasi", "pengurus.barang",
        {"daftar_calon_hapus": "1 unit Toyota Innova 2009", "jenis_barang": "kendaraan", "nilai_buku": 0},
        {"foto_barang": scan("foto-innova.pdf")}, offered={pos["pengurus.barang"]},
    )
    penghapusan.do("siapkan_usulan", "kasubbag.aset", {}, offered={pos["kasubbag.aset"]})
    penghapusan.do("usulkan", "karo", {"nomor_surat_usulan": "032/88/BU"}, offered={pos["karo"]},
                   status_after=Case.Status.ON_HOLD)
    penghapusan.do("verifikasi_bpkad", "kasubbag.aset", {"_keputusan": "lengkap"}, offered={pos["kasubbag.aset"]})
    penghapusan.do(
        "penelitian_tim", "analis.aset", {"nomor_sk_tim": "SK-17", "hasil_penelitian": "Rusak berat"},
        {"ba_penelitian": scan("ba-penelitian.pdf")}, offered={pos["analis.aset"]},
    )
    penghapusan.do("rekomendasi", "analis.aset", {"_keputusan": "pemusnahan"}, offered={pos["analis.aset"]},
                   status_after=Case.Status.ON_HOLD)
    penghapusan.do(
        "persetujuan_gubernur", "kasubbag.aset", {"_keputusan": "tolak", "alasan_penolakan": "Ajukan lelang"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )
    penghapusan.assert_audit_trail()
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert not AuditEvent.objects.filter(case=case, action="subcases_joined").exists()


def test_intake_needs_only_case_columns_so_a_parent_can_open_it(org, as01, sop_library):
    definition = as01.definition
    form = intake_form_class(definition)(dict(AS_COLUMNS), {})
    assert form.is_valid(), form.errors
    intake = definition["intake"]["kelengkapan"]
    assert [f["name"] for f in intake["fields"] if f.get("required")] == []
    assert [a["name"] for a in intake["attachments"] if a.get("required")] == []
    # The intake takes BU-RT-01's own names for what it records about the vehicle, so RT-01 can carry them.
    rt_fields = data_fields(sop_library[RT_CODE].definition)
    as_fields = data_fields(definition)
    for name in ("kendaraan", "catatan_kondisi", "km_akhir"):
        assert as_fields[name]["type"] == rt_fields[name]["type"], name


def test_damage_found_after_a_vehicle_loan_opens_this_sop_as_a_child_of_bu_rt_01(org, sop_library, as01, pos, scan):
    """BU-RT-01's damage branch opens a BU-AS-01 case with what the inspection recorded; the loan ends at once."""
    loan = start_vehicle_request(org, sop_library[RT_CODE], scan)
    for step, username, data in RT_HAPPY_PATH[:-1]:
        task_complete(task_id=task_at(loan, step).pk, acting_user=org[username], data=data)
    loan = task_complete(
        task_id=task_at(loan, "pemeriksaan").pk, acting_user=org["kasubbag.rt"],
        data={"_keputusan": "ya", "catatan_kondisi": "Bumper depan penyok, lampu kiri pecah"},
    )
    loan.refresh_from_db()
    assert loan.status == Case.Status.RESOLVED

    (child,) = loan.children.all()
    assert (child.sop_version, child.parent_step) == (as01, "laporan_kerusakan")
    assert child.data == {
        "kendaraan": "Toyota Innova DE 1234 AM", "km_akhir": 45262,
        "catatan_kondisi": "Bumper depan penyok, lampu kiri pecah",
    }
    assert (child.subject, child.requester, child.unit.code) == (loan.subject, org["pemohon"], "subbag-aset")
    walk = subcase_walk(org, child, "kasubbag.rt")
    examined(walk, pos, "perbaikan")
    estimated(walk, pos, "dalam_pagu", 2_350_000)
    spk_by_kbpa(walk, pos)
    at_the_bengkel(walk, pos, 2_350_000)
    case = checked_and_recorded(walk, pos)

    assert visited(case) == ["pemeriksaan_awal", "estimasi_biaya", "persetujuan_spk", *REPAIRED_AND_RECORDED, "selesai"]
    assert_resolved_at(case, as01, "selesai")
    walk.assert_audit_trail()
    loan.refresh_from_db()
    assert loan.status == Case.Status.RESOLVED  # the finished loan is not touched by its child finishing
    assert not AuditEvent.objects.filter(case=loan, action="subcases_joined").exists()


def test_any_employee_may_report_their_vehicle_and_is_the_requester(report, org, pos):
    walk = report(by="pemohon", requester_name="Rina Pelupessy, S.IP.")
    assert walk.case.requester == org["pemohon"]
    assert walk.case.created_by == org["pemohon"]
    assert open_steps(walk.case) == ["pemeriksaan_awal"]
    case = examined(walk, pos, "tidak_ekonomis", uraian_barang="Honda Vario DE 3321 AM", alasan_usulan="Rangka patah",
                    status_after=Case.Status.RESOLVED)
    (child,) = case.children.all()
    assert child.requester == org["pemohon"]  # the child keeps the parent's requester
    walk.assert_audit_trail()


@pytest.mark.parametrize("field", ["uraian_barang", "alasan_usulan"])
def test_uneconomic_without_what_the_penghapusan_needs_is_refused(report, org, field):
    walk = report()
    data = {"_keputusan": "tidak_ekonomis", "hasil_pemeriksaan": "Mesin rusak berat", "uraian_barang": "Innova",
            "alasan_usulan": "Tidak ekonomis"}
    del data[field]
    assert_refused_without_change(walk, org["teknisi"], data, None, field)
    assert walk.case.children.count() == 0
    walk.assert_audit_trail()


def test_spk_without_number_is_refused_and_changes_nothing(report, org, pos):
    walk = report()
    examined(walk, pos, "perbaikan")
    estimated(walk, pos, "dalam_pagu")
    assert_refused_without_change(
        walk, org["kabag.aset"], {"_keputusan": "setuju", "tanggal_selesai_spk": "2026-12-04"}, None, "nomor_spk"
    )
    walk.assert_audit_trail()


@pytest.mark.parametrize("code", [AS01_CODE, "BU-AS-02", "BU-AS-03", AS04_CODE, "BU-AS-05", "BU-AS-06"])
def test_aset_sops_follow_the_library_conventions(sop_library, org, code):
    """Estimates are marked and said to need confirming; every actor is a role someone holds in the org chart (pauses
    included: the internal desk that records the outsider's answer); the catalogue's default ladder applies."""
    definition = sop_library[code].definition
    assert definition["identity"]["disahkan_oleh"]["nip"] == "000000000000000000"
    assert definition["escalation"]["warn_at_percent"] == 75
    assert definition["escalation"]["levels"] == [
        {"at_percent": 100, "to": "atasan_langsung"},
        {"at_percent": 200, "or_after": "1d", "to": "atasan_berikutnya"},
    ]
    held = set(Position.objects.filter(roles__isnull=False).values_list("roles__code", flat=True))
    for step in definition["steps"]:
        if step.get("waktu_estimate"):
            assert "perlu dikonfirmasi" in step["keterangan"], step["id"]
        if step.get("type") == "end":
            continue
        role = definition["roles"][step["actor"]]
        assert role.get("resolve", "org") == "requester" or step["actor"] in held, step["id"]
        if step.get("type") == "pause":
            assert step["waiting_on"] and "waktu" not in step, step["id"]
