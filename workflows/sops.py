"""Read, validate and lint SOP files.

A file either loads whole or yields problems, each naming file, line and field; nothing is half-loaded. The
result of a good file is a plain dict (the definition) and its content hash, which `workflows.services` registers
as an SOP version and `workflows.compiler` turns into a viewflow Flow.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

from .sop_schema import (
    CASE_COLUMNS,
    DISPOSITION_PARTS,
    DURATION_PATTERN,
    LIST_FIELD_TYPES,
    POSITION_FIELD_TYPES,
    SOP_SCHEMA,
)

MSG_YAML_SYNTAX = _("not valid YAML: %(detail)s")
MSG_NOT_MAPPING = _("an SOP file must be a mapping of keys to values")
MSG_UNREADABLE = _("cannot be read: %(detail)s")
MSG_DUPLICATE_KEY = _("key '%(key)s' appears twice")
MSG_CASE_COLUMN_TYPE = _("field '%(name)s' fills the case's column and must be of type %(type)s")
MSG_UNKNOWN_KEY = _("unknown key '%(key)s'")
MSG_REQUIRED = _("required key '%(key)s' is missing")
MSG_WRONG_TYPE = _("must be %(expected)s")
MSG_NOT_ONE_OF = _("must be one of: %(choices)s")
MSG_PATTERN = _("'%(value)s' does not have the expected form")
MSG_TOO_SHORT = _("must not be empty")
MSG_TOO_SMALL = _("must be at least %(limit)s")
MSG_TOO_LARGE = _("must be at most %(limit)s")
MSG_INVALID = _("invalid value")
MSG_BAD_DURATION = _("'%(value)s' is not a duration: write a whole number followed by m (office minutes), "
                     "h (office hours) or d (working days), e.g. 30m, 4h, 1d")
MSG_BAD_DATE = _("'%(value)s' is not a real date")
MSG_CODE_FILENAME = _("code '%(code)s' does not match the file name '%(name)s'")
MSG_DUPLICATE_CODE = _("SOP code '%(code)s' is also defined in %(other)s")
MSG_DUPLICATE_STEP = _("step id '%(id)s' is used twice")
MSG_UNKNOWN_ROLE = _("unknown role '%(role)s' (declare it under roles)")
MSG_UNKNOWN_STEP = _("unknown step '%(step)s'")
MSG_UNREACHABLE = _("step '%(id)s' cannot be reached from the start")
MSG_DEAD_END = _("step '%(id)s' leads nowhere: give it next, a decision, or make it an end")
MSG_NO_WAY_OUT = _("from step '%(id)s' no end can be reached")
MSG_DECISION_BRANCHES = _("a decision needs at least two branches")
MSG_DUPLICATE_BRANCH = _("branch key '%(key)s' is used twice")
MSG_NEXT_AND_DECISION = _("a step has either next or a decision, not both")
MSG_NO_END = _("the SOP has no end step")
MSG_END_HAS_NEXT = _("an end step cannot have next or a decision")
MSG_END_WITHOUT_OUTCOME = _("an end step needs an outcome (resolved, rejected or cancelled)")
MSG_ACTOR_REQUIRED = _("a task or pause step needs an actor")
MSG_PAUSE_WAITING_ON = _("a pause step must say whom it waits on (waiting_on)")
MSG_FIELD_ROLE_WITHOUT_FIELD = _("role resolved from a field must name the field (field)")
MSG_FIELD_ROLE_UNKNOWN_FIELD = _("field '%(field)s' is not a position field of any step or of the intake")
MSG_CHOICES_REQUIRED = _("a %(type)s field needs choices")
MSG_UNKNOWN_BRANCH = _("'%(key)s' is not a branch of this step's decision")
MSG_DUPLICATE_FIELD = _("field name '%(name)s' is used twice in this step")
MSG_START_IS_END = _("the start step cannot be an end step")
MSG_SUBCASE_REQUIRED = _("a subcase step needs a subcase block (sop, wait)")
MSG_SUBCASE_ONLY = _("only a subcase step has a subcase block")
MSG_SUBCASE_NEEDS_NEXT = _("a subcase step continues with next, not a decision")
MSG_FOR_EACH_FIELD = _("'%(field)s' is not a list field (lines or multichoice) of the intake or a step")
MSG_ITEM_FIELD_WITHOUT_FOR_EACH = _("item_field only makes sense with for_each")
MSG_CARRY_UNKNOWN = _("'%(field)s' is not a field of the intake or a step")
MSG_SUBCASE_UNKNOWN_SOP = _("sub-case SOP %(sop)s is not in the library")
MSG_SUBCASE_MISSING_INTAKE = _("sub-case SOP %(sop)s requires intake field '%(field)s', which this step does not carry")
MSG_CARRY_NOT_TAKEN = _("sub-case SOP %(sop)s has no intake field '%(field)s' to carry it into")
MSG_CARRY_OPTIONAL = _("sub-case SOP %(sop)s requires '%(field)s', but it is optional here: make it required")
MSG_DEADLINE_FIELD = _("'%(field)s' is not a date field of the intake or a step")
MSG_APPROVAL_ONLY_TASKS = _("only a task step can need approval")
MSG_RESERVED_STEP = _("step id '%(id)s' is reserved by the engine; choose another")
MSG_DISPOSITION_FIELD = _("'%(field)s' is not a field of this step of type %(types)s")
MSG_DUE_WITHOUT_DISPOSITION = _("no step of this SOP gives a disposition (disposition) whose batas waktu to follow")
MSG_DOCUMENT_TEMPLATE = _("template '%(template)s' is not in %(directory)s")
MSG_DUPLICATE_DOCUMENT = _("document id '%(id)s' is used twice")

_EXPECTED_TYPES = {
    "string": _("text"),
    "integer": _("a whole number"),
    "boolean": _("true or false"),
    "array": _("a list"),
    "object": _("a mapping"),
}


@dataclass(frozen=True)
class SopProblem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


@dataclass
class SopFile:
    path: Path
    definition: dict[str, Any] | None = None
    problems: list[SopProblem] = field(default_factory=list)
    lines: _LineIndex | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.problems

    @property
    def content_hash(self) -> str:
        return definition_hash(self.definition or {})


def definition_hash(definition: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON form: comments and formatting don't make a new version, content does."""
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class _SopLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when PyYAML has it
    """SafeLoader with YAML 1.2 plain scalars: dates stay text (the schema checks their form) and only
    true/false are booleans, so the SOP table's column `no:` is the key "no", not False."""


_BOOL = "tag:yaml.org,2002:bool"
_SopLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:timestamp", _BOOL)]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _SopLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, (_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )


class _LineIndex:
    """Maps a path inside the document (keys and list indexes) to the line it stands on."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def line(self, path: Iterable[str | int], key: str | None = None) -> int:
        node = self.root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for part in [*path, *([key] if key is not None else [])]:
            child = self._child(node, part)
            if child is None:
                break
            key_node, node = child
            line = (key_node or node).start_mark.line + 1
        return line

    @staticmethod
    def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    return key_node, value_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            return None, node.value[part]
        return None


def _dotted(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose the node tree (for line numbers) and build the data from it: one parse, not two."""
    loader = _SopLoader(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def load_sop_file(path: Path) -> SopFile:
    """Parse, validate and lint one file."""
    result = SopFile(path=path)
    display = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
        root, data = _parse(text)
    except UnicodeDecodeError as exc:
        result.problems.append(SopProblem(display, 1, "(file)", str(MSG_YAML_SYNTAX % {"detail": exc.reason})))
        return result
    except OSError as exc:
        result.problems.append(SopProblem(display, 1, "(file)", str(MSG_UNREADABLE % {"detail": exc.strerror})))
        return result
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        detail = getattr(exc, "problem", None) or str(exc)
        result.problems.append(SopProblem(display, line, "(file)", str(MSG_YAML_SYNTAX % {"detail": detail})))
        return result

    lines = result.lines = _LineIndex(root)
    if not isinstance(data, dict):
        result.problems.append(SopProblem(display, 1, "(file)", str(MSG_NOT_MAPPING)))
        return result
    duplicates = list(_duplicate_keys(root, [], display))
    if duplicates:
        result.problems = duplicates
        return result

    problems = list(_schema_problems(data, lines, display))
    if not problems:
        problems = list(_lint(data, lines, display, path))
    if problems:
        result.problems = sorted(set(problems), key=lambda p: (p.line, p.field, p.message))
    else:
        result.definition = data
    return result


def load_sop_directory(directory: Path, paths: Iterable[Path] | None = None) -> list[SopFile]:
    """Load every *.yaml below `directory` (or just `paths`), adding cross-file problems (duplicate codes)."""
    candidates = paths if paths is not None else (p for p in directory.rglob("*.yaml") if p.is_file())
    files = [load_sop_file(p) for p in sorted(candidates)]
    seen: dict[str, SopFile] = {}
    for sop in files:
        if not sop.ok:
            continue
        code = sop.definition["code"]
        if code in seen:
            line = sop.lines.line(["code"])
            message = MSG_DUPLICATE_CODE % {"code": code, "other": seen[code].path}
            sop.problems.append(SopProblem(str(sop.path), line, "code", str(message)))
            sop.definition = None
        else:
            seen[code] = sop
    others: list[SopFile] = []
    if paths is not None and directory.is_dir():
        # Checking a few files: sub-cases still refer to the rest of the library.
        chosen = {f.path.resolve() for f in files}
        others = [load_sop_file(p) for p in directory.rglob("*.yaml") if p.is_file() and p.resolve() not in chosen]
    subcase_problems(files, reference=[*files, *others])
    return files


def _duplicate_keys(node: yaml.Node, path: list[str | int], display: str) -> Iterator[SopProblem]:
    """YAML lets a key repeat and keeps the last; in an SOP that hides a mistake, so it is an error."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                yield SopProblem(display, key_node.start_mark.line + 1, _dotted([*path, key]),
                                 str(MSG_DUPLICATE_KEY % {"key": key}))
            seen.add(key)
            yield from _duplicate_keys(value_node, [*path, key], display)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, [*path, index], display)


def _schema_problems(data: dict[str, Any], lines: _LineIndex, display: str) -> Iterator[SopProblem]:
    validator = Draft202012Validator(SOP_SCHEMA)
    for error in validator.iter_errors(data):
        yield from _explain(error, lines, display)


def _explain(error: Any, lines: _LineIndex, display: str) -> Iterator[SopProblem]:
    path = list(error.absolute_path)
    kind = error.validator
    if kind == "oneOf" and error.context:
        # Explain against the alternative of the value's own JSON type (a mapping is checked as the mapping
        # form), since people read "this is wrong", not "none of the forms matched".
        alternatives = error.schema["oneOf"]
        matching = [i for i, alt in enumerate(alternatives) if _is_type(error.instance, alt.get("type"))]
        chosen = matching[0] if matching else 0
        for sub in error.context:
            if sub.relative_schema_path[0] == chosen:
                yield from _explain(sub, lines, display)
        return
    if kind == "additionalProperties":
        extras = [k for k in error.instance if k not in error.schema.get("properties", {})]
        for key in extras:
            yield SopProblem(display, lines.line(path, key), _dotted([*path, key]),
                             str(MSG_UNKNOWN_KEY % {"key": key}))
        return
    if kind == "required":
        key = re.search(r"'([^']+)'", error.message)
        name = key.group(1) if key else "?"
        yield SopProblem(display, lines.line(path), _dotted(path), str(MSG_REQUIRED % {"key": name}))
        return
    if kind == "type":
        expected = _EXPECTED_TYPES.get(str(error.validator_value), str(error.validator_value))
        message = MSG_WRONG_TYPE % {"expected": expected}
    elif kind == "enum":
        message = MSG_NOT_ONE_OF % {"choices": ", ".join(map(str, error.validator_value))}
    elif kind == "pattern":
        message = MSG_PATTERN % {"value": error.instance}
    elif kind == "propertyNames":
        message = MSG_PATTERN % {"value": error.instance}
    elif kind in ("minLength", "minItems", "minProperties"):
        message = MSG_TOO_SHORT
    elif kind == "minimum":
        message = MSG_TOO_SMALL % {"limit": error.validator_value}
    elif kind == "maximum":
        message = MSG_TOO_LARGE % {"limit": error.validator_value}
    else:
        message = MSG_INVALID
    yield SopProblem(display, lines.line(path), _dotted(path), str(message))


def data_fields(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every data field of an SOP by name: the intake's first, then each step's (the first declaration wins)."""
    specs: dict[str, dict[str, Any]] = {}
    kelengkapans = [definition["intake"].get("kelengkapan", {})]
    kelengkapans += [step.get("kelengkapan", {}) for step in definition["steps"]]
    for kelengkapan in kelengkapans:
        for spec in kelengkapan.get("fields", []):
            specs.setdefault(spec["name"], spec)
    return specs


def _lint_subcases(data: dict[str, Any], problem: Any) -> Iterator[SopProblem]:
    fields = data_fields(data)
    for i, step in enumerate(data["steps"]):
        where: list[str | int] = ["steps", i]
        block = step.get("subcase")
        if step.get("type") != "subcase":
            if block is not None:
                yield problem([*where, "subcase"], MSG_SUBCASE_ONLY)
            continue
        if block is None:
            yield problem(where, MSG_SUBCASE_REQUIRED)
            continue
        if "decision" in step:
            yield problem([*where, "decision"], MSG_SUBCASE_NEEDS_NEXT)
        for_each = block.get("for_each")
        if for_each is not None and fields.get(for_each, {}).get("type") not in LIST_FIELD_TYPES:
            yield problem([*where, "subcase", "for_each"], MSG_FOR_EACH_FIELD % {"field": for_each})
        if "item_field" in block and for_each is None:
            yield problem([*where, "subcase", "item_field"], MSG_ITEM_FIELD_WITHOUT_FOR_EACH)
        for c, name in enumerate(block.get("carry", [])):
            if name not in fields:
                yield problem([*where, "subcase", "carry", c], MSG_CARRY_UNKNOWN % {"field": name})


def subcase_problems(files: list[SopFile], *, reference: list[SopFile]) -> None:
    """Cross-file checks of sub-cases: the child SOP is in the library and gets its required intake."""
    library = {sop.definition["code"]: sop.definition for sop in reference if sop.ok}
    for sop in files:
        if not sop.ok:
            continue
        lines = sop.lines
        for i, step in enumerate(sop.definition["steps"]):
            block = step.get("subcase")
            if block is None:
                continue
            where = ["steps", i, "subcase", "sop"]
            child = library.get(block["sop"])
            if child is None:
                sop.problems.append(SopProblem(str(sop.path), lines.line(where), _dotted(where),
                                               str(MSG_SUBCASE_UNKNOWN_SOP % {"sop": block["sop"]})))
                continue
            carry = block.get("carry", [])
            given = {*CASE_COLUMNS, *carry, *([block["item_field"]] if "item_field" in block else [])}
            intake = child["intake"].get("kelengkapan", {})
            taken = {f["name"] for f in intake.get("fields", [])}
            required = [f["name"] for f in intake.get("fields", []) if f.get("required")]
            required += [a["name"] for a in intake.get("attachments", []) if a.get("required")]
            parent_fields = data_fields(sop.definition)

            messages = [
                MSG_SUBCASE_MISSING_INTAKE % {"sop": block["sop"], "field": name}
                for name in required if name not in given
            ]
            messages += [
                MSG_CARRY_OPTIONAL % {"sop": block["sop"], "field": name}
                for name in required if name in carry and not _always_filled(parent_fields.get(name, {}))
            ]
            messages += [
                MSG_CARRY_NOT_TAKEN % {"sop": block["sop"], "field": name}
                for name in carry if name not in taken and name not in CASE_COLUMNS
            ]
            sop.problems += [SopProblem(str(sop.path), lines.line(where), _dotted(where), str(m)) for m in messages]
        if sop.problems:
            sop.definition = None


def _always_filled(spec: dict[str, Any]) -> bool:
    """Whether a field has a value whenever a later subcase step can carry it: required outright, or required for
    the branch that leads there (the linter does not trace which branch; `required_for` is taken as that promise)."""
    return bool(spec.get("required") or spec.get("required_for"))


def _is_type(value: Any, json_type: str | None) -> bool:
    python_types = {"object": dict, "string": str, "array": list, "integer": int, "boolean": bool}
    return json_type in python_types and isinstance(value, python_types[json_type])


def _lint(data: dict[str, Any], lines: _LineIndex, display: str, path: Path) -> Iterator[SopProblem]:
    def problem(where: list[str | int], message: Any) -> SopProblem:
        return SopProblem(display, lines.line(where), _dotted(where), str(message))

    if path.stem != data["code"]:
        yield problem(["code"], MSG_CODE_FILENAME % {"code": data["code"], "name": path.name})

    identity = data["identity"]
    for key in ("tanggal_pembuatan", "tanggal_revisi", "tanggal_efektif"):
        if key in identity:
            try:
                datetime.date.fromisoformat(identity[key])
            except ValueError:
                yield problem(["identity", key], MSG_BAD_DATE % {"value": identity[key]})

    roles: dict[str, Any] = data["roles"]
    steps: list[dict[str, Any]] = data["steps"]

    def check_role(where: list[str | int], role: str) -> Iterator[SopProblem]:
        if role not in roles:
            yield problem(where, MSG_UNKNOWN_ROLE % {"role": role})

    yield from check_role(["owner_role"], data["owner_role"])
    for i, role in enumerate(data["intake"]["roles"]):
        yield from check_role(["intake", "roles", i], role)

    ids: dict[str, int] = {}
    reserved = _reserved_step_ids()
    for i, step in enumerate(steps):
        if step["id"] in reserved:
            yield problem(["steps", i, "id"], MSG_RESERVED_STEP % {"id": step["id"]})
        if step["id"] in ids:
            yield problem(["steps", i, "id"], MSG_DUPLICATE_STEP % {"id": step["id"]})
        else:
            ids[step["id"]] = i

    position_fields = {f["name"] for f in data["intake"].get("kelengkapan", {}).get("fields", [])
                       if f["type"] in POSITION_FIELD_TYPES}
    yield from _lint_fields(["intake", "kelengkapan"], data["intake"].get("kelengkapan", {}), set(), problem)

    ends = 0
    edges: dict[str, list[str]] = {}
    for i, step in enumerate(steps):
        where: list[str | int] = ["steps", i]
        kind = step.get("type", "task")
        decision = step.get("decision")
        targets: list[tuple[list[str | int], str]] = []
        if "next" in step:
            targets.append(([*where, "next"], step["next"]))
        if decision:
            for b, branch in enumerate(decision["branches"]):
                targets.append(([*where, "decision", "branches", b, "next"], branch["next"]))
        if kind == "end":
            ends += 1
            if targets:
                yield problem(where, MSG_END_HAS_NEXT)
            if "outcome" not in step:
                yield problem(where, MSG_END_WITHOUT_OUTCOME)
        else:
            if "actor" not in step:
                yield problem(where, MSG_ACTOR_REQUIRED)
            else:
                yield from check_role([*where, "actor"], step["actor"])
            if kind == "pause" and "waiting_on" not in step:
                yield problem(where, MSG_PAUSE_WAITING_ON)
            if "next" in step and decision:
                yield problem(where, MSG_NEXT_AND_DECISION)
            elif not targets and not decision:
                yield problem(where, MSG_DEAD_END % {"id": step["id"]})
        if step.get("approval") and kind != "task":
            yield problem([*where, "approval"], MSG_APPROVAL_ONLY_TASKS)
        if decision is not None:
            keys = [b["key"] for b in decision["branches"]]
            if len(keys) < 2:
                yield problem([*where, "decision", "branches"], MSG_DECISION_BRANCHES)
            for b, key in enumerate(keys):
                if key in keys[:b]:
                    yield problem([*where, "decision", "branches", b, "key"], MSG_DUPLICATE_BRANCH % {"key": key})
        kelengkapan = step.get("kelengkapan", {})
        branch_keys = {b["key"] for b in (decision or {}).get("branches", [])}
        yield from _lint_fields([*where, "kelengkapan"], kelengkapan, branch_keys, problem)
        position_fields |= {f["name"] for f in kelengkapan.get("fields", []) if f["type"] in POSITION_FIELD_TYPES}
        yield from _lint_disposition([*where, "disposition"], step.get("disposition"), kelengkapan, problem)
        yield from _lint_waktu([*where, "waktu"], step.get("waktu"), problem)
        for level_where, level in _escalation_levels([*where, "escalation"], step.get("escalation")):
            yield from _lint_level(level_where, level, roles, problem)
        for target_where, target in targets:
            if target not in ids:
                yield problem(target_where, MSG_UNKNOWN_STEP % {"step": target})
        edges[step["id"]] = [t for _, t in targets if t in ids]

    for level_where, level in _escalation_levels(["escalation"], data.get("escalation")):
        yield from _lint_level(level_where, level, roles, problem)

    yield from _lint_subcases(data, problem)
    if not any("disposition" in step for step in steps):
        for i, step in enumerate(steps):
            if step.get("due_from_disposition"):
                yield problem(["steps", i, "due_from_disposition"], MSG_DUE_WITHOUT_DISPOSITION)
    yield from _lint_documents(data.get("documents", []), ids, problem)
    deadline = data.get("case_deadline")
    if isinstance(deadline, dict) and data_fields(data).get(deadline["field"], {}).get("type") != "date":
        yield problem(["case_deadline", "field"], MSG_DEADLINE_FIELD % {"field": deadline["field"]})

    for code, role in roles.items():
        if role.get("resolve") == "field":
            if "field" not in role:
                yield problem(["roles", code], MSG_FIELD_ROLE_WITHOUT_FIELD)
            elif role["field"] not in position_fields:
                yield problem(["roles", code, "field"], MSG_FIELD_ROLE_UNKNOWN_FIELD % {"field": role["field"]})

    if ends == 0:
        yield problem(["steps"], MSG_NO_END)
    start = data["start"]
    if start not in ids:
        yield problem(["start"], MSG_UNKNOWN_STEP % {"step": start})
        return
    if steps[ids[start]].get("type") == "end":
        yield problem(["start"], MSG_START_IS_END)

    reachable = _closure([start], edges)
    for step_id, i in ids.items():
        if step_id not in reachable:
            yield problem(["steps", i, "id"], MSG_UNREACHABLE % {"id": step_id})
    end_ids = {s["id"] for s in steps if s.get("type") == "end"}
    reverse: dict[str, list[str]] = {}
    for src, targets_ in edges.items():
        for dst in targets_:
            reverse.setdefault(dst, []).append(src)
    can_finish = _closure(list(end_ids), reverse)
    for step_id in reachable:
        if step_id not in can_finish and edges.get(step_id):
            yield problem(["steps", ids[step_id], "id"], MSG_NO_WAY_OUT % {"id": step_id})


def _reserved_step_ids() -> set[str]:
    """Names a compiled Flow class already uses (`start` and viewflow's own attributes)."""
    from viewflow.workflow.flow import Flow

    return {"start", *dir(Flow)}


def _closure(seeds: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(seeds)
    todo = list(seeds)
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _lint_fields(where: list[str | int], kelengkapan: dict[str, Any], branch_keys: set[str], problem: Any
                 ) -> Iterator[SopProblem]:
    names: set[str] = set()
    for f, spec in enumerate(kelengkapan.get("fields", [])):
        field_where = [*where, "fields", f]
        if spec["name"] in names:
            yield problem([*field_where, "name"], MSG_DUPLICATE_FIELD % {"name": spec["name"]})
        names.add(spec["name"])
        column_type = CASE_COLUMNS.get(spec["name"])
        if column_type is not None and spec["type"] != column_type:
            yield problem([*field_where, "type"], MSG_CASE_COLUMN_TYPE % {"name": spec["name"], "type": column_type})
        if spec["type"] in ("choice", "multichoice") and "choices" not in spec and column_type is None:
            yield problem(field_where, MSG_CHOICES_REQUIRED % {"type": spec["type"]})
        for k, key in enumerate(spec.get("required_for", [])):
            if key not in branch_keys:
                yield problem([*field_where, "required_for", k], MSG_UNKNOWN_BRANCH % {"key": key})
    for a, spec in enumerate(kelengkapan.get("attachments", [])):
        if spec["name"] in names:
            yield problem([*where, "attachments", a, "name"], MSG_DUPLICATE_FIELD % {"name": spec["name"]})
        names.add(spec["name"])


def _lint_disposition(where: list[str | int], block: dict[str, str] | None, kelengkapan: dict[str, Any],
                      problem: Any) -> Iterator[SopProblem]:
    """Each part of a step's disposition block names a field of that step of a fitting type."""
    if block is None:
        return
    types = {f["name"]: f["type"] for f in kelengkapan.get("fields", [])}
    for part, name in block.items():
        if types.get(name) not in DISPOSITION_PARTS[part]:
            yield problem([*where, part], MSG_DISPOSITION_FIELD % {"field": name,
                                                                 "types": ", ".join(DISPOSITION_PARTS[part])})


def _lint_documents(documents: list[dict[str, Any]], ids: dict[str, int], problem: Any) -> Iterator[SopProblem]:
    """Output documents name an existing template, the step from which they can be printed and the steps whose doers
    sign them."""
    directory = settings.SOP_DOCUMENT_TEMPLATES_DIR
    seen: set[str] = set()
    for d, document in enumerate(documents):
        where: list[str | int] = ["documents", d]
        if document["id"] in seen:
            yield problem([*where, "id"], MSG_DUPLICATE_DOCUMENT % {"id": document["id"]})
        seen.add(document["id"])
        if not (directory / document["template"]).is_file():
            yield problem([*where, "template"], MSG_DOCUMENT_TEMPLATE % {"template": document["template"],
                                                                       "directory": directory})
        if document["from_step"] not in ids:
            yield problem([*where, "from_step"], MSG_UNKNOWN_STEP % {"step": document["from_step"]})
        for s, step in enumerate(document.get("signed_by", [])):
            if step not in ids:
                yield problem([*where, "signed_by", s], MSG_UNKNOWN_STEP % {"step": step})


def _lint_waktu(where: list[str | int], waktu: Any, problem: Any) -> Iterator[SopProblem]:
    if waktu is None:
        return
    items = waktu.items() if isinstance(waktu, dict) else [(None, waktu)]
    for key, value in items:
        if not re.fullmatch(DURATION_PATTERN, value):
            yield problem([*where, key] if key else where, MSG_BAD_DURATION % {"value": value})


def _escalation_levels(where: list[str | int], escalation: dict[str, Any] | None
                       ) -> Iterator[tuple[list[str | int], dict[str, Any]]]:
    for i, level in enumerate((escalation or {}).get("levels", [])):
        yield [*where, "levels", i], level


def _lint_level(where: list[str | int], level: dict[str, Any], roles: dict[str, Any], problem: Any
                ) -> Iterator[SopProblem]:
    if "or_after" in level:
        yield from _lint_waktu([*where, "or_after"], level["or_after"], problem)
    target = level["to"]
    if target not in ("atasan_langsung", "atasan_berikutnya") and target not in roles:
        yield problem([*where, "to"], MSG_UNKNOWN_ROLE % {"role": target})
