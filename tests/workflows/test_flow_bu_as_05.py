"""BU-AS-05 (stock opname persediaan dan inventarisasi): every branch walked to an end through the services, as the
org chart's people, with its child cases.

The Kasubbag Aset issues the surat tugas with the list of locations and picks the kind of count; the pengurus barang
freezes the store (stock opname) or prints KIB/KIR (inventarisasi). The physical count then runs as one BU-AS-06 case
per location, in parallel: the parent has no open step while they run and moves on to `bandingkan` when the last one
finishes (a cancelled one counts as finished). Differences are traced by the pengurus barang and settled by the
Kasubbag Aset — a loss by negligence goes to TGR, damaged or expired stock opens a BU-AS-04 penghapusan case that the
parent does not wait for — until all are explained; the team signs the berita acara, the pengurus barang corrects the
balances, the Kasubbag Aset reports and the case is on hold until BPKAD signs the reconciliation.
"""

from __future__ import annotations

import pytest

from cases.models import AuditEvent, Case
from cases.services import case_cancel, case_start
from tests.builders import (
    AS04_CODE,
    AS05_CODE,
    AS06_CODE,
    AS_COLUMNS,
    Walk,
    assert_refused_without_change,
    expect_join,
    open_steps,
    open_tasks,
    subcase_walk,
    visited,
)
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

OPNAME = {
    **AS_COLUMNS,
    "subject": "Stock opname persediaan Semester II 2026",
    "requester_name": "Subbagian Perlengkapan dan Aset",
    "jenis_kegiatan": "stock_opname",
    "periode": "Semester II 2026",
    "tanggal_cut_off": "2026-12-23",
}
STORES = ["Gudang ATK", "Gudang Barang Cetakan", "Gudang Alat Kebersihan"]
CLOSING = ["berita_acara", "koreksi_saldo", "laporan", "rekonsiliasi_bpkad"]


@pytest.fixture
def as05(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[AS05_CODE]


@pytest.fixture
def opname(org, as05):
    def start(**overrides) -> Walk:
        case = case_start(sop_version=as05, acting_user=org["kasubbag.aset"], data={**OPNAME, **overrides})
        walk = Walk(org, case, "kasubbag.aset")
        assert walk.case.unit.code == "subbag-aset"
        return walk

    return start


def assigned_and_prepared(walk: Walk, pos, locations: list[str], kind: str = "stock_opname") -> list[Case]:
    """surat_tugas and cut-off (or KIB/KIR); returns the child counts the parent now waits for, one per location."""
    walk.do(
        "surat_tugas", "kasubbag.aset",
        {"_keputusan": kind, "nomor_surat_tugas": "094/88/BU/2026", "daftar_lokasi": "\n".join(locations)},
        offered={pos["kasubbag.aset"]},
    )
    prepare = "cut_off" if kind == "stock_opname" else "cetak_kib_kir"
    parent = walk.do(prepare, "pengurus.barang", {}, offered={pos["pengurus.barang"]})
    assert parent.status == Case.Status.OPEN  # not on hold: it waits on its own children, not on outsiders
    assert open_steps(parent) == []
    return list(parent.children.filter(parent_step="hitung_fisik").order_by("pk"))


def count(org, pos, scan, child: Case, recount: bool = False) -> Walk:
    """Walk one location's BU-AS-06 case to its end (once sent back for a recount if `recount`)."""
    walk = subcase_walk(org, child, "pengurus.barang")
    for accepted in ([False, True] if recount else [True]):
        walk.do("hitung", "analis.aset", {"jumlah_item": 30}, {"lembar_hitung": scan("lembar.pdf")},
                offered={pos["analis.aset"]})
        walk.do("catat_kondisi", "analis.aset", {"jumlah_baik": 28, "jumlah_rusak": 2},
                offered={pos["analis.aset"]})
        decision = {"_keputusan": "lengkap"} if accepted else {"_keputusan": "hitung_ulang",
                                                                "catatan_kekurangan": "Rak bawah belum dihitung"}
        walk.do("serahkan_lembar", "pengurus.barang", decision, offered={pos["pengurus.barang"]},
                status_after=Case.Status.RESOLVED if accepted else Case.Status.OPEN)
    walk.assert_audit_trail()
    return walk


def closed(walk: Walk, pos, scan) -> Case:
    walk.do(
        "berita_acara", "analis.aset", {"nomor_ba": "BA-SO/II/2026"}, {"ba_stock_opname": scan("ba-so.pdf")},
        offered={pos["analis.aset"]},
    )
    walk.do("koreksi_saldo", "pengurus.barang", {}, offered={pos["pengurus.barang"]})
    walk.do(
        "laporan", "kasubbag.aset", {"nomor_laporan": "032/12/BU/2027"}, offered={pos["kasubbag.aset"]},
        status_after=Case.Status.ON_HOLD,
    )
    return walk.do(
        "rekonsiliasi_bpkad", "kasubbag.aset", {"nomor_ba_rekonsiliasi": "BA-REK/BPKAD/2027/031"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.RESOLVED,
    )


def assert_resolved(case: Case, version: SopVersion) -> None:
    assert case.closed_at is not None
    assert case.outcome_note == version.step("selesai")["kegiatan"]
    assert open_tasks(case) == []


def test_stock_opname_counts_every_store_in_parallel_and_waits_for_the_last(opname, org, as05, sop_library, pos,
                                                                           scan):
    walk = opname()
    children = assigned_and_prepared(walk, pos, STORES)
    parent = walk.case

    # One BU-AS-06 case per store, opened by the act that reached hitung_fisik, all open at once.
    assert [(c.sop_version, c.parent, c.parent_step) for c in children] == [
        (sop_library[AS06_CODE], parent, "hitung_fisik")
    ] * 3
    assert [c.data for c in children] == [
        {"lokasi": store, "jenis_kegiatan": "stock_opname", "periode": "Semester II 2026"} for store in STORES
    ]
    assert [c.subject for c in children] == [f"Stock opname persediaan Semester II 2026 — {s}" for s in STORES]
    assert all(open_steps(c) == ["hitung"] and c.status == Case.Status.OPEN for c in children)
    assert AuditEvent.objects.get(case=parent, step="cut_off").after["subcases"] == [c.reference for c in children]
    assert all(AuditEvent.objects.get(case=c).actor == org["pengurus.barang"] for c in children)

    # They finish in any order; the parent stays without an open step until the last one is done.
    count(org, pos, scan, children[1])
    count(org, pos, scan, children[2], recount=True)
    assert open_steps(parent) == []
    count(org, pos, scan, children[0])
    expect_join(walk, "hitung_fisik", "pengurus.barang")
    assert open_steps(parent) == ["bandingkan"]
    joined = AuditEvent.objects.get(case=parent, action="subcases_joined")
    assert joined.after["children"] == {c.reference: "resolved" for c in children}
    assert joined.after["next_steps"] == ["bandingkan"]

    walk.do("bandingkan", "analis.aset", {"_keputusan": "tidak_ada"}, offered={pos["analis.aset"]})
    case = closed(walk, pos, scan)

    assert visited(case) == ["surat_tugas", "cut_off", "bandingkan", *CLOSING, "selesai"]
    assert_resolved(case, as05)
    walk.assert_audit_trail()
    statuses = [
        (e.action, e.step, e.after["status"])
        for e in AuditEvent.objects.filter(case=case).exclude(action="case_started").order_by("case_seq")
    ]
    assert statuses == [
        ("step_completed", "surat_tugas", "open"),
        ("step_completed", "cut_off", "open"),
        ("subcases_joined", "hitung_fisik", "open"),
        ("step_completed", "bandingkan", "open"),
        ("step_completed", "berita_acara", "open"),
        ("step_completed", "koreksi_saldo", "open"),
        ("step_completed", "laporan", "on_hold"),
        ("step_completed", "rekonsiliasi_bpkad", "resolved"),
    ]


def test_differences_go_to_tgr_and_to_penghapusan_until_explained(opname, org, as05, sop_library, pos, scan):
    walk = opname()
    (child,) = assigned_and_prepared(walk, pos, ["Gudang ATK"])
    count(org, pos, scan, child)
    expect_join(walk, "hitung_fisik", "pengurus.barang")
    walk.do(
        "bandingkan", "analis.aset",
        {"_keputusan": "ada_selisih", "daftar_selisih": "Kertas A4: buku 120 rim, fisik 112 rim; toner: 6 kedaluwarsa"},
        offered={pos["analis.aset"]},
    )
    walk.do(
        "telusuri_selisih", "pengurus.barang", {"penjelasan_selisih": "8 rim hilang dari gudang; 6 toner kedaluwarsa"},
        offered={pos["pengurus.barang"]},
    )
    walk.do(
        "putuskan_selisih", "kasubbag.aset",
        {"_keputusan": "kelalaian", "uraian_kehilangan": "8 rim kertas A4; gudang tidak dikunci"},
        offered={pos["kasubbag.aset"]},
    )
    walk.do("proses_tgr", "kasubbag.aset", {}, offered={pos["kasubbag.aset"]})
    parent = walk.do(
        "putuskan_selisih", "kasubbag.aset",
        {"_keputusan": "rusak_kedaluwarsa", "uraian_barang": "6 toner HP 85A, kedaluwarsa 2025",
         "alasan_usulan": "Kedaluwarsa"},
        offered={pos["kasubbag.aset"]},
    )

    # The penghapusan is opened and not waited for: the Kasubbag Aset is straight back at putuskan_selisih.
    (penghapusan,) = parent.children.filter(parent_step="usul_hapus_persediaan")
    assert (penghapusan.sop_version, penghapusan.status) == (sop_library[AS04_CODE], Case.Status.OPEN)
    assert penghapusan.data == {"uraian_barang": "6 toner HP 85A, kedaluwarsa 2025", "alasan_usulan": "Kedaluwarsa"}
    assert open_steps(penghapusan) == ["identifikasi"]
    assert AuditEvent.objects.filter(case=parent, step="putuskan_selisih").last().after["subcases"] == [
        penghapusan.reference
    ]

    walk.do("putuskan_selisih", "kasubbag.aset", {"_keputusan": "dijelaskan"}, offered={pos["kasubbag.aset"]})
    case = closed(walk, pos, scan)

    assert visited(case) == [
        "surat_tugas", "cut_off", "bandingkan", "telusuri_selisih", "putuskan_selisih", "proses_tgr",
        "putuskan_selisih", "putuskan_selisih", *CLOSING, "selesai",
    ]
    assert_resolved(case, as05)
    penghapusan.refresh_from_db()
    assert penghapusan.status == Case.Status.OPEN  # still running after the stock opname is over
    walk.assert_audit_trail()


def test_inventarisasi_prints_kib_kir_and_counts_each_room(opname, org, as05, pos, scan):
    rooms = ["Ruang Kepala Biro", "Ruang Rapat Lantai 2"]
    walk = opname(jenis_kegiatan="inventarisasi", subject="Inventarisasi aset tetap 2026", periode="Sensus 2026")
    children = assigned_and_prepared(walk, pos, rooms, kind="inventarisasi")
    assert [(c.data["lokasi"], c.data["jenis_kegiatan"]) for c in children] == [(r, "inventarisasi") for r in rooms]
    count(org, pos, scan, children[0], recount=True)
    count(org, pos, scan, children[1])
    expect_join(walk, "hitung_fisik", "pengurus.barang")
    walk.do(
        "bandingkan", "analis.aset", {"_keputusan": "ada_selisih", "daftar_selisih": "1 lemari tidak ada di KIR"},
        offered={pos["analis.aset"]},
    )
    walk.do(
        "telusuri_selisih", "pengurus.barang", {"penjelasan_selisih": "Mutasi dari Bagian TU belum dicatat"},
        offered={pos["pengurus.barang"]},
    )
    walk.do("putuskan_selisih", "kasubbag.aset", {"_keputusan": "dijelaskan"}, offered={pos["kasubbag.aset"]})
    case = closed(walk, pos, scan)

    assert visited(case) == [
        "surat_tugas", "cetak_kib_kir", "bandingkan", "telusuri_selisih", "putuskan_selisih", *CLOSING, "selesai"
    ]
    assert_resolved(case, as05)
    assert case.children.filter(sop_version__code=AS04_CODE).count() == 0
    walk.assert_audit_trail()


def test_a_cancelled_count_lets_the_parent_go_on(opname, org, as05, pos, scan):
    walk = opname()
    first, second = assigned_and_prepared(walk, pos, ["Gudang ATK", "Gudang lama (sudah dibongkar)"])
    count(org, pos, scan, first)
    assert open_steps(walk.case) == []

    case_cancel(case_id=second.pk, acting_user=org["kasubbag.aset"], reason="Gudang sudah dibongkar")
    expect_join(walk, "hitung_fisik", "kasubbag.aset")

    second.refresh_from_db()
    assert second.status == Case.Status.CANCELLED
    joined = AuditEvent.objects.get(case=walk.case, action="subcases_joined")
    assert joined.after["children"] == {first.reference: "resolved", second.reference: "cancelled"}
    walk.do("bandingkan", "analis.aset", {"_keputusan": "tidak_ada"}, offered={pos["analis.aset"]})
    case = closed(walk, pos, scan)
    assert visited(case) == ["surat_tugas", "cut_off", "bandingkan", *CLOSING, "selesai"]
    assert_resolved(case, as05)
    walk.assert_audit_trail()


def test_surat_tugas_without_locations_is_refused(opname, org):
    walk = opname()
    assert_refused_without_change(
        walk, org["kasubbag.aset"], {"_keputusan": "stock_opname", "nomor_surat_tugas": "094/88/BU/2026",
                                     "daftar_lokasi": "\n  \n"}, None, "daftar_lokasi",
    )
    walk.assert_audit_trail()


def test_settling_damaged_stock_without_describing_it_is_refused(opname, org, pos, scan):
    walk = opname()
    (child,) = assigned_and_prepared(walk, pos, ["Gudang ATK"])
    count(org, pos, scan, child)
    expect_join(walk, "hitung_fisik", "pengurus.barang")
    walk.do("bandingkan", "analis.aset", {"_keputusan": "ada_selisih", "daftar_selisih": "Toner"},
            offered={pos["analis.aset"]})
    walk.do("telusuri_selisih", "pengurus.barang", {"penjelasan_selisih": "Kedaluwarsa"},
            offered={pos["pengurus.barang"]})
    assert_refused_without_change(
        walk, org["kasubbag.aset"], {"_keputusan": "rusak_kedaluwarsa", "alasan_usulan": "Kedaluwarsa"}, None,
        "uraian_barang",
    )
    assert walk.case.children.filter(parent_step="usul_hapus_persediaan").count() == 0
    walk.assert_audit_trail()


def test_the_ba_stock_opname_is_printed_from_the_case_for_the_team_to_sign(opname, org, pos, scan):
    from reports.printing import verification_url
    from reports.sop_outputs import available_documents, sop_output_pdf
    from tests.reports.pdfs import pdf_pages, qr_payloads, squeezed

    walk = opname()
    [child] = assigned_and_prepared(walk, pos, STORES[:1])
    count(org, pos, scan, child)
    expect_join(walk, "hitung_fisik", "pengurus.barang")
    walk.do("bandingkan", "analis.aset", {"_keputusan": "tidak_ada"}, offered={pos["analis.aset"]})
    assert [d["id"] for d in available_documents(walk.case)] == ["ba_stock_opname"]

    pdf, document = sop_output_pdf(case=walk.case, output="ba_stock_opname", acting_user=org["analis.aset"])

    text = squeezed("".join(pdf_pages(pdf)))
    for expected in ["BERITAACARASTOCKOPNAME", "Nomor:000.2.1/1/SUBBAG-ASET/2026", "094/88/BU/2026",
                     "SemesterII2026", "23Desember2026", "1GudangATK", "Tidakterdapatselisih",
                     "MarthinWattimury,S.T.", "AhmadMarasabessy,S.T.", "KepalaSubbagianPerlengkapandanAset"]:
        assert expected in text, expected
    assert qr_payloads(pdf) == [verification_url(document.code)]
