"""Diagrams of the SOP library (`workflows.export`, `manage.py sop export`): every SOP's BPMN is valid against the OMG
BPMN 2.0 schema and draws the SOP's steps, decisions and branches; the SVG shows every step's words.

The schema files (BPMN20.xsd with Semantic.xsd, BPMNDI.xsd, DI.xsd, DC.xsd, as published by the OMG) come from the
SpiffWorkflow package (2.0 and later ship them for its own validator); the tests find them in the installed package.
"""

from __future__ import annotations

import copy
import importlib.resources
import io
import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import etree

from workflows.compiler import DECISION_SUFFIX
from workflows.export import flow_bpmn, flow_svg
from workflows.models import SopVersion
from workflows.sops import definition_hash

pytestmark = pytest.mark.django_db

SOP_CODES = sorted(path.stem for path in Path(settings.SOP_DEFINITIONS_DIR).rglob("*.yaml"))
SCHEMA_FILES = ["BPMN20.xsd", "Semantic.xsd", "BPMNDI.xsd", "DI.xsd", "DC.xsd"]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {
    "bpmn": BPMN,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "svg": "http://www.w3.org/2000/svg",
}
# viewflow names a node's BPMN element "id_node_<node name>"; the compiler names nodes after the steps.
NODE = "id_node_"
REFERENCES = ["sourceRef", "targetRef", "default", "attachedToRef", "bpmnElement", "sourceElement", "targetElement"]
ELEMENT_OF_STEP = {"task": "userTask", "pause": "userTask", "subcase": "receiveTask", "end": "endEvent"}


@pytest.fixture(scope="module")
def bpmn_schema() -> etree.XMLSchema:
    schema_dir = importlib.resources.files("SpiffWorkflow") / "bpmn" / "parser" / "schema"
    assert all((schema_dir / name).is_file() for name in SCHEMA_FILES), "SpiffWorkflow ships no BPMN schema here"
    with importlib.resources.as_file(schema_dir / "BPMN20.xsd") as xsd:  # includes and imports its neighbours
        return etree.XMLSchema(etree.parse(str(xsd)))


@pytest.fixture(params=SOP_CODES)
def version(request, sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[request.param]


def parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"))


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def node_name(ref: str) -> str:
    assert ref.startswith(NODE), ref
    return ref.removeprefix(NODE)


def branch_labels(definition: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(gateway, next step) -> label; two branches of one decision to the same step share one edge."""
    labels: dict[tuple[str, str], list[str]] = defaultdict(list)
    for step in definition["steps"]:
        for branch in step.get("decision", {}).get("branches", []):
            labels[(step["id"] + DECISION_SUFFIX, branch["next"])].append(branch["label"])
    return {edge: " / ".join(names) for edge, names in labels.items()}


def expected_nodes(definition: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """node -> (BPMN element, name): each step by its type, a gateway per decision named by its question."""
    nodes = {}
    for step in definition["steps"]:
        nodes[step["id"]] = (ELEMENT_OF_STEP[step.get("type", "task")], " ".join(step["kegiatan"].split()))
        if "decision" in step:
            nodes[step["id"] + DECISION_SUFFIX] = ("exclusiveGateway", " ".join(step["decision"]["question"].split()))
    return nodes


def expected_flows(definition: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    """(source, target, name): start to the first step, each step to its next or its gateway, branches labelled."""
    flows: set[tuple[str, str, str | None]] = {("start", definition["start"], None)}
    for step in definition["steps"]:
        if "decision" in step:
            flows.add((step["id"], step["id"] + DECISION_SUFFIX, None))
        elif "next" in step:
            flows.add((step["id"], step["next"], None))
    flows |= {(gateway, target, label) for (gateway, target), label in branch_labels(definition).items()}
    return flows


def flow_nodes(process: etree._Element) -> dict[str, tuple[str, str | None]]:
    return {
        node_name(element.get("id")): (local(element), element.get("name"))
        for element in process
        if local(element) != "sequenceFlow"
    }


def sequence_flows(process: etree._Element) -> set[tuple[str, str, str | None]]:
    return {
        (node_name(flow.get("sourceRef")), node_name(flow.get("targetRef")), flow.get("name"))
        for flow in process.iterfind("bpmn:sequenceFlow", NS)
    }


def check_bpmn(xml: str, version: SopVersion, schema: etree.XMLSchema) -> None:
    """Valid against the OMG schema, and the SOP as it is written: steps, decisions, ends and every branch."""
    definitions = parse(xml)
    schema.assertValid(definitions)
    definition = version.definition
    (process,) = definitions.iterfind("bpmn:process", NS)
    assert process.get("name") == f"{definition['code']} — {definition['title']}"

    nodes = flow_nodes(process)
    assert nodes.pop("start")[0] == "startEvent"
    assert nodes == expected_nodes(definition)
    assert sequence_flows(process) == expected_flows(definition)
    ids = {element.get("id") for element in definitions.iter() if element.get("id")}
    for element in definitions.iter():  # every reference names an element (the schema check leaves that out)
        assert {element.get(attr) for attr in REFERENCES} - {None} <= ids, element.get("id")
    for element in process:  # each flow listed once on both of its ends
        refs = [ref.text for ref in element if local(ref) in ("incoming", "outgoing")]
        assert len(refs) == len(set(refs)) and set(refs) <= ids, element.get("id")


def check_svg_words(svg: etree._Element, version: SopVersion) -> None:
    """Each step's whole kegiatan on its shape (as the tooltip and as the visible lines), each decision's question
    and branch labels beside its gateway, in the SOP's own spelling (nothing title-cased)."""
    groups = {group.get("id"): group for group in svg.iterfind("svg:g", NS)}

    def visible(node: str) -> str:  # the words written on and around a node's shape, not its marker (the X)
        texts = groups[node].iterfind("svg:text", NS)
        return " ".join(text.text for text in texts if text.text and text.get("class") != "gateway-marker")

    drawn_by: dict[tuple[str, str], list[str]] = defaultdict(list)  # branches alike into one run share one label
    for step in version.definition["steps"]:
        kegiatan = " ".join(step["kegiatan"].split())
        assert groups[step["id"]].findtext("svg:title", namespaces=NS) == kegiatan
        words = visible(step["id"])  # a very long kegiatan is cut short in its box, with an ellipsis
        assert words == kegiatan or (words.endswith("…") and kegiatan.startswith(words[:-1])), words
        if "decision" in step:
            gateway = step["id"] + DECISION_SUFFIX
            assert visible(gateway).startswith(step["decision"]["question"])
            for branch in step["decision"]["branches"]:
                drawn_by[(branch["label"], branch["next"])].append(gateway)
    for (label, _), gateways in drawn_by.items():
        assert any(label in visible(gateway) for gateway in gateways), label


def test_sop_diagrams(version: SopVersion, bpmn_schema: etree.XMLSchema) -> None:
    xml = flow_bpmn(version=version)
    check_bpmn(xml, version, bpmn_schema)
    check_layout(xml)
    check_svg(flow_svg(version=version), version)


def check_layout(xml: str) -> None:
    """A shape for every node and a route for every flow: no shape on another, straight runs from border to border
    that cross no other shape, and a label place for every event, gateway and branch."""
    definitions = parse(xml)
    (process,) = definitions.iterfind("bpmn:process", NS)
    (plane,) = definitions.iterfind("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == process.get("id")

    bounds = {}
    for shape in plane.iterfind("bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        bounds[shape.get("bpmnElement")] = tuple(float(box.get(key)) for key in ("x", "y", "width", "height"))
    assert set(bounds) == {element.get("id") for element in process if local(element) != "sequenceFlow"}
    assert all(x >= 0 and y >= 0 and w > 0 and h > 0 for x, y, w, h in bounds.values())
    for (a, (ax, ay, aw, ah)), (b, (bx, by, bw, bh)) in itertools.combinations(bounds.items(), 2):
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a} overlaps {b}"

    flows = {flow.get("id"): flow for flow in process.iterfind("bpmn:sequenceFlow", NS)}
    edges = {edge.get("bpmnElement"): edge for edge in plane.iterfind("bpmndi:BPMNEdge", NS)}
    assert set(edges) == set(flows)
    for flow_id, edge in edges.items():
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        source, target = flows[flow_id].get("sourceRef"), flows[flow_id].get("targetRef")
        assert len(points) >= 2
        assert on_border(points[0], bounds[source]) and on_border(points[-1], bounds[target]), flow_id
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow_id} is not drawn with straight runs"
            for node, (x, y, w, h) in bounds.items():  # no run crosses a shape on its way
                if node not in (source, target):
                    inside_x = x < max(x1, x2) and min(x1, x2) < x + w
                    inside_y = y < max(y1, y2) and min(y1, y2) < y + h
                    assert not (inside_x and inside_y), f"{flow_id} crosses {node}"

    labelled = {element.get("id") for element in process if local(element).endswith(("Event", "Gateway"))}
    labelled |= {flow_id for flow_id, flow in flows.items() if flow.get("name")}
    for element in plane:
        if element.get("bpmnElement") in labelled:
            assert element.find("bpmndi:BPMNLabel/dc:Bounds", NS) is not None, element.get("bpmnElement")


def on_border(point: tuple[float, float], box: tuple[float, ...]) -> bool:
    (px, py), (x, y, w, h) = point, box
    inside = x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1
    return inside and min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) <= 1


def check_svg(text: str, version: SopVersion) -> None:
    svg = parse(text)
    assert etree.QName(svg).namespace == NS["svg"]
    _, _, width, height = (int(value) for value in svg.get("viewBox").split())
    assert (svg.get("width"), svg.get("height")) == (str(width), str(height))  # natural size, not stretched
    check_svg_words(svg, version)


@pytest.fixture
def variant(sop_library: dict[str, SopVersion]) -> SopVersion:
    """BU-RT-01 with its damage report as a subcase step, two branches of one decision to the same end, and a
    kegiatan too long for its box."""
    definition = copy.deepcopy(sop_library["BU-RT-01"].definition)
    definition["code"] = "BU-RT-98"
    steps = {step["id"]: step for step in definition["steps"]}
    steps["cek_ketersediaan"]["decision"]["branches"].append(
        {"key": "nanti", "label": "Tunggu jadwal berikutnya", "next": "tidak_tersedia"}
    )
    steps["penggunaan"]["kegiatan"] = " ".join(["Kendaraan digunakan oleh pemohon sesuai surat izin"] * 6)
    report = steps["laporan_kerusakan"]
    for key in ("kelengkapan", "waktu", "waktu_estimate", "output"):
        report.pop(key, None)
    report.update(
        type="subcase",
        kegiatan="Membuka sub-kasus pemeliharaan kendaraan dinas (BU-AS-01) untuk kerusakan yang ditemukan",
        subcase={"sop": "BU-AS-01", "wait": True},
    )
    return SopVersion.objects.create(
        code=definition["code"],
        revision=0,
        content_hash=definition_hash(definition),
        title=definition["title"],
        service_area=definition["service_area"],
        definition=definition,
        source_path="(test)",
    )


def test_subcase_steps_and_shared_branches_are_drawn(variant: SopVersion, bpmn_schema: etree.XMLSchema) -> None:
    xml = flow_bpmn(version=variant)
    check_bpmn(xml, variant, bpmn_schema)
    check_layout(xml)
    (process,) = parse(xml).iterfind("bpmn:process", NS)
    assert ("cek_ketersediaan__decision", "tidak_tersedia", "Tidak / Tunggu jadwal berikutnya") in sequence_flows(
        process
    )
    assert flow_nodes(process)["laporan_kerusakan"][0] == "receiveTask"
    assert flow_nodes(process)["penggunaan"][1] == variant.step("penggunaan")["kegiatan"]  # whole in the BPMN
    check_svg(flow_svg(version=variant), variant)


def test_export_command_writes_the_bpmn_file(
    sop_library: dict[str, SopVersion], bpmn_schema: etree.XMLSchema, tmp_path: Path
) -> None:
    out = tmp_path / "BU-RT-01.bpmn"
    stdout = io.StringIO()
    call_command("sop", "export", "BU-RT-01", "--format", "bpmn", "--out", str(out), stdout=stdout)
    assert stdout.getvalue().strip() == str(out)
    assert out.read_text(encoding="utf-8") == flow_bpmn(version=sop_library["BU-RT-01"])
    bpmn_schema.assertValid(etree.parse(str(out)))


def test_export_command_prints_the_svg(sop_library: dict[str, SopVersion]) -> None:
    stdout = io.StringIO()
    call_command("sop", "export", "BU-ADM-01", "--format", "svg", stdout=stdout)
    check_svg(stdout.getvalue(), sop_library["BU-ADM-01"])


def test_export_command_refuses_an_unknown_code(sop_library: dict[str, SopVersion], tmp_path: Path) -> None:
    out = tmp_path / "none.bpmn"
    with pytest.raises(CommandError, match="BU-XX-99"):
        call_command("sop", "export", "BU-XX-99", "--format", "bpmn", "--out", str(out))
    assert not out.exists()


def test_the_schema_check_has_teeth(sop_library: dict[str, SopVersion], bpmn_schema: etree.XMLSchema) -> None:
    """Two elements with one id, an element BPMN does not know, or a coordinate that is no number fail validation.

    (libxml2 does not check that an IDREF such as a flow's targetRef names an element: the tests above do.)
    """
    xml = flow_bpmn(version=sop_library["BU-RT-01"])
    assert bpmn_schema.validate(parse(xml))
    for old, new in [
        ('id="id_node_selesai"', 'id="id_node_ditolak"'),
        ("bpmn:userTask", "bpmn:humanStep"),
        ('<dc:Bounds x="', '<dc:Bounds x="left '),
    ]:
        assert old in xml
        assert not bpmn_schema.validate(parse(xml.replace(old, new))), new
