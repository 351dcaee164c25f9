"""The dashboards' content for a period, and the monthly performance report (laporan kinerja layanan) as PDF.

The dashboard page and the PDF share `dashboard_for`, so the printed charts are the ones people see on screen.
Each PDF printed is recorded in the global audit chain (`document_printed`, kind `performance_report`) with its
SHA-256.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cases.access import is_auditor
from cases.audit import audit_append
from cases.models import Unit, User
from cases.org import acting_positions

from .charts import Bar, bar_chart, decimal, format_hours, hours, percent_tone
from .dashboards import (
    Compliance,
    Period,
    backlog_by_age,
    complaint_counts,
    completion_against_standard,
    sla_compliance,
    slowest_steps,
)
from .printing import pdf_from_html
from .skm import ikm_table


def may_see_reports(user: User) -> bool:
    """Heads of units (and Plt/Plh) and auditors see the dashboards; they show counts, never case content."""
    acting = acting_positions(user)
    return any(a.is_head for a in acting) or is_auditor(user, acting)


@dataclass(frozen=True)
class Dashboard:
    period: Period
    unit: Unit | None
    charts: dict[str, SafeString]
    compliance_by_sop: list[Compliance]
    ikm_by_sop: list[Any]
    ikm_overall: Any


def _compliance_chart(rows: list[Compliance], title: str) -> SafeString:
    bars = [
        Bar(r.label, r.percent, f"{decimal(r.percent)}% ({r.met}/{r.total})", percent_tone(r.percent)) for r in rows
    ]
    return bar_chart(bars, title=title, max_value=100.0)


def dashboard_for(period: Period) -> Dashboard:
    by_sop = sla_compliance(period, by="sop")
    completion = completion_against_standard(period)
    backlog = backlog_by_age(unit_id=period.unit_id)
    slow = slowest_steps(period)
    ikm_rows, ikm_overall = ikm_table(start=period.start, end=period.end, by="sop")
    charts = {
        "compliance_sop": _compliance_chart(by_sop, _("SLA compliance per SOP")),
        "compliance_unit": _compliance_chart(sla_compliance(period, by="unit"), _("SLA compliance per unit")),
        "compliance_month": _compliance_chart(sla_compliance(period, by="month"), _("SLA compliance per month")),
        "completion": bar_chart(
            [
                Bar(
                    f"{c.sop}",
                    100 * c.ratio,
                    f"{format_hours(c.mean_taken)} / {format_hours(c.mean_allowed)}",
                    "ok" if c.ratio <= 1 else "warn" if c.ratio <= 1.5 else "bad",
                )
                for c in completion
            ],
            title=_("Mean time taken per step against the time standard (100% = the standard)"),
            marker=100.0,
            marker_label=_("standard"),
        ),
        "backlog": bar_chart(
            [
                Bar(
                    _("%(range)s days") % {"range": b.label},
                    b.count,
                    str(b.count),
                    "bad" if b.low >= 14 else "warn" if b.low >= 7 else "neutral",
                )
                for b in backlog
            ],
            title=_("Open cases by age"),
        ),
        "slowest": bar_chart(
            [
                Bar(
                    f"{s.sop} · {s.title}",
                    hours(s.mean_taken),
                    _("%(taken)s, late %(late)d of %(count)d")
                    % {"taken": format_hours(s.mean_taken), "late": s.late, "count": s.count},
                    "bad" if s.late * 2 > s.count else "warn" if s.late else "ok",
                )
                for s in slow
            ],
            title=_("Slowest steps (mean time taken)"),
        ),
        "ikm": bar_chart(
            [
                Bar(
                    f"{r.key}",
                    float(r.ikm.value),
                    f"{number_format(r.ikm.value, 2)} ({r.ikm.grade})",
                    {"A": "ok", "B": "ok", "C": "warn", "D": "bad"}[r.ikm.grade],
                )
                for r in ikm_rows
            ],
            title=_("Satisfaction index (IKM) per SOP"),
            max_value=100.0,
        ),
    }
    for by, title in (("sop", _("Complaints per SOP")), ("unit", _("Complaints per unit"))):
        charts[f"complaints_{by}"] = bar_chart(
            [
                Bar(c.key, c.total, _("%(total)d (%(open)d open)") % {"total": c.total, "open": c.open},
                    "bad" if c.open else "neutral")
                for c in complaint_counts(period, by=by)
            ],
            title=title,
        )
    unit = Unit.objects.filter(pk=period.unit_id).first() if period.unit_id else None
    return Dashboard(period, unit, charts, by_sop, ikm_rows, ikm_overall)


def performance_report_pdf(*, period: Period, acting_user: User) -> bytes:
    """The monthly performance report as PDF (A4 portrait), recorded in the audit trail with its SHA-256."""
    dashboard = dashboard_for(period)
    printed_at = timezone.now()
    html = render_to_string(
        "reports/performance.html",
        {
            "dashboard": dashboard,
            "printed_by": acting_user,
            "printed_at": printed_at,
            "last_day": period.end - datetime.timedelta(days=1),
        },
    )
    pdf = pdf_from_html(html)
    with transaction.atomic():
        audit_append(
            action="document_printed",
            actor=acting_user,
            after={
                "kind": "performance_report",
                "from": period.start.isoformat(),
                "until": period.end.isoformat(),
                "unit": period.unit_id,
                "sha256": hashlib.sha256(pdf).hexdigest(),
            },
            note=_("Performance report"),
        )
    return pdf
