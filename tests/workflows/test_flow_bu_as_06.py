"""BU-AS-06 (penghitungan fisik per lokasi, CEPAT's sub-procedure of BU-AS-05) on its own: every branch to its end.

The team (analis BMD) counts one location and records the condition of what it counted; the pengurus barang receives
the count sheet and accepts it or sends it back for a recount. As a child of BU-AS-05 it is walked in
test_flow_bu_as_05.py.
"""

from __future__ import annotations

import pytest

from cases.errors import ApplicationError
from cases.models import Case
from cases.services import case_start
from tests.builders import AS05_CODE, AS06_CODE, AS_COLUMNS, Walk, assert_refused_without_change, open_tasks, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

COUNT = {
    **AS_COLUMNS,
    "subject": "Hitung ulang Gudang ATK",
    "requester_name": "Subbagian Perlengkapan dan Aset",
    "lokasi": "Gudang ATK",
    "jenis_kegiatan": "stock_opname",
    "periode": "Semester II 2026",
}


@pytest.fixture
def as06(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[AS06_CODE]


@pytest.fixture
def count(org, as06):
    def start(by: str = "analis.aset", **overrides) -> Walk:
        case = case_start(sop_version=as06, acting_user=org[by], data={**COUNT, **overrides})
        walk = Walk(org, case, by)
        assert walk.case.unit.code == "subbag-aset"
        return walk

    return start


def counted(walk: Walk, pos, scan, jumlah_item: int = 48) -> None:
    walk.do(
        "hitung", "analis.aset", {"jumlah_item": jumlah_item}, {"lembar_hitung": scan("lembar-hitung.pdf")},
        offered={pos["analis.aset"]},
    )
    walk.do(
        "catat_kondisi", "analis.aset", {"jumlah_baik": jumlah_item - 3, "jumlah_rusak": 1, "jumlah_kedaluwarsa": 2},
        offered={pos["analis.aset"]},
    )


def test_count_accepted_by_the_pengurus_barang_resolves(count, as06, pos, scan):
    walk = count()
    counted(walk, pos, scan)
    case = walk.do(
        "serahkan_lembar", "pengurus.barang", {"_keputusan": "lengkap"}, offered={pos["pengurus.barang"]},
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == ["hitung", "catat_kondisi", "serahkan_lembar", "selesai"]
    assert case.closed_at is not None
    assert case.outcome_note == as06.step("selesai")["kegiatan"]
    assert case.data == {
        "lokasi": "Gudang ATK", "jenis_kegiatan": "stock_opname", "periode": "Semester II 2026",
        "jumlah_item": 48, "jumlah_baik": 45, "jumlah_rusak": 1, "jumlah_kedaluwarsa": 2,
    }
    assert open_tasks(case) == []
    walk.assert_audit_trail()


def test_incomplete_count_sheet_is_counted_again(count, as06, pos, scan):
    walk = count(by="kasubbag.aset")
    counted(walk, pos, scan, 48)
    walk.do(
        "serahkan_lembar", "pengurus.barang",
        {"_keputusan": "hitung_ulang", "catatan_kekurangan": "Rak 3 belum dihitung; paraf penanggung jawab kosong"},
        offered={pos["pengurus.barang"]},
    )
    counted(walk, pos, scan, 61)
    case = walk.do(
        "serahkan_lembar", "pengurus.barang", {"_keputusan": "lengkap"}, offered={pos["pengurus.barang"]},
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == ["hitung", "catat_kondisi", "serahkan_lembar"] * 2 + ["selesai"]
    assert case.data["jumlah_item"] == 61
    assert case.data["catatan_kekurangan"] == "Rak 3 belum dihitung; paraf penanggung jawab kosong"
    walk.assert_audit_trail()


def test_count_without_its_sheet_and_recount_without_reason_are_refused(count, org, pos, scan):
    walk = count()
    assert_refused_without_change(walk, org["analis.aset"], {"jumlah_item": 48}, None, "lembar_hitung")
    counted(walk, pos, scan)
    assert_refused_without_change(
        walk, org["pengurus.barang"], {"_keputusan": "hitung_ulang"}, None, "catatan_kekurangan"
    )
    walk.assert_audit_trail()


def test_a_count_needs_its_location(org, as06):
    data = {key: value for key, value in COUNT.items() if key != "lokasi"}
    with pytest.raises(ApplicationError) as refused:
        case_start(sop_version=as06, acting_user=org["analis.aset"], data=data)
    assert "lokasi" in refused.value.errors


def test_the_parent_carries_every_field_the_count_requires(sop_library):
    """BU-AS-05's hitung_fisik gives each child its location (item_field) and the kind and period of the stock-take."""
    (step,) = [s for s in sop_library[AS05_CODE].definition["steps"] if s["id"] == "hitung_fisik"]
    assert step["subcase"] == {
        "sop": AS06_CODE, "wait": True, "for_each": "daftar_lokasi", "item_field": "lokasi",
        "carry": ["jenis_kegiatan", "periode"],
    }
    intake = sop_library[AS06_CODE].definition["intake"]["kelengkapan"]["fields"]
    assert [f["name"] for f in intake if f.get("required")] == ["lokasi"]
