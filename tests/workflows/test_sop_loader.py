"""The SOP file loader (`workflows.sops`): every kind of malformed file is reported on its line and field, with the
documented message, and a bad file never yields a definition. No database needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from workflows.sop_schema import SERVICE_AREAS
from workflows.sops import (
    MSG_ACTOR_REQUIRED,
    MSG_BAD_DATE,
    MSG_BAD_DURATION,
    MSG_CASE_COLUMN_TYPE,
    MSG_CHOICES_REQUIRED,
    MSG_CODE_FILENAME,
    MSG_DEAD_END,
    MSG_DECISION_BRANCHES,
    MSG_DUPLICATE_BRANCH,
    MSG_DUPLICATE_CODE,
    MSG_DUPLICATE_FIELD,
    MSG_DUPLICATE_KEY,
    MSG_DUPLICATE_STEP,
    MSG_END_HAS_NEXT,
    MSG_END_WITHOUT_OUTCOME,
    MSG_FIELD_ROLE_UNKNOWN_FIELD,
    MSG_FIELD_ROLE_WITHOUT_FIELD,
    MSG_NEXT_AND_DECISION,
    MSG_NO_END,
    MSG_NO_WAY_OUT,
    MSG_NOT_MAPPING,
    MSG_NOT_ONE_OF,
    MSG_PATTERN,
    MSG_PAUSE_WAITING_ON,
    MSG_REQUIRED,
    MSG_UNKNOWN_BRANCH,
    MSG_UNKNOWN_KEY,
    MSG_UNKNOWN_ROLE,
    MSG_UNKNOWN_STEP,
    MSG_UNREACHABLE,
    MSG_WRONG_TYPE,
    MSG_YAML_SYNTAX,
    SopFile,
    SopProblem,
    definition_hash,
    load_sop_directory,
    load_sop_file,
)

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "sop_definitions"

# A small valid SOP. Each test below changes a line or two of it with `edit`, so the line a problem is expected on
# can be read off this text.
BASE = """\
# Contoh SOP kecil untuk menguji pemuat.
code: BU-TS-01
revision: 1
title: Contoh Permohonan
service_area: administrasi_umum
identity:
  nomor: 000.8.3.3/01/UM
  tanggal_pembuatan: "2026-01-15"
  tanggal_efektif: "2026-02-02"
  disahkan_oleh:
    jabatan: Kepala Biro Umum
  dasar_hukum:
    - Peraturan Menteri PANRB Nomor 35 Tahun 2012
owner_role: AGD
roles:
  AGD:
    name: Agendaris
  PNR:
    name: Penerima disposisi
    resolve: field
    field: diteruskan_kepada
intake:
  roles: [AGD]
  kelengkapan:
    fields:
      - name: subject
        label: Perihal
        type: text
        required: true
start: terima
steps:
  - id: terima
    "no": 1
    actor: AGD
    kegiatan: Menerima permohonan
    waktu: 15m
    next: periksa
  - id: periksa
    "no": 2
    actor: AGD
    kegiatan: Memeriksa kelengkapan
    kelengkapan:
      fields:
        - name: diteruskan_kepada
          label: Diteruskan kepada
          type: position
          required_for: [lengkap]
        - name: alasan
          label: Alasan
          type: textarea
          required_for: [tidak_lengkap]
    waktu: 30m
    decision:
      question: Lengkap?
      branches:
        - key: lengkap
          label: Lengkap
          next: proses
        - key: tidak_lengkap
          label: Tidak lengkap
          next: ditolak
  - id: proses
    "no": 3
    actor: PNR
    kegiatan: Memproses permohonan
    waktu: {biasa: 1d, segera: 4h, sangat_segera: 2h}
    next: selesai
  - id: ditolak
    type: end
    kegiatan: Permohonan ditolak
    outcome: rejected
  - id: selesai
    type: end
    kegiatan: Permohonan selesai
    outcome: resolved
escalation:
  warn_at_percent: 75
  levels:
    - {at_percent: 100, to: atasan_langsung}
    - {at_percent: 200, or_after: 1d, to: atasan_berikutnya}
"""

FILE_NAME = "BU-TS-01.yaml"


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English; the loader renders them in the active language."""
    with translation.override("en"):
        yield


def edit(text: str, old: str, new: str) -> str:
    """Replace `old`, which must occur exactly once, by `new`."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """1-based line of the only line containing `needle`, or of the first one at or after the line with `after`."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line)
    hits = [i + 1 for i, line in enumerate(lines) if i >= start and needle in line]
    assert hits, f"{needle!r} not found"
    assert after is not None or len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def write(directory: Path, text: str, name: str = FILE_NAME) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, name: str = FILE_NAME) -> SopFile:
    return load_sop_file(write(tmp_path, text, name))


def problem(sop: SopFile, line: int, field: str, message: object) -> SopProblem:
    return SopProblem(str(sop.path), line, field, str(message))


def assert_only_problem(sop: SopFile, line: int, field: str, message: object) -> None:
    assert sop.definition is None
    assert not sop.ok
    assert sop.problems == [problem(sop, line, field, message)]


# --- good files --------------------------------------------------------------------------------------------------


def test_base_sop_loads_with_its_definition(tmp_path):
    sop = load(tmp_path, BASE)

    assert sop.problems == []
    assert sop.ok
    assert sop.definition["code"] == "BU-TS-01"
    assert [s["id"] for s in sop.definition["steps"]] == ["terima", "periksa", "proses", "ditolak", "selesai"]
    assert sop.definition["steps"][0]["no"] == 1


def test_dates_stay_text_in_the_definition(tmp_path):
    sop = load(tmp_path, edit(BASE, 'tanggal_efektif: "2026-02-02"', "tanggal_efektif: 2026-02-02"))

    assert sop.ok
    assert sop.definition["identity"]["tanggal_efektif"] == "2026-02-02"


def test_content_hash_is_stable_and_ignores_comments_whitespace_and_layout(tmp_path):
    first = load(tmp_path, BASE)
    reformatted = edit(BASE, "title: Contoh Permohonan\n", "\n# judul\ntitle:   'Contoh Permohonan'   # komentar\n")
    reformatted = edit(reformatted, "  roles: [AGD]\n", "  roles:\n    - AGD\n")
    reformatted = edit(reformatted, "code: BU-TS-01\nrevision: 1\n", "revision: 1\ncode: BU-TS-01\n")
    (tmp_path / "lain").mkdir()
    second = load_sop_file(write(tmp_path / "lain", reformatted))

    assert second.ok
    assert len(first.content_hash) == 64
    assert first.content_hash == load_sop_file(first.path).content_hash
    assert first.content_hash == definition_hash(first.definition)
    assert second.content_hash == first.content_hash


def test_content_hash_changes_when_content_changes(tmp_path):
    first = load(tmp_path, BASE)
    (tmp_path / "lain").mkdir()
    changed = load_sop_file(write(tmp_path / "lain", edit(BASE, "Menerima permohonan", "Menerima surat")))

    assert changed.ok
    assert changed.content_hash != first.content_hash


def test_case_column_choice_field_needs_no_choices(tmp_path):
    text = edit(
        BASE,
        "        required: true\n",
        "        required: true\n      - name: derajat\n        label: Derajat\n        type: choice\n",
    )
    sop = load(tmp_path, text)

    assert sop.problems == []
    assert sop.definition["intake"]["kelengkapan"]["fields"][1] == {
        "name": "derajat",
        "label": "Derajat",
        "type": "choice",
    }


def test_real_library_files_load_without_problems():
    sops = load_sop_directory(LIBRARY)

    assert [str(p) for s in sops for p in s.problems] == []
    assert {s.definition["code"] for s in sops} >= {"BU-ADM-01", "BU-RT-01"}


def _graph(code: str) -> dict[str, list[str]]:
    sop = next(s for s in load_sop_directory(LIBRARY) if s.path.stem == code)
    assert sop.ok, [str(p) for p in sop.problems]
    graph = {}
    for step in sop.definition["steps"]:
        if step.get("type") == "end":
            graph[step["id"]] = [step["outcome"]]
        elif "decision" in step:
            graph[step["id"]] = [f"{b['key']}:{b['next']}" for b in step["decision"]["branches"]]
        else:
            graph[step["id"]] = [step["next"]]
    return {"start": [sop.definition["start"]], **graph}


def test_bu_adm_01_has_the_step_graph_the_engine_relies_on():
    assert _graph("BU-ADM-01") == {
        "start": ["terima"],
        "terima": ["cek_alamat"],
        "cek_alamat": ["ya:agenda", "tidak:kembalikan"],
        "kembalikan": ["dikembalikan"],
        "dikembalikan": ["rejected"],
        "agenda": ["cek_rahasia"],
        "cek_rahasia": ["ya:kirim_tertutup", "tidak:telaah"],
        "kirim_tertutup": ["disposisi"],
        "telaah": ["telaah_kabag"],
        "telaah_kabag": ["disposisi"],
        "disposisi": ["distribusi"],
        "distribusi": ["disposisi_lanjutan"],
        "disposisi_lanjutan": ["ya:disposisi_lanjutan", "tidak:tindak_lanjut"],
        "tindak_lanjut": ["ya:siapkan_jawaban", "tidak:lapor"],
        "siapkan_jawaban": ["lapor"],
        "lapor": ["arsip"],
        "arsip": ["selesai"],
        "selesai": ["resolved"],
    }


def test_bu_rt_01_has_the_step_graph_the_engine_relies_on():
    assert _graph("BU-RT-01") == {
        "start": ["cek_ketersediaan"],
        "cek_ketersediaan": ["ya:persetujuan", "tidak:tidak_tersedia"],
        "tidak_tersedia": ["rejected"],
        "persetujuan": ["setuju:surat_izin", "teruskan_karo:persetujuan_karo", "tolak:ditolak"],
        "persetujuan_karo": ["setuju:surat_izin", "tolak:ditolak"],
        "ditolak": ["rejected"],
        "surat_izin": ["serah_terima"],
        "serah_terima": ["penggunaan"],
        "penggunaan": ["pengembalian"],
        "pengembalian": ["pemeriksaan"],
        "pemeriksaan": ["tidak:selesai", "ya:laporan_kerusakan"],
        "laporan_kerusakan": ["selesai_rusak"],
        "selesai_rusak": ["resolved"],
        "selesai": ["resolved"],
    }


def test_annotated_example_in_readme_is_a_valid_sop(tmp_path):
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## A complete annotated example.*?```yaml\n(.*?)```", readme, re.S)
    assert example, "README lost its annotated example"
    sop = load(tmp_path, example.group(1), "BU-RT-99.yaml")

    assert [str(p) for p in sop.problems] == []
    assert sop.ok


# --- the file as a whole ------------------------------------------------------------------------------------------


def test_yaml_syntax_error_is_reported_on_its_line(tmp_path):
    text = edit(BASE, "title: Contoh Permohonan", "title: Contoh: Permohonan: baru")
    sop = load(tmp_path, text)

    assert sop.definition is None
    (only,) = sop.problems
    assert (only.line, only.field) == (line_of(text, "title:"), "(file)")
    # The detail is the YAML parser's own (libyaml and pure-Python PyYAML word it slightly differently).
    assert only.message.startswith(str(MSG_YAML_SYNTAX % {"detail": "mapping values are not allowed"}))


def test_file_that_is_not_utf8_is_reported_as_not_valid_yaml(tmp_path):
    path = tmp_path / FILE_NAME
    path.write_bytes(BASE.replace("Contoh Permohonan", "Contoh Permohonan é").encode("latin-1"))
    sop = load_sop_file(path)

    assert_only_problem(sop, 1, "(file)", MSG_YAML_SYNTAX % {"detail": "invalid continuation byte"})


@pytest.mark.parametrize(
    "text", ["- code: BU-TS-01\n- title: Contoh\n", "Surat masuk\n", ""], ids=["list", "scalar", "empty"]
)
def test_top_level_that_is_not_a_mapping_is_reported(tmp_path, text):
    sop = load(tmp_path, text)

    assert_only_problem(sop, 1, "(file)", MSG_NOT_MAPPING)


def test_code_not_matching_file_name_is_reported_on_code(tmp_path):
    sop = load(tmp_path, BASE, "BU-TS-02.yaml")

    assert_only_problem(
        sop, line_of(BASE, "code:"), "code", MSG_CODE_FILENAME % {"code": "BU-TS-01", "name": "BU-TS-02.yaml"}
    )


def test_duplicate_code_across_two_files_is_reported_on_the_second(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first_path = write(tmp_path / "a", BASE)
    write(tmp_path / "b", BASE)

    first, second = load_sop_directory(tmp_path)

    assert first.ok
    assert first.path == first_path
    assert second.definition is None
    assert second.problems == [
        problem(second, line_of(BASE, "code:"), "code", MSG_DUPLICATE_CODE % {"code": "BU-TS-01", "other": first_path})
    ]


def test_bad_file_in_a_directory_does_not_stop_the_good_ones(tmp_path):
    write(tmp_path, BASE)
    write(tmp_path, BASE.replace("BU-TS-01", "BU-TS-02").replace("waktu: 15m", "waktu: 15 menit"), "BU-TS-02.yaml")

    good, bad = load_sop_directory(tmp_path)

    assert good.ok
    assert bad.definition is None
    assert [p.field for p in bad.problems] == ["steps[0].waktu"]


# --- form (schema) ------------------------------------------------------------------------------------------------


def test_unknown_top_level_key_is_reported_on_its_line(tmp_path):
    text = edit(BASE, "title: Contoh Permohonan\n", "title: Contoh Permohonan\ncolour: merah\n")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "colour:"), "colour", MSG_UNKNOWN_KEY % {"key": "colour"})


def test_unknown_key_in_step_is_reported_on_its_line(tmp_path):
    text = edit(
        BASE, "    kegiatan: Memproses permohonan\n", "    kegiatan: Memproses permohonan\n    pelaksana: AGD\n"
    )
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "pelaksana:"), "steps[2].pelaksana", MSG_UNKNOWN_KEY % {"key": "pelaksana"})


def test_unknown_key_in_identity_block_is_reported_on_its_line(tmp_path):
    text = edit(BASE, "  nomor: 000.8.3.3/01/UM\n", "  nomor: 000.8.3.3/01/UM\n  tanggal_pengesahan: '2026-01-20'\n")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "tanggal_pengesahan:"),
        "identity.tanggal_pengesahan",
        MSG_UNKNOWN_KEY % {"key": "tanggal_pengesahan"},
    )


def test_missing_required_key_in_step_is_reported_on_the_step(tmp_path):
    text = edit(BASE, "    kegiatan: Memproses permohonan\n", "")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: proses"), "steps[2]", MSG_REQUIRED % {"key": "kegiatan"})


def test_missing_required_top_level_key_is_reported_on_the_file(tmp_path):
    text = edit(BASE, "start: terima\n", "")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "code:"), "(file)", MSG_REQUIRED % {"key": "start"})


def test_missing_required_key_in_identity_is_reported_on_the_block(tmp_path):
    text = edit(BASE, "  dasar_hukum:\n    - Peraturan Menteri PANRB Nomor 35 Tahun 2012\n", "")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "identity:"), "identity", MSG_REQUIRED % {"key": "dasar_hukum"})


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("revision: 1", "revision: satu", "revision", "a whole number"),
        ("        required: true", "        required: wajib", "intake.kelengkapan.fields[0].required", "true or false"),
        ("    next: selesai", "    next: [selesai]", "steps[2].next", "text"),
        ("  roles: [AGD]", "  roles: AGD", "intake.roles", "a list"),
    ],
    ids=["integer", "boolean", "text", "list"],
)
def test_value_of_the_wrong_type_is_reported_on_its_line(tmp_path, old, new, field, expected):
    text = edit(BASE, old, new)
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, new), field, MSG_WRONG_TYPE % {"expected": expected})


def test_value_outside_its_list_is_reported_with_the_allowed_values(tmp_path):
    text = edit(BASE, "service_area: administrasi_umum", "service_area: umum")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "service_area:"), "service_area", MSG_NOT_ONE_OF % {"choices": ", ".join(SERVICE_AREAS)}
    )


def test_date_of_the_wrong_form_is_reported(tmp_path):
    text = edit(BASE, 'tanggal_efektif: "2026-02-02"', 'tanggal_efektif: "02-02-2026"')
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "tanggal_efektif:"), "identity.tanggal_efektif", MSG_PATTERN % {"value": "02-02-2026"}
    )


# --- meaning (linter) ---------------------------------------------------------------------------------------------


def test_date_that_does_not_exist_is_reported(tmp_path):
    text = edit(BASE, 'tanggal_efektif: "2026-02-02"', 'tanggal_efektif: "2026-02-30"')
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "tanggal_efektif:"), "identity.tanggal_efektif", MSG_BAD_DATE % {"value": "2026-02-30"}
    )


def test_unknown_role_in_actor_is_reported(tmp_path):
    text = edit(BASE, "    actor: PNR", "    actor: KBU")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "actor: KBU"), "steps[2].actor", MSG_UNKNOWN_ROLE % {"role": "KBU"})


def test_unknown_role_in_escalation_target_is_reported(tmp_path):
    text = edit(BASE, "{at_percent: 100, to: atasan_langsung}", "{at_percent: 100, to: KABAG}")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "to: KABAG"), "escalation.levels[0].to", MSG_UNKNOWN_ROLE % {"role": "KABAG"}
    )


def test_task_without_actor_is_reported(tmp_path):
    text = edit(BASE, "    actor: PNR\n", "")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: proses"), "steps[2]", MSG_ACTOR_REQUIRED)


def test_duplicate_step_id_is_reported_on_the_second_one(tmp_path):
    text = edit(BASE, "  - id: ditolak", "  - id: selesai")
    text = edit(text, "          next: ditolak", "          next: selesai")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "- id: selesai", after="Permohonan ditolak"),
        "steps[4].id",
        MSG_DUPLICATE_STEP % {"id": "selesai"},
    )


def test_unreachable_step_is_reported(tmp_path):
    text = edit(
        BASE,
        "  - id: ditolak\n",
        "  - id: arsip\n    actor: AGD\n    kegiatan: Mengarsipkan\n    next: selesai\n  - id: ditolak\n",
    )
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: arsip"), "steps[3].id", MSG_UNREACHABLE % {"id": "arsip"})


def test_dead_end_step_is_reported(tmp_path):
    text = edit(
        BASE,
        "    type: end\n    kegiatan: Permohonan ditolak\n    outcome: rejected\n",
        "    actor: AGD\n    kegiatan: Permohonan ditolak\n",
    )
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: ditolak"), "steps[3]", MSG_DEAD_END % {"id": "ditolak"})


def test_loop_with_no_way_out_is_reported_on_each_step_of_it(tmp_path):
    text = edit(
        BASE,
        "          next: ditolak\n",
        "          next: ditolak\n        - key: lengkapi\n          label: Minta dilengkapi\n"
        "          next: minta_berkas\n",
    )
    text = edit(
        text,
        "  - id: ditolak\n",
        "  - id: minta_berkas\n    actor: AGD\n    kegiatan: Meminta berkas\n    next: tunggu_berkas\n"
        "  - id: tunggu_berkas\n    actor: AGD\n    kegiatan: Menunggu berkas\n    next: minta_berkas\n"
        "  - id: ditolak\n",
    )
    sop = load(tmp_path, text)

    assert sop.definition is None
    assert sop.problems == [
        problem(sop, line_of(text, "- id: minta_berkas"), "steps[3].id", MSG_NO_WAY_OUT % {"id": "minta_berkas"}),
        problem(sop, line_of(text, "- id: tunggu_berkas"), "steps[4].id", MSG_NO_WAY_OUT % {"id": "tunggu_berkas"}),
    ]


def test_sop_without_end_step_is_reported(tmp_path):
    text = BASE.replace("    type: end\n", "    actor: AGD\n    next: terima\n").replace("    outcome: rejected\n", "")
    text = text.replace("    outcome: resolved\n", "")
    sop = load(tmp_path, text)

    assert sop.definition is None
    assert problem(sop, line_of(text, "steps:", after="start:"), "steps", MSG_NO_END) in sop.problems


def test_unknown_start_step_is_reported(tmp_path):
    text = edit(BASE, "start: terima", "start: mulai")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "start:"), "start", MSG_UNKNOWN_STEP % {"step": "mulai"})


def test_unknown_next_step_is_reported_and_what_it_cuts_off_is_unreachable(tmp_path):
    text = edit(BASE, "    next: selesai", "    next: selesa")
    sop = load(tmp_path, text)

    assert sop.definition is None
    assert sop.problems == [
        problem(sop, line_of(text, "next: selesa"), "steps[2].next", MSG_UNKNOWN_STEP % {"step": "selesa"}),
        problem(sop, line_of(text, "- id: selesai"), "steps[4].id", MSG_UNREACHABLE % {"id": "selesai"}),
    ]


def test_unknown_step_in_branch_is_reported(tmp_path):
    text = edit(BASE, "          next: ditolak", "          next: tolak")
    sop = load(tmp_path, text)

    assert sop.definition is None
    assert sop.problems == [
        problem(
            sop,
            line_of(text, "next: tolak"),
            "steps[1].decision.branches[1].next",
            MSG_UNKNOWN_STEP % {"step": "tolak"},
        ),
        problem(sop, line_of(text, "- id: ditolak"), "steps[3].id", MSG_UNREACHABLE % {"id": "ditolak"}),
    ]


def test_step_with_both_next_and_decision_is_reported(tmp_path):
    text = edit(BASE, "    waktu: 30m\n", "    waktu: 30m\n    next: proses\n")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: periksa"), "steps[1]", MSG_NEXT_AND_DECISION)


def test_decision_with_one_branch_is_reported(tmp_path):
    text = edit(
        BASE,
        "    next: periksa\n",
        "    decision:\n      question: Diterima?\n      branches:\n        - {key: ya, label: 'Ya', next: periksa}\n",
    )
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "branches:", after="question: Diterima?"),
        "steps[0].decision.branches",
        MSG_DECISION_BRANCHES,
    )


def test_duplicate_branch_key_is_reported_on_the_second_branch(tmp_path):
    text = edit(
        BASE,
        "    next: periksa\n",
        "    decision:\n      question: Diterima?\n      branches:\n"
        "        - {key: ya, label: 'Ya', next: periksa}\n"
        "        - {key: ya, label: 'Ulangi', next: terima}\n",
    )
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "label: 'Ulangi'"), "steps[0].decision.branches[1].key", MSG_DUPLICATE_BRANCH % {"key": "ya"}
    )


def test_end_step_with_next_is_reported(tmp_path):
    text = edit(BASE, "    outcome: rejected\n", "    outcome: rejected\n    next: selesai\n")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: ditolak"), "steps[3]", MSG_END_HAS_NEXT)


def test_end_step_without_outcome_is_reported(tmp_path):
    text = edit(BASE, "    outcome: rejected\n", "")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: ditolak"), "steps[3]", MSG_END_WITHOUT_OUTCOME)


def test_pause_without_waiting_on_is_reported(tmp_path):
    text = edit(BASE, "    actor: PNR\n", "    type: pause\n    actor: PNR\n")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "- id: proses"), "steps[2]", MSG_PAUSE_WAITING_ON)


@pytest.mark.parametrize("value", ["15 menit", "0m", "1.5h", "2w", "m15"])
def test_bad_duration_is_reported_on_waktu(tmp_path, value):
    text = edit(BASE, "    waktu: 15m", f"    waktu: {value}")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, f"waktu: {value}"), "steps[0].waktu", MSG_BAD_DURATION % {"value": value})


def test_bad_duration_for_one_derajat_is_reported_on_that_derajat(tmp_path):
    text = edit(BASE, "segera: 4h,", "segera: 4 jam,")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "segera: 4 jam"), "steps[2].waktu.segera", MSG_BAD_DURATION % {"value": "4 jam"}
    )


def test_bad_duration_in_escalation_is_reported(tmp_path):
    text = edit(BASE, "or_after: 1d", "or_after: 1 hari")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "or_after:"), "escalation.levels[1].or_after", MSG_BAD_DURATION % {"value": "1 hari"}
    )


def test_field_role_naming_an_unknown_field_is_reported(tmp_path):
    text = edit(BASE, "    field: diteruskan_kepada", "    field: tujuan_disposisi")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "field: tujuan_disposisi"),
        "roles.PNR.field",
        MSG_FIELD_ROLE_UNKNOWN_FIELD % {"field": "tujuan_disposisi"},
    )


def test_field_role_naming_a_field_that_is_not_a_position_is_reported(tmp_path):
    text = edit(BASE, "          type: position", "          type: text")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "field: diteruskan_kepada"),
        "roles.PNR.field",
        MSG_FIELD_ROLE_UNKNOWN_FIELD % {"field": "diteruskan_kepada"},
    )


def test_field_role_without_field_is_reported(tmp_path):
    text = edit(BASE, "    field: diteruskan_kepada\n", "")
    sop = load(tmp_path, text)

    assert_only_problem(sop, line_of(text, "  PNR:"), "roles.PNR", MSG_FIELD_ROLE_WITHOUT_FIELD)


def test_required_for_naming_an_unknown_branch_is_reported(tmp_path):
    text = edit(BASE, "required_for: [tidak_lengkap]", "required_for: [ditolak]")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "required_for: [ditolak]"),
        "steps[1].kelengkapan.fields[1].required_for[0]",
        MSG_UNKNOWN_BRANCH % {"key": "ditolak"},
    )


def test_required_for_on_intake_is_reported_as_it_has_no_branches(tmp_path):
    text = edit(BASE, "        required: true\n", "        required_for: [ya]\n")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "required_for: [ya]"),
        "intake.kelengkapan.fields[0].required_for[0]",
        MSG_UNKNOWN_BRANCH % {"key": "ya"},
    )


@pytest.mark.parametrize("kind", ["choice", "multichoice"])
def test_choice_field_without_choices_is_reported(tmp_path, kind):
    text = edit(BASE, "          type: textarea", f"          type: {kind}")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop, line_of(text, "- name: alasan"), "steps[1].kelengkapan.fields[1]", MSG_CHOICES_REQUIRED % {"type": kind}
    )


def test_field_name_used_twice_in_a_step_is_reported(tmp_path):
    text = edit(BASE, "        - name: alasan", "        - name: diteruskan_kepada")
    sop = load(tmp_path, text)

    assert_only_problem(
        sop,
        line_of(text, "- name: diteruskan_kepada", after="type: position"),
        "steps[1].kelengkapan.fields[1].name",
        MSG_DUPLICATE_FIELD % {"name": "diteruskan_kepada"},
    )


def test_all_problems_of_a_file_are_reported_at_once_in_line_order(tmp_path):
    text = edit(
        BASE, "    kegiatan: Memproses permohonan\n", "    kegiatan: Memproses permohonan\n    pelaksana: AGD\n"
    )
    text = edit(text, "title: Contoh Permohonan\n", "title: Contoh Permohonan\ncolour: merah\n")
    sop = load(tmp_path, text)

    assert sop.problems == [
        problem(sop, line_of(text, "colour:"), "colour", MSG_UNKNOWN_KEY % {"key": "colour"}),
        problem(sop, line_of(text, "pelaksana:"), "steps[2].pelaksana", MSG_UNKNOWN_KEY % {"key": "pelaksana"}),
    ]


def test_problem_prints_as_file_line_field_message(tmp_path):
    text = edit(BASE, "start: terima", "start: mulai")
    sop = load(tmp_path, text)

    assert [str(p) for p in sop.problems] == [
        f"{tmp_path / FILE_NAME}:{line_of(text, 'start:')}: start: unknown step 'mulai'"
    ]


# --- language -----------------------------------------------------------------------------------------------------


def test_messages_come_out_in_indonesian_under_the_indonesian_language(tmp_path):
    path = write(tmp_path, edit(BASE, "title: Contoh Permohonan\n", "title: Contoh Permohonan\ncolour: merah\n"))
    english = load_sop_file(path).problems[0].message
    with translation.override("id"):
        indonesian = load_sop_file(path).problems[0].message

    assert "colour" in indonesian
    assert indonesian != english


# --- YAML pitfalls -----------------------------------------------------------------------------------------------


def test_unquoted_no_key_is_the_step_number_not_a_boolean(tmp_path):
    sop = load(tmp_path, BASE.replace('"no":', "no:"))
    assert sop.ok, sop.problems
    assert [step.get("no") for step in sop.definition["steps"][:3]] == [1, 2, 3]


def test_yes_and_on_stay_text_while_true_is_a_boolean(tmp_path):
    text = edit(BASE, "        label: Perihal\n", "        label: Perihal\n        help: yes\n")
    sop = load(tmp_path, text)
    assert sop.ok, sop.problems
    assert sop.definition["intake"]["kelengkapan"]["fields"][0]["help"] == "yes"
    assert sop.definition["intake"]["kelengkapan"]["fields"][0]["required"] is True


def test_key_repeated_in_a_mapping_is_reported_on_the_repeat(tmp_path):
    text = edit(BASE, "    kegiatan: Menerima permohonan\n", "    kegiatan: Menerima permohonan\n    actor: KRT\n")
    sop = load(tmp_path, text)
    assert_only_problem(sop, line_of(text, "actor: KRT"), "steps[0].actor", MSG_DUPLICATE_KEY % {"key": "actor"})


def test_per_derajat_waktu_missing_a_derajat_names_the_missing_key(tmp_path):
    text = edit(BASE, "waktu: {biasa: 1d, segera: 4h, sangat_segera: 2h}", "waktu: {biasa: 1d, segera: 4h}")
    sop = load(tmp_path, text)
    assert_only_problem(sop, line_of(text, "waktu: {biasa"), "steps[2].waktu",
                        MSG_REQUIRED % {"key": "sangat_segera"})


def test_case_column_field_of_the_wrong_type_is_reported(tmp_path):
    text = edit(BASE, "        type: text\n        required: true", "        type: integer\n        required: true")
    sop = load(tmp_path, text)
    assert_only_problem(sop, line_of(text, "type: integer"), "intake.kelengkapan.fields[0].type",
                        MSG_CASE_COLUMN_TYPE % {"name": "subject", "type": "text"})


def test_folder_named_like_an_sop_file_is_not_read_as_one(tmp_path):
    write(tmp_path, BASE)
    (tmp_path / "arsip.yaml").mkdir()
    files = load_sop_directory(tmp_path)
    assert [f.path.name for f in files] == [FILE_NAME]
    assert files[0].ok
