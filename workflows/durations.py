"""Time standards as SOP files write them: `30m` office minutes, `4h` office hours, `2d` working days."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import ngettext

from .sop_schema import DURATION_PATTERN

DERAJAT_LABELS = {"biasa": "Biasa", "segera": "Segera", "sangat_segera": "Sangat segera"}


def describe_duration(value: str) -> str:
    """`4h` → "4 office hours" (in the active language)."""
    match = re.fullmatch(DURATION_PATTERN, value)
    if match is None:
        return value
    amount = int(value[:-1])
    unit = match.group(1)
    if unit == "m":
        return ngettext("%(n)d office minute", "%(n)d office minutes", amount) % {"n": amount}
    if unit == "h":
        return ngettext("%(n)d office hour", "%(n)d office hours", amount) % {"n": amount}
    return ngettext("%(n)d working day", "%(n)d working days", amount) % {"n": amount}


def describe_waktu(waktu: Any) -> str:
    """A step's time standard: one duration, or one per derajat."""
    if waktu is None:
        return ""
    if isinstance(waktu, dict):
        return "; ".join(f"{DERAJAT_LABELS.get(k, k)}: {describe_duration(v)}" for k, v in waktu.items())
    return describe_duration(waktu)


def _step_cost(step: dict[str, Any]) -> tuple[int, int]:
    """(working days, office minutes) of one step: the `biasa` standard where it depends on the derajat."""
    value = step.get("waktu")
    if isinstance(value, dict):
        value = value["biasa"]
    if value is None:
        return 0, 0
    amount, unit = int(value[:-1]), value[-1]
    return (amount, 0) if unit == "d" else (0, amount * 60 if unit == "h" else amount)


def _describe_cost(days: int, minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d office hour", "%(n)d office hours", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d office minute", "%(n)d office minutes", minutes) % {"n": minutes})
    return " + ".join(parts)


def time_standard_range(definition: dict[str, Any]) -> str:
    """The SOP's time standard from start to end: the Waktu column summed along the quickest and the longest way
    through it (each step once; loops back are not counted), e.g. "35 office minutes – 11 working days"."""
    steps = {s["id"]: s for s in definition["steps"]}
    # A working day weighs as much as the Perpres 21/2023 day (7.5 office hours) only to order the ways.
    totals: set[tuple[int, int]] = set()

    def walk(step_id: str, seen: frozenset[str], days: int, minutes: int) -> None:
        step = steps[step_id]
        if step.get("type") == "end":
            totals.add((days, minutes))
            return
        cost = _step_cost(step)
        targets = [b["next"] for b in step["decision"]["branches"]] if "decision" in step else [step["next"]]
        for target in dict.fromkeys(targets):
            if target not in seen:
                walk(target, seen | {target}, days + cost[0], minutes + cost[1])

    walk(definition["start"], frozenset({definition["start"]}), 0, 0)
    if not totals:
        return _describe_cost(0, 0)
    ordered = sorted(totals, key=lambda t: t[0] * 450 + t[1])
    low, high = _describe_cost(*ordered[0]), _describe_cost(*ordered[-1])
    return low if low == high else f"{low} – {high}"
