"""The flow of an SOP version as a diagram: BPMN 2.0 XML with diagram interchange, and SVG.

Pattern: viewflow's chart module places the compiled flow's nodes on a grid (`calc_layout_data`) and renders it with
its own templates (`grid_to_bpmn`, `grid_to_svg`); in between, `_layout` sizes the grid for an SOP's long Indonesian
texts: task boxes grow to hold the whole kegiatan, and the gaps leave room for the labels viewflow does not draw
(the decision question beside its gateway, the end's kegiatan under the circle, each branch label on its edge).
Names: a node's name is its annotation title (the step's kegiatan, the decision's question), a branch edge carries
the branch label, the process is "CODE — title". The code walks the flow's nodes, whatever their kind (user tasks,
subcase handles, boundary events), and reads branch labels from the SOP definition.
Example: `flow_svg(version=v)` for the SOP page, `manage.py sop export BU-RT-01 --format bpmn` for BPMN tools.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from textwrap import wrap as _textwrap
from typing import Any

from django.utils.encoding import force_str
from viewflow.workflow import chart

from .compiler import DECISION_SUFFIX, flow_class_for
from .models import SopVersion

# Sizes in px. Widths of text are estimated from the number of characters (about 6 px per character of 12 px Arial).
TASK_WIDTH = 190
TASK_MIN_HEIGHT = 90
TASK_FONT, TASK_LINE, TASK_CHARS, TASK_MAX_LINES = 12, 15, 27, 9
TASK_PAD = 12  # above the first line and under the last
MARKER_PAD = 10  # more room at the top of shapes with an icon in their top-left corner (subcase handles)
LABEL_FONT, LABEL_LINE, LABEL_CHARS = 11, 13, 22
CHAR_WIDTH = 6
GATEWAY_LABEL_DX = 20  # from the diamond's centre to the start of its question
COL_GAP, ROW_GAP, MARGIN = 45, 35, 15
LANES = 3 * (chart.GAP_SIZE // 4)  # how far viewflow's lanes for edges going back reach over or under a row
BOUNDARY_ROOM = 35  # under a task with boundary events, as viewflow's init_shapes leaves
SVG_EDGE_GAPS = {"edge_start_gap_size": chart.EDGE_START_GAP_SIZE, "edge_end_gap_size": chart.EDGE_END_GAP_SIZE}
BPMN_EDGE_GAPS = {"edge_start_gap_size": 0, "edge_end_gap_size": 0}  # BPMN waypoints touch the shapes

_FLOW_REF = re.compile(r"<bpmn:(incoming|outgoing)>([^<]+)</bpmn:\1>")
_DI_SHAPE = re.compile(
    r'(?P<opening><bpmndi:BPMNShape id="id_shape_(?P<name>[^"]+)"[^>]*)>(?P<body>.*?)</bpmndi:BPMNShape>', re.S
)
_DI_EDGE = re.compile(
    r'(?P<opening><bpmndi:BPMNEdge id="id_edge_shape_(?P<name>[^"]+)"[^>]*)>(?P<body>.*?)</bpmndi:BPMNEdge>', re.S
)
_TASK_RECT = re.compile(r'(<rect class="task"[^>]*?)\bwidth="[\d.]+"\s+height="[\d.]+"')


def flow_bpmn(*, version: SopVersion) -> str:
    """BPMN 2.0 XML (semantic model and diagram interchange) of the version's compiled flow."""
    grid = _layout(version, **BPMN_EDGE_GAPS)
    return _bpmn_labels(_without_repeated_refs(chart.grid_to_bpmn(grid)), grid)


def flow_svg(*, version: SopVersion) -> str:
    """SVG of the version's compiled flow, at its natural size in px (wrap it in a scrolling box to embed it)."""
    grid = _layout(version, **SVG_EDGE_GAPS)
    _svg_texts(grid)
    svg = chart.grid_to_svg(grid)
    return svg.replace('width="100%" height="100%"', f'width="{grid.width}" height="{grid.height}"', 1)


_SVG_STYLE = re.compile(r"<style[^>]*>(?:\s*<!\[CDATA\[)?(?P<css>.*?)(?:\]\]>\s*)?</style>", re.S)


_STYLE_ATTRIBUTE = re.compile(r'\sstyle="(?P<rules>[^"]*)"')


def split_svg_style(svg: str) -> tuple[str, str]:
    """The SVG without its <style> element and style attributes, and their CSS: a page whose Content-Security-Policy
    allows no inline style embeds the first and links the second as a stylesheet (each distinct style attribute
    becomes a `data-style` number and a rule for it)."""
    found = _SVG_STYLE.search(svg)
    css = [found.group("css").strip()] if found else []
    if found:
        svg = svg[: found.start()] + svg[found.end() :]
    numbers: dict[str, int] = {}

    def numbered(match: re.Match[str]) -> str:
        number = numbers.setdefault(match.group("rules"), len(numbers) + 1)
        return f' data-style="{number}"'

    svg = _STYLE_ATTRIBUTE.sub(numbered, svg)
    css += [f'[data-style="{number}"] {{ {rules} }}' for rules, number in numbers.items()]
    return svg, "\n".join(css)


def _without_repeated_refs(xml: str) -> str:
    """A node's <incoming>/<outgoing> list names each flow once (viewflow lists one per branch to the same step)."""
    lines, seen = [], set()
    for line in xml.splitlines(keepends=True):
        ref = _FLOW_REF.fullmatch(line.strip())
        if ref is None:
            seen.clear()
        elif ref.groups() in seen:
            continue
        else:
            seen.add(ref.groups())
        lines.append(line)
    return "".join(lines)


@dataclass
class _Box:
    """How far a cell's shape and its outside label reach from the shape's centre: left, right, up, down."""

    left: int
    right: int
    up: int
    down: int


def _title(node: Any) -> str:
    return " ".join(force_str(node.task_title or node.name.replace("_", " ").capitalize()).split())


def _kind(cell: chart.Cell) -> str:
    """task (text inside a box), gateway (label beside it), boundary (no label) or event (label under it)."""
    if getattr(cell.node, "_attached_to", None) is not None:
        return "boundary"
    if 'class="task"' in cell.shape.svg:
        return "task"
    if (getattr(cell.node, "bpmn_element", None) or "").endswith("Gateway"):
        return "gateway"
    return "event"


def _branch_labels(version: SopVersion) -> dict[tuple[str, str], str]:
    """(gateway node, next node) -> the branch label(s) of the SOP decision; two branches to one step share an edge."""
    labels: dict[tuple[str, str], list[str]] = defaultdict(list)
    for step in version.definition["steps"]:
        for branch in (step.get("decision") or {}).get("branches", []):
            labels[(step["id"] + DECISION_SUFFIX, branch["next"])].append(branch["label"])
    return {edge: " / ".join(names) for edge, names in labels.items()}


def _layout(version: SopVersion, **edge_gaps: int) -> chart.Grid:
    """viewflow's grid of the compiled flow, resized and routed again; every cell titled, no text placed yet."""
    grid = chart.calc_layout_data(flow_class_for(version))
    labels = _branch_labels(version)
    edges: dict[tuple[str, str], chart.Edge] = {}
    for edge in grid.edges:  # a decision with two branches to the same step gives two equal edges
        edge.label = labels.get((edge.src.name, edge.dst.name), edge.label)
        edges.setdefault((edge.src.name, edge.dst.name), edge)
    grid.edges = list(edges.values())

    task_lines = 1
    for cell in grid.cells:
        cell.title = _title(cell.node)
        cell.shape.text = []
        if _kind(cell) == "task":
            task_lines = max(task_lines, min(len(_wrap(cell.title, TASK_CHARS)), TASK_MAX_LINES))
    task_height = max(TASK_MIN_HEIGHT, task_lines * TASK_LINE + 2 * TASK_PAD + MARKER_PAD)

    boxes = {}
    for cell in grid.cells:
        kind = _kind(cell)
        if kind == "task":
            cell.shape.width, cell.shape.height = TASK_WIDTH, task_height
            cell.shape.svg = _TASK_RECT.sub(rf'\1width="{TASK_WIDTH}" height="{task_height}"', cell.shape.svg)
        half_w, half_h = cell.shape.width // 2, cell.shape.height // 2
        box = _Box(half_w, cell.shape.width - half_w, half_h, cell.shape.height - half_h)
        if kind == "task" and getattr(cell.node, "_boundary_events", None):
            box.down += BOUNDARY_ROOM
        elif kind == "event":  # label under the circle
            width, height = _label_size(cell.title)
            box = _Box(max(box.left, width // 2), max(box.right, width // 2), box.up, box.down + 6 + height)
        elif kind == "gateway":  # question above-right of the diamond
            width, height = _label_size(cell.title)
            box = _Box(box.left, max(box.right, GATEWAY_LABEL_DX + width), max(box.up, 22 + height), box.down)
        boxes[cell.node] = box

    _place(grid, boxes, start_gap=edge_gaps["edge_start_gap_size"], end_gap=edge_gaps["edge_end_gap_size"])
    chart.snap_boundary_events(grid)
    chart.calc_edges(grid, **edge_gaps)
    return grid


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters, broken between words only: joined with spaces they give the text back."""
    return _textwrap(text, width, break_long_words=False, break_on_hyphens=False)


def _label_size(text: str) -> tuple[int, int]:
    lines = _wrap(text, LABEL_CHARS)
    return max(map(len, lines), default=0) * CHAR_WIDTH, len(lines) * LABEL_LINE


def _place(grid: chart.Grid, boxes: dict[Any, _Box], *, start_gap: int, end_gap: int) -> None:
    """Columns as wide as what they hold plus a gap; each row as high, and as far up as the columns it uses allow.

    viewflow gives every branch a row of its own, so most rows use a few columns only: a row goes up beside the rows
    above that use other columns (a skyline). The columns a row uses are those of its shapes and of the edges that
    run along it, so no shape lands on another or on an edge, and every edge keeps its direction and route. A row is
    also high enough for the branch labels written along it (see `_edge_label`).
    """
    rows = 1 + max((cell.row for cell in grid.cells), default=-1)
    cols = 1 + max((cell.col for cell in grid.cells), default=-1)
    up, down, left, right = [0] * rows, [0] * rows, [0] * cols, [0] * cols
    used: list[set[int]] = [set() for _ in range(rows)]
    above, below = [0] * rows, [0] * rows  # more gap for labels of edges that go back over or under a row
    for cell in grid.cells:
        used[cell.row].add(cell.col)
        if _kind(cell) == "boundary":  # drawn on its host's border, it claims no room of its own
            continue
        box = boxes[cell.node]
        up[cell.row], down[cell.row] = max(up[cell.row], box.up), max(down[cell.row], box.down)
        left[cell.col], right[cell.col] = max(left[cell.col], box.left), max(right[cell.col], box.right)
    col_left, x = [], MARGIN
    for col in range(cols):
        col_left.append(x)
        x += left[col] + right[col] + COL_GAP

    for edge in grid.edges:
        src, dst = grid[edge.src], grid[edge.dst]
        run = set(range(min(src.col, dst.col), max(src.col, dst.col) + 1))
        src_centre = col_left[src.col] + left[src.col]
        dst_entry = col_left[dst.col] + left[dst.col] - dst.shape.width // 2 - end_gap
        host = getattr(edge.src, "_attached_to", None)
        if host is not None:  # leaves under the host's row
            used[grid[host].row] |= run
            used[dst.row] |= run
        elif dst.col > src.col and dst.row != src.row and len(list(edge.src._outgoing())) > 1:
            used[dst.row] |= run  # up or down from a split, then along the destination's row, labelled there
            if edge.label:
                lines = len(_branch_lines(edge.label, dst_entry - src_centre))
                if dst.row < src.row:
                    up[dst.row] = max(up[dst.row], 8 + lines * LABEL_LINE)
                else:
                    down[dst.row] = max(down[dst.row], 6 + lines * LABEL_LINE)
        elif dst.col > src.col and dst.row != src.row:
            used[src.row] |= run  # along the source's row, then up or down
        else:  # same row, same column, or backwards through the gaps around both rows
            used[src.row] |= run
            used[dst.row] |= run
            if edge.label and dst.row == src.row and dst.col > src.col:  # label under it
                src_exit = src_centre + src.shape.width - src.shape.width // 2 + start_gap
                lines = _branch_lines(edge.label, dst_entry - src_exit)
                down[src.row] = max(down[src.row], 6 + len(lines) * LABEL_LINE)
            elif edge.label and dst.col < src.col:  # back through the lanes over or under the row, label beyond them
                dst_entry = col_left[dst.col] + left[dst.col] - dst.shape.width // 2 + 3 * dst.shape.width // 4
                room = LANES + 14 + len(_branch_lines(edge.label, src_centre - dst_entry)) * LABEL_LINE - ROW_GAP
                if dst.row < src.row:
                    above[src.row] = max(above[src.row], room)
                else:
                    below[src.row] = max(below[src.row], room)

    row_top, free = [], [MARGIN] * cols  # free[col]: where the next row may start in that column
    for row in range(rows):
        top = max((free[col] for col in used[row]), default=MARGIN) + above[row]
        row_top.append(top)
        for col in used[row]:
            free[col] = top + up[row] + down[row] + below[row] + ROW_GAP
    grid.width, grid.height = x - COL_GAP + MARGIN, max(free, default=MARGIN + ROW_GAP) - ROW_GAP + MARGIN
    for cell in grid.cells:
        cell.x, cell.y = col_left[cell.col], row_top[cell.row]
        cell.width, cell.height = left[cell.col] + right[cell.col], up[cell.row] + down[cell.row]
        cell.shape.x = cell.x + left[cell.col] - cell.shape.width // 2
        cell.shape.y = cell.y + up[cell.row] - cell.shape.height // 2


@dataclass
class _Line:
    """One line of text at absolute coordinates: centred on (x, y), or starting at x on the baseline y."""

    text: str
    x: int
    y: int
    centred: bool
    size: int = LABEL_FONT

    def bounds(self) -> tuple[int, int, int, int]:
        width = len(self.text) * CHAR_WIDTH * self.size // TASK_FONT
        left = self.x - width // 2 if self.centred else self.x
        top = self.y - self.size // 2 - 2 if self.centred else self.y - self.size
        return left, top, width, self.size + 4


def _words(grid: chart.Grid) -> tuple[dict[Any, list[_Line]], dict[chart.Edge, list[_Line]]]:
    """Where each node's title and each branch label are written: inside a task box, under an event, above-right of
    a gateway (its branches leave from the other corners), and on the first horizontal run of a branch edge."""
    nodes: dict[Any, list[_Line]] = defaultdict(list)
    for cell in grid.cells:
        shape, kind = cell.shape, _kind(cell)
        centre_x, centre_y = shape.x + shape.width // 2, shape.y + shape.height // 2
        if kind == "task":
            lines = _clip(_wrap(cell.title, TASK_CHARS), TASK_MAX_LINES)
            first = (
                centre_y + (MARKER_PAD // 2 if "task-marker" in shape.svg else 0) - (len(lines) - 1) * TASK_LINE // 2
            )
            nodes[cell.node] = [
                _Line(line, centre_x, first + n * TASK_LINE, True, TASK_FONT) for n, line in enumerate(lines)
            ]
        elif kind == "event":
            top = shape.y + shape.height + 6 + LABEL_LINE // 2
            nodes[cell.node] = [
                _Line(line, centre_x, top + n * LABEL_LINE, True)
                for n, line in enumerate(_wrap(cell.title, LABEL_CHARS))
            ]
        elif kind == "gateway":
            lines = _wrap(cell.title, LABEL_CHARS)
            first = centre_y - 12 - (len(lines) - 1) * LABEL_LINE  # the last line just above the right corner
            nodes[cell.node] = [
                _Line(line, centre_x + GATEWAY_LABEL_DX, first + n * LABEL_LINE, False) for n, line in enumerate(lines)
            ]
    edges = {edge: _edge_label(edge, grid) for edge in grid.edges if edge.label}
    return nodes, edges


def _edge_label(edge: chart.Edge, grid: chart.Grid) -> list[_Line]:
    """A branch label along the first horizontal run of its edge, from the bend (or the start) on, on as many lines
    as the run needs: under a run that starts the edge or that the edge reaches going down, over one it reaches going
    up, so the label stays clear of the shape the edge leaves; beyond all of viewflow's lanes for a run in the gap
    over or under the source's row (edges going back share those lanes)."""
    points = edge.segments or [(0, 0), (0, 0)]
    (x1, y1), (x2, y2) = points[:2]
    if y1 == y2 and x1 != x2:
        (bx, by), end_x, below = (x1, y1), x2, True
    elif x1 == x2 and len(points) > 2 and points[2][1] == y2 and points[2][0] != x2:
        (bx, by), end_x, below = (x2, y2), points[2][0], y2 > y1
    else:  # no horizontal run: viewflow's place, at the start of the edge
        x, y = edge.label_pos or (x1 + 8, y1 + 16)
        return [_Line(force_str(edge.label), x, y, False)]
    lines = _branch_lines(edge.label, abs(end_x - bx))
    row, dst = grid[getattr(edge.src, "_attached_to", None) or edge.src], grid[edge.dst]
    lanes_start = row.y + row.height
    if dst.row == row.row:  # back along the row: the lanes start under the destination's arrow (chart.direct_route)
        lanes_start = max(lanes_start, dst.shape.y + dst.shape.height + chart.EDGE_END_GAP_SIZE)
    if below:
        first = max(by + 14, lanes_start + LANES + 14) if by > row.y + row.height else by + 14
    else:
        first = (min(by - 5, row.y - LANES - 5) if by < row.y else by - 5) - (len(lines) - 1) * LABEL_LINE
    return [
        _Line(line, bx + 6 if end_x > bx else bx - 6 - len(line) * CHAR_WIDTH, first + n * LABEL_LINE, False)
        for n, line in enumerate(lines)
    ]


def _branch_lines(label: Any, run: int) -> list[str]:
    """A branch label in lines that fit a horizontal run of `run` px (with room for the arrow)."""
    return _wrap(force_str(label), max(8, (run - 12) // CHAR_WIDTH))


def _svg_texts(grid: chart.Grid) -> None:
    """Every node's texts, and the labels of the branches leaving it, drawn in its <g> (relative to its shape).

    viewflow's SVG template title-cases the first text of a node ("Memeriksa Kondisi Kendaraan", "Stnk"), so that
    one is an empty text; and its single-line edge label gives way to the lines placed here.
    """
    nodes, edges = _words(grid)
    written = set()
    for edge, lines in edges.items():  # branches alike that end on the same run: one label
        run = (force_str(edge.label), edge.dst, *(tuple(point) for point in edge.segments[-2:]))
        if run not in written:
            written.add(run)
            nodes[edge.src] += lines
    for edge in grid.edges:
        edge.label_pos = None
    for cell in grid.cells:
        shape, lines = cell.shape, nodes.get(cell.node)
        shape.text = []
        if lines:
            shape.text = [("", "align-middle", TASK_FONT, 0, 0)] + [
                (
                    line.text,
                    "align-middle" if line.centred else "edge-label",
                    line.size,
                    line.x - shape.x,
                    line.y - shape.y,
                )
                for line in lines
            ]


def _bpmn_labels(xml: str, grid: chart.Grid) -> str:
    """Label bounds in the diagram interchange, where the SVG writes them, so BPMN tools place them alike; and the X
    in exclusive gateways (`isMarkerVisible`)."""
    nodes, edges = _words(grid)
    shapes = {cell.node.name: (cell, nodes.get(cell.node)) for cell in grid.cells if _kind(cell) != "task"}
    flows = {f"{edge.src.name}__{edge.dst.name}": lines for edge, lines in edges.items()}

    def with_shape_label(match: re.Match[str]) -> str:
        cell, lines = shapes.get(match["name"], (None, None))
        opening = match["opening"]
        if cell is not None and getattr(cell.node, "bpmn_element", None) == "exclusiveGateway":
            opening += ' isMarkerVisible="true"'
        return f"{opening}>{match['body']}{_bpmn_label(lines)}</bpmndi:BPMNShape>"

    def with_edge_label(match: re.Match[str]) -> str:
        return f"{match['opening']}>{match['body']}{_bpmn_label(flows.get(match['name']))}</bpmndi:BPMNEdge>"

    return _DI_EDGE.sub(with_edge_label, _DI_SHAPE.sub(with_shape_label, xml))


def _bpmn_label(lines: list[_Line] | None) -> str:
    if not lines:
        return ""
    boxes = [line.bounds() for line in lines]
    x, y = min(b[0] for b in boxes), min(b[1] for b in boxes)
    width, height = max(b[0] + b[2] for b in boxes) - x, max(b[1] + b[3] for b in boxes) - y
    return f'<bpmndi:BPMNLabel><dc:Bounds x="{x}" y="{y}" width="{width}" height="{height}" /></bpmndi:BPMNLabel>\n'


def _clip(lines: list[str], most: int) -> list[str]:
    """At most `most` lines, the last one ending in an ellipsis when text was cut (the <title> has it whole)."""
    if len(lines) <= most:
        return lines
    return [*lines[: most - 1], lines[most - 1].rstrip(" .,;:") + "…"]
