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


def total_waktu(definition: dict[str, Any]) -> str:
    """The Waktu column summed, as SOP AP documents print it: working days plus office time (the `biasa` standard
    where it depends on the derajat; steps without a standard, such as pauses, add nothing)."""
    days = minutes = 0
    for step in definition["steps"]:
        value = step.get("waktu")
        if isinstance(value, dict):
            value = value["biasa"]
        if value is None:
            continue
        amount, unit = int(value[:-1]), value[-1]
        if unit == "d":
            days += amount
        else:
            minutes += amount * 60 if unit == "h" else amount
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d office hour", "%(n)d office hours", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d office minute", "%(n)d office minutes", minutes) % {"n": minutes})
    return " + ".join(parts)
