"""The official SOP AP document (Permenpan-RB 35/2012) of one SOP version, as HTML and as PDF.

Page 1 is the identity block; the flowchart table follows, one page per chunk of rows. The flowchart uses the five
SOP AP symbols: capsule (Mulai/Selesai), box (process), diamond (decision), arrows, and the pentagon off-page
connector where the table continues on the next page. Symbols are inline SVG, one slice per actor cell, all drawn in
the row's own coordinates (millimetres) so that lines run across cells; the line below a symbol to the row's bottom
is a background image, since only the cell knows how tall the row grows.

Rows are split into pages by an estimate of their height (text length against column width), so the off-page
connectors sit at the real page breaks; a row never breaks inside.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from workflows.durations import DERAJAT_LABELS, describe_duration
from workflows.models import SopVersion

from .printing import pdf_from_html

KOP_LINES = ("PEMERINTAH PROVINSI MALUKU", "SEKRETARIAT DAERAH", "BIRO UMUM")

# Landscape page sizes in millimetres (width, height).
PAPER_SIZES = {"A4": (297.0, 210.0), "F4": (330.0, 215.0)}
MSG_UNKNOWN_PAPER = "unknown paper %(paper)r: use one of %(choices)s"

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)

# Identity block.
LABEL_NOMOR = "Nomor SOP"
LABEL_TANGGAL_PEMBUATAN = "Tanggal Pembuatan"
LABEL_TANGGAL_REVISI = "Tanggal Revisi"
LABEL_TANGGAL_EFEKTIF = "Tanggal Efektif"
LABEL_DISAHKAN_OLEH = "Disahkan oleh"
LABEL_NAMA_SOP = "Nama SOP"
LABEL_REVISI = "Revisi ke-%(revision)d"
LABEL_NIP = "NIP. %(nip)s"
LABEL_DASAR_HUKUM = "Dasar Hukum"
LABEL_KUALIFIKASI = "Kualifikasi Pelaksana"
LABEL_KETERKAITAN = "Keterkaitan"
LABEL_PERALATAN = "Peralatan/Perlengkapan"
LABEL_PERINGATAN = "Peringatan"
LABEL_PENCATATAN = "Pencatatan dan Pendataan"
LOGO_PLACEHOLDER = "LOGO"
EMPTY_VALUE = "-"

# Flowchart table headings.
HEAD_NO = "No"
HEAD_KEGIATAN = "Kegiatan"
HEAD_PELAKSANA = "Pelaksana"
HEAD_MUTU_BAKU = "Mutu Baku"
HEAD_KELENGKAPAN = "Kelengkapan"
HEAD_WAKTU = "Waktu"
HEAD_OUTPUT = "Output"
HEAD_KETERANGAN = "Keterangan"

# Flowchart texts.
TEXT_MULAI = "Mulai"
TEXT_SELESAI = "Selesai"
TEXT_START = "Mulai: kasus dibuka oleh %(roles)s"
TEXT_START_REQUESTER = "pemohon sendiri"
TEXT_OR = " atau "
TEXT_DECISION = "Keputusan: %(question)s"
TEXT_BRANCH = "%(label)s → %(target)s"
TEXT_TO_END = "→ Selesai: %(kegiatan)s"
TEXT_ENTRY = "dari %(numbers)s"
TEXT_CONNECTOR_OUT = "Penghubung %(label)s: bersambung ke halaman berikutnya"
TEXT_CONNECTOR_IN = "Penghubung %(label)s: sambungan dari halaman sebelumnya"
TEXT_WAITING_ON = "Menunggu: %(who)s"
TEXT_SUBCASE = "Sub-kasus %(sop)s"
TEXT_CONDITIONAL = "%(label)s (bila %(branches)s)"
ESTIMATE_MARK = "*"
ESTIMATE_FOOTNOTE = "* perkiraan, perlu dikonfirmasi"
FOOTER_LEFT = "%(code)s · Revisi %(revision)d · %(hash)s"
FOOTER_PAGE = ("Halaman ", " dari ")  # around the page number and the page count

# Page and table geometry, millimetres.
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 10.0, 9.0, 13.0
CAPTION_H = 6.0
FOOTNOTE_H = 5.0
BUDGET_SLACK = 4.0  # the row heights are estimates
TEXT_MIN = {"no": 6.0, "kegiatan": 42.0, "kelengkapan": 30.0, "waktu": 18.0, "output": 21.0, "keterangan": 30.0}
ACTOR_MIN, ACTOR_MAX, ACTOR_MAX_LONE = 18.0, 34.0, 56.0
BODY_PT, NOTE_PT, HEAD_PT, ROLE_PT_MAX = 7.0, 6.3, 7.0, 6.5
PT = 0.3528  # mm per point
CHAR_EM = 0.6  # average DejaVu Sans advance is 0.55 em on SOP text; word wrap in narrow cells wastes more
NOTE_GAP = 0.4  # space above each note under a kegiatan
CELL_PAD_X, CELL_PAD_Y = 1.8, 1.4
LINE = 1.22  # line height, em

# Symbols, millimetres.
STROKE = 0.25
JUNCTION_Y = 2.0
SYMBOL_TOP = 4.0
BELOW_SYMBOL = 3.2
CAPSULE_W, CAPSULE_H = 15.0, 6.0
BOX_W, BOX_H = 16.0, 7.5
DIAMOND_W, DIAMOND_H = 13.0, 9.0
PENTAGON_W, PENTAGON_H = 7.0, 6.5
END_CAPSULE_W, END_CAPSULE_H = 12.0, 5.0
LABEL_MM, SYMBOL_TEXT_MM = 1.9, 2.0
EXIT_STACK = 7.0  # vertical distance between two side arrows on the same side


class _Symbol(StrEnum):
    CAPSULE = "capsule"
    BOX = "box"
    DIAMOND = "diamond"
    PENTAGON = "pentagon"


@dataclass
class _Exit:
    """A branch drawn as a side arrow: to a small Selesai capsule, or labelled with the target row's number."""

    label: str
    target: str  # the target row's number; empty for an end
    side: str = "right"
    slot: int = 0  # 0 at the symbol's side vertex, 1 further down, ...

    @property
    def to_end(self) -> bool:
        return not self.target


@dataclass
class _Row:
    kind: str  # start | step | end | off_out | off_in
    col: int
    symbol: str
    symbol_text: str = ""
    number: str = ""
    kegiatan: str = ""
    notes: list[str] = field(default_factory=list)
    kelengkapan: list[str] = field(default_factory=list)
    waktu: list[str] = field(default_factory=list)
    output: str = ""
    keterangan: list[str] = field(default_factory=list)
    estimate: bool = False
    step_id: str | None = None
    successors: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False  # a line runs from this row's symbol into the next row's
    down_label: str = ""
    incoming: int | None = None  # the column the arrow into this row's symbol comes from
    entry: str = ""  # "dari 2" when the row is reached only by a jump
    exits: list[_Exit] = field(default_factory=list)

    @property
    def symbol_h(self) -> float:
        return {_Symbol.CAPSULE: CAPSULE_H, _Symbol.BOX: BOX_H, _Symbol.DIAMOND: DIAMOND_H}.get(
            self.symbol, PENTAGON_H)

    @property
    def symbol_top(self) -> float:
        return JUNCTION_Y if self.kind == "off_in" else SYMBOL_TOP

    @property
    def band(self) -> float:
        """Height of the drawing at the top of the row."""
        bottom = self.symbol_top + self.symbol_h + BELOW_SYMBOL
        slots = max((exit_.slot for exit_ in self.exits), default=0)
        if slots:
            bottom = max(bottom, self.symbol_top + self.symbol_h / 2 + EXIT_STACK * slots + END_CAPSULE_H / 2 + 1.0)
        return round(bottom, 2)


@dataclass
class _Geometry:
    paper_h: float
    widths: dict[str, float]
    actor_w: float
    actors: int
    role_pt: float

    @property
    def table_w(self) -> float:
        return sum(self.widths.values()) + self.actor_w * self.actors


def sop_document_html(*, version: SopVersion, paper: str = "A4") -> str:
    """The SOP AP document of `version` as HTML (landscape A4 or F4), ready for WeasyPrint."""
    paper_w, paper_h = _paper(paper)
    with translation.override("id"):
        return render_to_string("reports/sop_document.html", _context(version, paper_w, paper_h))


def sop_document_pdf(*, version: SopVersion, paper: str = "A4") -> bytes:
    """The SOP AP document of `version` as PDF bytes (landscape A4 297×210 mm or F4 330×215 mm)."""
    return pdf_from_html(sop_document_html(version=version, paper=paper))


def _paper(paper: str) -> tuple[float, float]:
    if paper not in PAPER_SIZES:
        raise ValueError(MSG_UNKNOWN_PAPER % {"paper": paper, "choices": ", ".join(PAPER_SIZES)})
    return PAPER_SIZES[paper]


def tanggal_indonesia(value: str | datetime.date | None) -> str:
    """`2026-02-02` → "2 Februari 2026"; empty for no date."""
    if not value:
        return ""
    day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# --- context -------------------------------------------------------------------------------------------------------


def _context(version: SopVersion, paper_w: float, paper_h: float) -> dict[str, Any]:
    definition = version.definition
    roles = definition["roles"]
    columns = _actor_columns(definition)
    role_names = [roles[code]["name"] for code in columns]
    geometry = _geometry(paper_w, paper_h, role_names)
    pages = _paginate(_flow_rows(definition, columns), geometry, role_names)
    identity = _identity(definition, version)
    return {
        "paper": {"width": paper_w, "height": paper_h},
        "margin": {"x": MARGIN_X, "top": MARGIN_TOP, "bottom": MARGIN_BOTTOM},
        "kop_lines": KOP_LINES,
        "logo_placeholder": LOGO_PLACEHOLDER,
        "footer_left": _css_string(FOOTER_LEFT % {
            "code": version.code, "revision": version.revision, "hash": version.content_hash[:12]}),
        "footer_page": f"{_css_string(FOOTER_PAGE[0])} counter(page) {_css_string(FOOTER_PAGE[1])} counter(pages)",
        "identity": identity,
        "identity_pairs": [
            (LABEL_DASAR_HUKUM, identity["dasar_hukum"], LABEL_KUALIFIKASI, identity["kualifikasi"]),
            (LABEL_KETERKAITAN, identity["keterkaitan"], LABEL_PERALATAN, identity["peralatan"]),
            (LABEL_PERINGATAN, identity["peringatan"], LABEL_PENCATATAN, identity["pencatatan"]),
        ],
        "head": {
            "no": HEAD_NO, "kegiatan": HEAD_KEGIATAN, "pelaksana": HEAD_PELAKSANA, "mutu_baku": HEAD_MUTU_BAKU,
            "kelengkapan": HEAD_KELENGKAPAN, "waktu": HEAD_WAKTU, "output": HEAD_OUTPUT,
            "keterangan": HEAD_KETERANGAN,
        },
        "title": definition["title"],
        "nomor": definition["identity"]["nomor"],
        "caption_h": CAPTION_H,
        "note_gap": NOTE_GAP,
        "table_w": round(geometry.table_w, 2),
        "widths": geometry.widths,
        "actor_w": geometry.actor_w,
        "role_pt": geometry.role_pt,
        "role_names": role_names,
        "actor_count": len(columns),
        "pages": [
            {
                "rows": [_row_context(row, geometry) for row in page],
                "has_estimate": any(row.estimate for row in page),
            }
            for page in pages
        ],
        "estimate_footnote": ESTIMATE_FOOTNOTE,
        "stroke": STROKE,
    }


def _identity(definition: dict[str, Any], version: SopVersion) -> dict[str, Any]:
    identity = definition["identity"]
    disahkan = identity["disahkan_oleh"]
    revisi = tanggal_indonesia(identity.get("tanggal_revisi")) or EMPTY_VALUE
    return {
        "fields": [
            (LABEL_NOMOR, identity["nomor"]),
            (LABEL_TANGGAL_PEMBUATAN, tanggal_indonesia(identity["tanggal_pembuatan"])),
            (LABEL_TANGGAL_REVISI, f"{revisi} ({LABEL_REVISI % {'revision': version.revision}})"),
            (LABEL_TANGGAL_EFEKTIF, tanggal_indonesia(identity["tanggal_efektif"])),
        ],
        "disahkan_label": LABEL_DISAHKAN_OLEH,
        "jabatan": disahkan["jabatan"],
        "nama": disahkan.get("nama", ""),
        "nip": LABEL_NIP % {"nip": disahkan["nip"]} if disahkan.get("nip") else "",
        "nama_label": LABEL_NAMA_SOP,
        "title": definition["title"],
        "dasar_hukum": identity.get("dasar_hukum") or [],
        "kualifikasi": identity.get("kualifikasi_pelaksana") or [],
        "keterkaitan": [f"{item['sop']}: {item['keterangan']}" for item in identity.get("keterkaitan") or []],
        "peralatan": identity.get("peralatan") or [],
        "peringatan": identity.get("peringatan") or [],
        "pencatatan": identity.get("pencatatan") or [],
        "empty": EMPTY_VALUE,
    }


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


# --- rows of the flowchart -----------------------------------------------------------------------------------------


def _actor_of(step: dict[str, Any], definition: dict[str, Any]) -> str:
    return step.get("actor") or definition["owner_role"]


def _actor_columns(definition: dict[str, Any]) -> list[str]:
    """The roles of the non-end steps, in order of first appearance."""
    columns: list[str] = []
    for step in definition["steps"]:
        if step.get("type") != "end" and _actor_of(step, definition) not in columns:
            columns.append(_actor_of(step, definition))
    return columns


def _successors(step: dict[str, Any]) -> list[tuple[str, str]]:
    if step.get("decision"):
        return [(branch["label"], branch["next"]) for branch in step["decision"]["branches"]]
    return [("", step["next"])] if step.get("next") else []


def _fit(text: str, width: float, size: float = LABEL_MM, keep: str = "") -> str:
    """`text` + `keep`, the text shortened with an ellipsis so that the whole fits in `width` mm."""
    room = int(width / (size * CHAR_EM)) - len(keep)
    if len(text) <= room:
        return text + keep
    return text[: max(room - 1, 1)].rstrip(" —-,;:/(") + "…" + keep


def _assign_sides(row: _Row, actors: int) -> None:
    """Side arrows alternate right and left where there is a column (or, in a lone column, room) on that side."""
    sides = [side for side, ok in (("right", row.col < actors - 1), ("left", row.col > 0)) if ok]
    sides = sides or ["right", "left"]
    used: dict[str, int] = {}
    for index, exit_ in enumerate(row.exits):
        exit_.side = sides[index % len(sides)]
        exit_.slot = used.get(exit_.side, 0)
        used[exit_.side] = exit_.slot + 1


def _flow_rows(definition: dict[str, Any], columns: list[str]) -> list[_Row]:
    """The start row, one row per non-end step, and a final Selesai row; arrows and side exits resolved."""
    steps = definition["steps"]
    by_id = {step["id"]: step for step in steps}
    ends = {step["id"] for step in steps if step.get("type") == "end"}
    body = [step for step in steps if step.get("type") != "end"]
    numbers = {step["id"]: str(step.get("no") or position) for position, step in enumerate(body, start=1)}

    rows = [_start_row(definition, columns)]
    for step in body:
        rows.append(_step_row(step, definition, columns, numbers, by_id))

    sources: dict[str, list[str]] = {}
    for row in rows:
        for _label, target in row.successors:
            if row.step_id and target in numbers:
                sources.setdefault(target, []).append(numbers[row.step_id])

    final_end: _Row | None = None
    for index, row in enumerate(rows):
        following = rows[index + 1].step_id if index + 1 < len(rows) else None
        main = next((s for s in row.successors if s[1] == following), None)
        if main is None and following is None:
            main = next((s for s in row.successors if s[1] in ends), None)
            if main is not None:
                final_end = _Row(kind="end", col=row.col, symbol=_Symbol.CAPSULE, symbol_text=TEXT_SELESAI,
                                 kegiatan=by_id[main[1]]["kegiatan"], step_id=main[1])
                # The final row says it; the note under the kegiatan would repeat it.
                said = TEXT_TO_END % {"kegiatan": final_end.kegiatan}
                row.notes = [note for note in row.notes if not note.endswith(said)]
        if main is not None:
            row.down = True
            row.down_label = main[0] if row.symbol == _Symbol.DIAMOND else ""
        for label, target in row.successors:
            if (label, target) != main:
                row.exits.append(_Exit(label=label, target="" if target in ends else numbers[target]))
        _assign_sides(row, len(columns))
    if final_end is not None:
        rows.append(final_end)

    for previous, row in zip(rows, rows[1:], strict=False):
        if previous.down:
            row.incoming = previous.col
        elif row.step_id in sources:
            row.entry = TEXT_ENTRY % {"numbers": ", ".join(sources[row.step_id])}
    return rows


def _start_row(definition: dict[str, Any], columns: list[str]) -> _Row:
    intake = definition["intake"]
    roles = definition["roles"]
    who = [roles[code]["name"] for code in intake["roles"]]
    if intake.get("open_to_requesters"):
        who.append(TEXT_START_REQUESTER)
    start = definition["start"]
    start_step = next(step for step in definition["steps"] if step["id"] == start)
    return _Row(
        kind="start", col=columns.index(_actor_of(start_step, definition)), symbol=_Symbol.CAPSULE,
        symbol_text=TEXT_MULAI, kegiatan=TEXT_START % {"roles": TEXT_OR.join(who)},
        kelengkapan=_kelengkapan(intake.get("kelengkapan") or {}, {}), successors=[("", start)],
    )


def _step_row(step: dict[str, Any], definition: dict[str, Any], columns: list[str], numbers: dict[str, str],
              by_id: dict[str, dict[str, Any]]) -> _Row:
    decision = step.get("decision")
    branch_labels = {b["key"]: b["label"] for b in decision["branches"]} if decision else {}
    notes: list[str] = []
    if decision:
        notes.append(TEXT_DECISION % {"question": decision["question"]})
    for label, target in _successors(step):
        if by_id[target].get("type") == "end":
            end_text = TEXT_TO_END % {"kegiatan": by_id[target]["kegiatan"]}
            notes.append(f"{label} {end_text}" if label else end_text)
        elif decision:
            notes.append(TEXT_BRANCH % {"label": label, "target": numbers[target]})
    keterangan = [step["keterangan"]] if step.get("keterangan") else []
    if step.get("waiting_on"):
        keterangan.append(TEXT_WAITING_ON % {"who": step["waiting_on"]})
    if step.get("subcase"):
        keterangan.append(TEXT_SUBCASE % {"sop": step["subcase"]["sop"]})
    return _Row(
        kind="step", col=columns.index(_actor_of(step, definition)),
        symbol=_Symbol.DIAMOND if decision else _Symbol.BOX, number=numbers[step["id"]],
        kegiatan=step["kegiatan"], notes=notes, kelengkapan=_kelengkapan(step.get("kelengkapan") or {}, branch_labels),
        waktu=_waktu_lines(step), output=step.get("output", ""), keterangan=keterangan,
        estimate=bool(step.get("waktu_estimate")), step_id=step["id"], successors=_successors(step),
    )


def _kelengkapan(kelengkapan: dict[str, Any], branch_labels: dict[str, str]) -> list[str]:
    """Documents, the labels of required fields (conditionally required ones with their branch) and attachments."""
    items = list(kelengkapan.get("documents") or [])
    for fld in kelengkapan.get("fields") or []:
        if fld.get("required"):
            items.append(fld["label"])
        elif fld.get("required_for"):
            branches = ", ".join(branch_labels.get(key, key) for key in fld["required_for"])
            items.append(TEXT_CONDITIONAL % {"label": fld["label"], "branches": branches})
    items.extend(attachment["label"] for attachment in kelengkapan.get("attachments") or [])
    return list(dict.fromkeys(items))  # a document is often also the attachment that carries it


def _waktu_lines(step: dict[str, Any]) -> list[str]:
    """The time standard in Indonesian words, one line per derajat; an estimate is marked with `*`."""
    waktu = step.get("waktu")
    if isinstance(waktu, dict):
        lines = [f"{DERAJAT_LABELS.get(key, key)}: {describe_duration(value)}" for key, value in waktu.items()]
    elif waktu:
        lines = [describe_duration(waktu)]
    else:
        lines = []
    if step.get("waktu_text"):
        lines.append(step["waktu_text"])
    if lines and step.get("waktu_estimate"):
        lines[-1] += ESTIMATE_MARK
    return lines


# --- pages ---------------------------------------------------------------------------------------------------------


def _geometry(paper_w: float, paper_h: float, role_names: list[str]) -> _Geometry:
    table_w = paper_w - 2 * MARGIN_X
    actors = max(len(role_names), 1)
    widest = ACTOR_MAX if actors > 1 else ACTOR_MAX_LONE
    actor_w = min(max((table_w - sum(TEXT_MIN.values())) / actors, ACTOR_MIN), widest)
    spare = table_w - actor_w * actors - sum(TEXT_MIN.values())
    flexible = {key: width for key, width in TEXT_MIN.items() if key != "no"}
    widths = {key: width + (spare * width / sum(flexible.values()) if key in flexible else 0.0)
              for key, width in TEXT_MIN.items()}
    longest = max((len(word) for name in role_names for word in name.split()), default=1)
    role_pt = min(ROLE_PT_MAX, (actor_w - CELL_PAD_X - 0.4) / (longest * CHAR_EM * PT))
    return _Geometry(paper_h=paper_h, widths={k: round(v, 2) for k, v in widths.items()},
                     actor_w=round(actor_w, 2), actors=actors, role_pt=round(role_pt, 2))


def _text_lines(texts: list[str], width: float, pt: float) -> int:
    """Lines the texts take in a cell `width` mm wide: a greedy word wrap on an average character width."""
    per_line = max(int((width - CELL_PAD_X) / (pt * PT * CHAR_EM)), 1)
    lines = 0
    for text in texts:
        used = per_line + 1  # start a new line at the first word
        for word in text.split():
            if used + 1 + len(word) <= per_line:
                used += 1 + len(word)
            else:
                lines += max(math.ceil(len(word) / per_line), 1)
                used = len(word) if len(word) <= per_line else per_line
    return lines


def _row_height(row: _Row, geometry: _Geometry) -> float:
    widths = geometry.widths
    body = BODY_PT * PT * LINE
    note = NOTE_PT * PT * LINE
    cells = [
        _text_lines([row.kegiatan], widths["kegiatan"], BODY_PT) * body
        + _text_lines(row.notes, widths["kegiatan"], NOTE_PT) * note + NOTE_GAP * len(row.notes),
        _text_lines(row.kelengkapan, widths["kelengkapan"] - 2.5, BODY_PT) * body,
        _text_lines(row.waktu, widths["waktu"], BODY_PT) * body,
        _text_lines([row.output], widths["output"], BODY_PT) * body,
        _text_lines(row.keterangan, widths["keterangan"], BODY_PT) * body,
    ]
    return max(max(cells) + 2 * CELL_PAD_Y, row.band)


def _header_height(geometry: _Geometry, role_names: list[str]) -> float:
    role_line = geometry.role_pt * PT * LINE
    roles = max((_text_lines([name], geometry.actor_w, geometry.role_pt) for name in role_names), default=1)
    return HEAD_PT * PT * LINE + 2 * CELL_PAD_Y + roles * role_line + 2 * CELL_PAD_Y


def _paginate(rows: list[_Row], geometry: _Geometry, role_names: list[str]) -> list[list[_Row]]:
    """Rows in pages by estimated height; a pentagon pair at each break that an arrow crosses."""
    budget = (geometry.paper_h - MARGIN_TOP - MARGIN_BOTTOM - CAPTION_H - FOOTNOTE_H
              - _header_height(geometry, role_names) - BUDGET_SLACK)
    connector = _Row(kind="off_out", col=0, symbol=_Symbol.PENTAGON)
    connector_h = max(_row_height(connector, geometry), connector.band) + 4.0

    pages: list[list[_Row]] = [[]]
    used = 0.0
    labels = 0
    for index, row in enumerate(rows):
        height = _row_height(row, geometry)
        last = index == len(rows) - 1
        reserve = 0.0 if last else connector_h
        if pages[-1] and used + height + reserve > budget:
            previous = pages[-1][-1]
            if previous.down:
                label = _connector_label(labels)
                labels += 1
                text_out = TEXT_CONNECTOR_OUT % {"label": label}
                pages[-1].append(_Row(kind="off_out", col=previous.col, symbol=_Symbol.PENTAGON, symbol_text=label,
                                      kegiatan=text_out, incoming=previous.col))
                incoming = _Row(kind="off_in", col=previous.col, symbol=_Symbol.PENTAGON, symbol_text=label,
                                kegiatan=TEXT_CONNECTOR_IN % {"label": label}, down=True)
                pages.append([incoming])
                used = _row_height(incoming, geometry)
            else:
                pages.append([])
                used = 0.0
        pages[-1].append(row)
        used += height
    return pages


def _connector_label(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- drawing -------------------------------------------------------------------------------------------------------


def _row_context(row: _Row, geometry: _Geometry) -> dict[str, Any]:
    shapes = _shapes(row, geometry)
    band = row.band
    w = geometry.actor_w
    cells = []
    for col in range(geometry.actors):
        left, right = col * w, (col + 1) * w
        inside = "".join(markup for x0, x1, markup in shapes if x1 >= left and x0 <= right)
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="sym" viewBox="{left:.2f} 0 {w:.2f} {band:.2f}" '
            f'preserveAspectRatio="none" style="height:{band:.2f}mm">{inside}</svg>'
        )
        line_below = col == row.col and row.down
        cells.append({"svg": mark_safe(svg), "line_below": line_below, "band": band})  # noqa: S308 - escaped above
    return {
        "kind": row.kind,
        "number": row.number,
        "kegiatan": row.kegiatan,
        "notes": row.notes,
        "kelengkapan": row.kelengkapan,
        "waktu": row.waktu,
        "output": row.output,
        "keterangan": row.keterangan,
        "cells": cells,
    }


def _center(col: int, geometry: _Geometry) -> float:
    return (col + 0.5) * geometry.actor_w


def _line(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, str]:
    return (min(x1, x2), max(x1, x2),
            f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="#000" '
            f'stroke-width="{STROKE}"/>')


def _arrowhead(x: float, y: float, direction: str) -> tuple[float, float, str]:
    """A filled triangle whose tip is at (x, y), pointing down, right or left."""
    size, half = 1.5, 0.75
    if direction == "down":
        points = [(x, y), (x - half, y - size), (x + half, y - size)]
    elif direction == "right":
        points = [(x, y), (x - size, y - half), (x - size, y + half)]
    else:
        points = [(x, y), (x + size, y - half), (x + size, y + half)]
    text = " ".join(f"{px:.2f},{py:.2f}" for px, py in points)
    return (x - size, x + size, f'<polygon points="{text}" fill="#000"/>')


def _text(x: float, y: float, text: str, *, size: float = LABEL_MM, anchor: str = "middle",
          bold: bool = False) -> tuple[float, float, str]:
    width = len(text) * size * CHAR_EM
    x0 = {"middle": x - width / 2, "start": x, "end": x - width}[anchor]
    weight = ' font-weight="bold"' if bold else ""
    return (x0, x0 + width,
            f'<text x="{x:.2f}" y="{y:.2f}" font-family="DejaVu Sans" font-size="{size}" text-anchor="{anchor}"'
            f'{weight} fill="#000">{escape(text)}</text>')


def _half_width(row: _Row, geometry: _Geometry, dy: float) -> float:
    """Half the symbol's width at `dy` below its centre line."""
    width = _symbol_w(row, geometry)
    if row.symbol == _Symbol.DIAMOND:
        return width / 2 * max(1 - abs(dy) / (DIAMOND_H / 2), 0.0)
    return width / 2


def _symbol_w(row: _Row, geometry: _Geometry) -> float:
    room = geometry.actor_w - 4.0
    return min({_Symbol.CAPSULE: CAPSULE_W, _Symbol.BOX: BOX_W, _Symbol.DIAMOND: DIAMOND_W}.get(
        row.symbol, PENTAGON_W), room)


def _shapes(row: _Row, geometry: _Geometry) -> list[tuple[float, float, str]]:
    """Everything drawn in the row's band, in row coordinates (mm): incoming arrow, symbol, exits, labels."""
    cx = _center(row.col, geometry)
    top = row.symbol_top
    h = row.symbol_h
    bottom = top + h
    shapes: list[tuple[float, float, str]] = []

    if row.incoming is not None:
        source = _center(row.incoming, geometry)
        if source != cx:
            shapes.append(_line(source, 0, source, JUNCTION_Y))
            shapes.append(_line(source, JUNCTION_Y, cx, JUNCTION_Y))
            shapes.append(_line(cx, JUNCTION_Y, cx, top))
        else:
            shapes.append(_line(cx, 0, cx, top))
        shapes.append(_arrowhead(cx, top, "down"))
    elif row.entry:
        shapes.append(_line(cx, 0.6, cx, top))
        shapes.append(_arrowhead(cx, top, "down"))
        shapes.append(_text(cx + 0.8, 2.3, row.entry, size=LABEL_MM * 0.9, anchor="start"))

    if row.down:
        shapes.append(_line(cx, bottom, cx, row.band))
        if row.down_label:
            # Beside the line going down, on the side where no second side arrow drops.
            sign = -1 if any(e.side == "right" and e.slot for e in row.exits) else 1
            label = _fit(row.down_label, geometry.actor_w / 2 - 1.2)
            shapes.append(_text(cx + sign * 0.8, bottom + 2.2, label, anchor="start" if sign > 0 else "end"))

    shapes.append(_symbol(row, geometry, cx, top))
    shapes.extend(_exits(row, geometry, cx, top + h / 2))
    return shapes


def _symbol(row: _Row, geometry: _Geometry, cx: float, top: float) -> tuple[float, float, str]:
    w = _symbol_w(row, geometry)
    h = row.symbol_h
    x0 = cx - w / 2
    style = f'fill="#fff" stroke="#000" stroke-width="{STROKE}"'
    if row.symbol == _Symbol.CAPSULE:
        markup = f'<rect x="{x0:.2f}" y="{top:.2f}" width="{w:.2f}" height="{h:.2f}" rx="{h / 2:.2f}" {style}/>'
    elif row.symbol == _Symbol.BOX:
        markup = f'<rect x="{x0:.2f}" y="{top:.2f}" width="{w:.2f}" height="{h:.2f}" {style}/>'
    elif row.symbol == _Symbol.DIAMOND:
        points = [(cx, top), (cx + w / 2, top + h / 2), (cx, top + h), (cx - w / 2, top + h / 2)]
        text = " ".join(f"{px:.2f},{py:.2f}" for px, py in points)
        markup = f'<polygon points="{text}" {style}/>'
    else:  # pentagon, pointing down: the off-page connector
        shoulder = top + h * 0.62
        points = [(x0, top), (x0 + w, top), (x0 + w, shoulder), (cx, top + h), (x0, shoulder)]
        text = " ".join(f"{px:.2f},{py:.2f}" for px, py in points)
        markup = f'<polygon points="{text}" {style}/>'
    if row.symbol_text:
        baseline = top + h * (0.5 if row.symbol != _Symbol.PENTAGON else 0.42) + SYMBOL_TEXT_MM * 0.36
        markup += _text(cx, baseline, row.symbol_text, size=SYMBOL_TEXT_MM,
                        bold=row.symbol == _Symbol.PENTAGON)[2]
    return (x0, x0 + w, markup)


def _exits(row: _Row, geometry: _Geometry, cx: float, cy: float) -> list[tuple[float, float, str]]:
    """Side arrows for branches that do not run down to the next row.

    An arrow leaves the symbol's side into the neighbouring column: to a small Selesai capsule (its branch label
    above the capsule), or ending under its label "Tidak → 12". Labels stay inside one column so that no cell
    border runs through them. A lone column keeps everything beside the symbol. A second arrow on the same side
    leaves from the same point and drops to its own level before turning.
    """
    w = geometry.actor_w
    lone = geometry.actors == 1
    half = _symbol_w(row, geometry) / 2
    shapes: list[tuple[float, float, str]] = []
    for exit_ in row.exits:
        sign = 1 if exit_.side == "right" else -1
        x0 = cx + sign * _half_width(row, geometry, 0.0)
        y = cy + EXIT_STACK * exit_.slot
        # Where the space for the target begins, and how wide it is.
        edge = cx + sign * (half + 2.0 if lone else w / 2)
        room = w / 2 - half - 2.8 if lone else w - 1.6
        if exit_.slot:
            bend = x0 + sign * 1.5
            shapes.append(_line(x0, cy, bend, cy))
            shapes.append(_line(bend, cy, bend, y))
            x0 = bend
        anchor = "start" if sign > 0 else "end"
        if exit_.to_end:
            cap_w = min(END_CAPSULE_W, room - 1.0)
            cap_c = edge + sign * (0.8 + cap_w / 2 if lone else w / 2)
            tip = cap_c - sign * cap_w / 2
            shapes.append(_line(x0, y, tip, y))
            shapes.append(_arrowhead(tip, y, exit_.side))
            cap_x = cap_c - cap_w / 2
            shapes.append((cap_x, cap_x + cap_w,
                           f'<rect x="{cap_x:.2f}" y="{y - END_CAPSULE_H / 2:.2f}" width="{cap_w:.2f}" '
                           f'height="{END_CAPSULE_H}" rx="{END_CAPSULE_H / 2}" fill="#fff" stroke="#000" '
                           f'stroke-width="{STROKE}"/>'))
            shapes.append(_text(cap_c, y + LABEL_MM * 0.36, TEXT_SELESAI, size=LABEL_MM))
            if exit_.label:
                shapes.append(_text(cap_c, y - END_CAPSULE_H / 2 - 0.7, _fit(exit_.label, room)))
        else:
            arrow = TEXT_BRANCH % {"label": "", "target": exit_.target}
            text = _fit(exit_.label, room - 1.0, keep=" " + arrow.strip()) if exit_.label else arrow.strip()
            label_w = len(text) * LABEL_MM * CHAR_EM
            tip = edge + sign * min(max(label_w, 3.0) + 1.2, room)
            shapes.append(_line(x0, y, tip, y))
            shapes.append(_arrowhead(tip, y, exit_.side))
            shapes.append(_text(edge + sign * 0.8, y - 0.8, text, anchor=anchor))
    return shapes
