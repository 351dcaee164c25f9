"""BU-AS-04 (penghapusan BMD): every branch walked to an end through the services, as the org chart's people.

The pengurus barang identifies the items, the Kasubbag Aset prepares the proposal and the Karo sends it to the
Gubernur through the Pengelola Barang. From then on the case waits on outsiders in turn — BPKAD (which may send the
file back), the Sekda (does the DPRD have to agree?), the DPRD, the Gubernur, KPKNL, the Sekda again for the SK — and
each time it is on hold until the Kasubbag Aset records the answer; the team researches and recommends in between,
and the pengurus barang finally takes the items off the books.
"""

from __future__ import annotations

import pytest

from cases.models import AuditEvent, Case
from cases.services import case_start
from tests.builders import AS04_CODE, AS_COLUMNS, Walk, assert_refused_without_change, open_tasks, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

PENGHAPUSAN = {
    **AS_COLUMNS,
    "subject": "Usulan penghapusan 12 unit komputer rusak berat",
    "requester_name": "Subbagian Perlengkapan dan Aset",
    "uraian_barang": "12 unit PC desktop Lenovo ThinkCentre, perolehan 2012",
    "alasan_usulan": "Rusak berat, suku cadang tidak tersedia",
}
IDENTIFIED = ["identifikasi", "siapkan_usulan", "usulkan", "verifikasi_bpkad"]
RESEARCHED = ["penelitian_tim", "rekomendasi"]
SK_AND_BOOKS = ["usulan_sk", "menunggu_sk", "hapus_dari_daftar"]
GUBERNUR_YES = {"nomor_surat_persetujuan": "032/2210/GUB", "tanggal_persetujuan": "2027-02-15"}


@pytest.fixture
def as04(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[AS04_CODE]


@pytest.fixture
def propose(org, as04):
    def start(by: str = "pengurus.barang", **overrides) -> Walk:
        case = case_start(sop_version=as04, acting_user=org[by], data={**PENGHAPUSAN, **overrides})
        walk = Walk(org, case, by)
        assert walk.case.unit.code == "subbag-aset"
        assert walk.case.requester is None
        return walk

    return start


def identified_and_sent(walk: Walk, pos, scan, jenis: str = "peralatan_mesin", nilai_buku: int = 0) -> None:
    """identifikasi → siapkan_usulan → usulkan; the case then waits on BPKAD."""
    walk.do(
        "identifikasi", "pengurus.barang",
        {"daftar_calon_hapus": "12 unit PC, register 0101–0112, rusak berat", "jenis_barang": jenis,
         "nilai_buku": nilai_buku},
        {"foto_barang": scan("foto-pc.pdf"), "surat_pernyataan": scan("pernyataan.pdf")},
        offered={pos["pengurus.barang"]},
    )
    walk.do("siapkan_usulan", "kasubbag.aset", {}, offered={pos["kasubbag.aset"]})
    walk.do(
        "usulkan", "karo", {"nomor_surat_usulan": "032/501/BU"}, offered={pos["karo"]},
        status_after=Case.Status.ON_HOLD,
    )


def researched(walk: Walk, pos, scan, recommendation: str) -> None:
    """BPKAD finds the file complete; the team researches and recommends; the case waits on the next outsider."""
    walk.do("verifikasi_bpkad", "kasubbag.aset", {"_keputusan": "lengkap"}, offered={pos["kasubbag.aset"]})
    walk.do(
        "penelitian_tim", "analis.aset", {"nomor_sk_tim": "800/77/SEKDA/2027", "hasil_penelitian": "Sesuai data"},
        {"ba_penelitian": scan("ba-penelitian.pdf")}, offered={pos["analis.aset"]},
    )
    walk.do(
        "rekomendasi", "analis.aset", {"_keputusan": recommendation}, offered={pos["analis.aset"]},
        status_after=Case.Status.ON_HOLD,
    )


def sk_issued_and_books_updated(walk: Walk, pos, scan) -> Case:
    walk.do(
        "usulan_sk", "kasubbag.aset", {"nomor_usulan_sk": "032/640/BU"}, offered={pos["kasubbag.aset"]},
        status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "menunggu_sk", "kasubbag.aset",
        {"nomor_sk_penghapusan": "KEP-SEKDA/2027/15", "tanggal_sk_penghapusan": "2027-05-03"},
        {"sk_penghapusan": scan("sk.pdf")}, offered={pos["kasubbag.aset"]},
    )
    return walk.do(
        "hapus_dari_daftar", "pengurus.barang", {}, {"laporan_penghapusan": scan("laporan.pdf")},
        offered={pos["pengurus.barang"]}, status_after=Case.Status.RESOLVED,
    )


def statuses(case: Case) -> list[tuple[str, str]]:
    return [
        (e.step, e.after["status"])
        for e in AuditEvent.objects.filter(case=case, action="step_completed").order_by("case_seq")
    ]


def test_destruction_after_bpkad_sends_the_file_back_once_resolves_at_dihapus(propose, as04, pos, scan):
    walk = propose()
    identified_and_sent(walk, pos, scan)
    walk.do(
        "verifikasi_bpkad", "kasubbag.aset", {"_keputusan": "tidak_lengkap", "catatan_bpkad": "Foto belum lengkap"},
        offered={pos["kasubbag.aset"]},
    )
    identified_and_sent(walk, pos, scan)  # kembali ke Pengguna Barang: identified and proposed again
    researched(walk, pos, scan, "pemusnahan")
    walk.do(
        "persetujuan_gubernur", "kasubbag.aset", {"_keputusan": "setuju_pemusnahan", **GUBERNUR_YES},
        offered={pos["kasubbag.aset"]},
    )
    walk.do(
        "pemusnahan", "kasubbag.aset", {"nomor_ba_pemusnahan": "BA-PMS/2027/02", "tanggal_pemusnahan": "2027-03-01"},
        {"ba_pemusnahan": scan("ba-pemusnahan.pdf")}, offered={pos["kasubbag.aset"]},
    )
    case = sk_issued_and_books_updated(walk, pos, scan)

    assert visited(case) == [
        *IDENTIFIED, *IDENTIFIED, *RESEARCHED, "persetujuan_gubernur", "pemusnahan", *SK_AND_BOOKS, "dihapus"
    ]
    assert case.closed_at is not None
    assert case.outcome_note == as04.step("dihapus")["kegiatan"]
    assert case.data["catatan_bpkad"] == "Foto belum lengkap"
    assert case.data["nomor_sk_penghapusan"] == "KEP-SEKDA/2027/15"
    assert open_tasks(case) == []
    walk.assert_audit_trail()
    assert statuses(case) == [
        ("identifikasi", "open"), ("siapkan_usulan", "open"), ("usulkan", "on_hold"),
        ("verifikasi_bpkad", "open"),
        ("identifikasi", "open"), ("siapkan_usulan", "open"), ("usulkan", "on_hold"),
        ("verifikasi_bpkad", "open"), ("penelitian_tim", "open"), ("rekomendasi", "on_hold"),
        ("persetujuan_gubernur", "open"), ("pemusnahan", "open"), ("usulan_sk", "on_hold"),
        ("menunggu_sk", "open"), ("hapus_dari_daftar", "resolved"),
    ]


def test_sale_by_auction_without_dprd_resolves_at_dihapus(propose, as04, pos, scan):
    walk = propose(by="kasubbag.aset")
    identified_and_sent(walk, pos, scan, jenis="kendaraan", nilai_buku=45_000_000)
    researched(walk, pos, scan, "pemindahtanganan")
    walk.do(
        "pertimbangan_dprd", "kasubbag.aset", {"_keputusan": "tidak_perlu"}, offered={pos["kasubbag.aset"]},
        status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "persetujuan_gubernur", "kasubbag.aset", {"_keputusan": "setuju_pemindahtanganan", **GUBERNUR_YES},
        offered={pos["kasubbag.aset"]},
    )
    walk.do(
        "persiapan_pemindahtanganan", "kasubbag.aset", {"bentuk_pemindahtanganan": "lelang"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "pelaksanaan_pemindahtanganan", "kasubbag.aset", {"nomor_risalah": "RL-112/KPKNL.AMB/2027"},
        {"risalah_lelang": scan("risalah.pdf")}, offered={pos["kasubbag.aset"]},
    )
    case = sk_issued_and_books_updated(walk, pos, scan)

    assert visited(case) == [
        *IDENTIFIED, *RESEARCHED, "pertimbangan_dprd", "persetujuan_gubernur", "persiapan_pemindahtanganan",
        "pelaksanaan_pemindahtanganan", *SK_AND_BOOKS, "dihapus",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == as04.step("dihapus")["kegiatan"]
    assert case.data["bentuk_pemindahtanganan"] == "lelang"
    walk.assert_audit_trail()


def test_building_approved_by_the_dprd_but_refused_by_the_gubernur_ends_at_ditolak(propose, as04, pos, scan):
    walk = propose(subject="Usulan penghapusan gedung gudang lama", uraian_barang="Gedung gudang lama, 1985")
    identified_and_sent(walk, pos, scan, jenis="tanah_bangunan", nilai_buku=1_200_000_000)
    researched(walk, pos, scan, "pemindahtanganan")
    walk.do(
        "pertimbangan_dprd", "kasubbag.aset", {"_keputusan": "perlu_dprd"}, offered={pos["kasubbag.aset"]},
        status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "menunggu_dprd", "kasubbag.aset", {"_keputusan": "disetujui", "nomor_persetujuan_dprd": "KEP-DPRD/2027/9"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.ON_HOLD,
    )
    case = walk.do(
        "persetujuan_gubernur", "kasubbag.aset",
        {"_keputusan": "tolak", "alasan_penolakan": "Gedung direncanakan untuk rehabilitasi"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == [
        *IDENTIFIED, *RESEARCHED, "pertimbangan_dprd", "menunggu_dprd", "persetujuan_gubernur", "ditolak"
    ]
    assert case.closed_at is not None
    assert case.outcome_note == as04.step("ditolak")["kegiatan"]
    assert case.data["alasan_penolakan"] == "Gedung direncanakan untuk rehabilitasi"
    walk.assert_audit_trail()


def test_dprd_refusal_ends_at_ditolak_dprd(propose, as04, pos, scan):
    walk = propose(subject="Usulan penghapusan tanah eks mess", uraian_barang="Tanah eks mess pegawai, 600 m²")
    identified_and_sent(walk, pos, scan, jenis="tanah_bangunan", nilai_buku=2_400_000_000)
    researched(walk, pos, scan, "pemindahtanganan")
    walk.do(
        "pertimbangan_dprd", "kasubbag.aset", {"_keputusan": "perlu_dprd"}, offered={pos["kasubbag.aset"]},
        status_after=Case.Status.ON_HOLD,
    )
    case = walk.do(
        "menunggu_dprd", "kasubbag.aset", {"_keputusan": "tidak_disetujui", "alasan_penolakan": "Aset strategis"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == [*IDENTIFIED, *RESEARCHED, "pertimbangan_dprd", "menunggu_dprd", "ditolak_dprd"]
    assert case.closed_at is not None
    assert case.outcome_note == as04.step("ditolak_dprd")["kegiatan"]
    walk.assert_audit_trail()


def test_identification_without_photo_is_refused_and_changes_nothing(propose, org):
    walk = propose()
    assert_refused_without_change(
        walk, org["pengurus.barang"],
        {"daftar_calon_hapus": "12 unit PC", "jenis_barang": "peralatan_mesin", "nilai_buku": 0}, None, "foto_barang",
    )
    walk.assert_audit_trail()


def test_destruction_without_its_berita_acara_is_refused(propose, org, pos, scan):
    walk = propose()
    identified_and_sent(walk, pos, scan)
    researched(walk, pos, scan, "pemusnahan")
    assert_refused_without_change(walk, org["kasubbag.aset"], {"_keputusan": "setuju_pemusnahan"}, None,
                                  "nomor_surat_persetujuan")
    walk.do(
        "persetujuan_gubernur", "kasubbag.aset", {"_keputusan": "setuju_pemusnahan", **GUBERNUR_YES},
        offered={pos["kasubbag.aset"]},
    )
    assert_refused_without_change(
        walk, org["kasubbag.aset"], {"nomor_ba_pemusnahan": "BA-PMS/2027/03", "tanggal_pemusnahan": "2027-03-02"},
        None, "ba_pemusnahan",
    )
    walk.assert_audit_trail()


def test_the_one_month_destruction_limit_alerts_the_karo_before_the_deadline(as04):
    """Permendagri 19/2016: the berita acara pemusnahan within 1 month of the approval; the Karo hears at day ~20."""
    step = as04.step("pemusnahan")
    assert (step["waktu"], step["waktu_estimate"]) == ("20d", True)
    assert step["escalation"]["levels"][0] == {"at_percent": 70, "to": "KARO"}
