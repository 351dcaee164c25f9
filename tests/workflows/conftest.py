"""Fixtures shared by the workflow engine's test modules."""

from __future__ import annotations

import pytest

from workflows.models import SopVersion
from workflows.services import sop_library_load

DISPATCHER_SOP = """\
code: BU-TS-10
revision: 1
title: Contoh beban dispatcher
service_area: administrasi_umum
identity:
  nomor: 000.8.3.3/99/UM
  tanggal_pembuatan: "2026-01-15"
  tanggal_efektif: "2026-02-02"
  disahkan_oleh: {jabatan: Kepala Biro Umum}
  dasar_hukum: [Peraturan Menteri PANRB Nomor 35 Tahun 2012]
owner_role: AGD
roles:
  AGD: {name: Agendaris}
intake: {roles: [AGD]}
start: telaah
steps:
  - {id: telaah, actor: AGD, kegiatan: Menelaah surat masuk, waktu: 4h, next: selesai}
  - {id: selesai, type: end, kegiatan: Selesai, outcome: resolved}
"""


@pytest.fixture
def dispatcher_sop(db, tmp_path) -> SopVersion:
    """A one-step SOP of the agendaris (a four-hour standard) for the dispatcher's load and crash tests."""
    (tmp_path / "BU-TS-10.yaml").write_text(DISPATCHER_SOP, encoding="utf-8")
    result = sop_library_load(directory=tmp_path)
    assert not result.failed, [str(p) for f in result.failed for p in f.problems]
    return result.registered[0]
