"""Steps the SOP marks `approval: true` need the atasan langsung's approval before the case moves on.

The compiler adds, after such a step, an approval step `<step>__approval` for the supervisor of the position that did
the step, with two branches: approve (the case continues as the SOP says) or send back (the step is done again).
The approval step is not written in the SOP file; `SopVersion.step` derives it from the step it approves.
"""

from __future__ import annotations

from typing import Any

APPROVAL_SUFFIX = "__approval"
APPROVER = "ATASAN"
APPROVAL_WAKTU = "1d"  # [E] a supervisor's approval within one working day, as the catalogue's approvals


def approval_step(step: dict[str, Any], *, decision_suffix: str) -> dict[str, Any]:
    """The approval step that follows `step` (whose continuation is its decision gateway or its next step)."""
    continuation = step["id"] + decision_suffix if "decision" in step else step["next"]
    return {
        "id": step["id"] + APPROVAL_SUFFIX,
        "approval_of": step["id"],
        "actor": APPROVER,
        "kegiatan": f"Persetujuan atasan langsung: {step['kegiatan']}",
        "waktu": APPROVAL_WAKTU,
        "waktu_estimate": True,
        "decision": {
            "question": "Disetujui?",
            "branches": [
                {"key": "setuju", "label": "Setuju", "next": continuation},
                {"key": "kembalikan", "label": "Kembalikan untuk diperbaiki", "next": step["id"]},
            ],
        },
    }
