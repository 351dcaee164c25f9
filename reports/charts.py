"""Server-side SVG charts: plain horizontal bar charts that a browser shows and WeasyPrint prints alike.

No script, no web fonts, no external files: the same markup goes into the dashboard page and the PDF report.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

TONES = {"ok": "#1a7f37", "warn": "#d4a72c", "bad": "#b42318", "neutral": "#0b5d8f"}
ROW = 24
LABEL_WIDTH = 230
VALUE_WIDTH = 120


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # printed after the bar
    tone: str = "neutral"


def bar_chart(
    bars: list[Bar],
    *,
    title: str,
    max_value: float | None = None,
    marker: float | None = None,
    marker_label: str = "",
    width: int = 720,
) -> SafeString:
    """A horizontal bar chart; `marker` draws a dashed reference line (e.g. the time standard at 100%)."""
    if not bars:
        empty = escape(_("No data in this period."))
        return mark_safe(f'<p class="muted">{empty}</p>')  # noqa: S308 - escaped
    top = max([max_value or 0.0, *(b.value for b in bars), marker or 0.0]) or 1.0
    plot = width - LABEL_WIDTH - VALUE_WIDTH
    height = ROW * len(bars) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * ROW
        length = max(plot * bar.value / top, 1.0 if bar.value else 0.0)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" fill="#1d2733">{escape(_short(bar.label))}'
            f"</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{TONES[bar.tone]}" '
            f'rx="2"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 5:.1f}" y="{y + 15}" fill="#1d2733">{escape(bar.text)}</text>'
        )
    bottom = 4 + ROW * len(bars)
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="2" x2="{LABEL_WIDTH}" y2="{bottom}" stroke="#5b6773"/>')
    if marker is not None:
        x = LABEL_WIDTH + plot * marker / top
        parts.append(
            f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{bottom}" stroke="#1d2733" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#1d2733">{escape(marker_label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decimal(value: float, places: int = 1) -> str:
    """A number rounded (Django's number_format truncates floats) in the active language's format."""
    return number_format(round(value, places), places)


def percent_tone(percent: float) -> str:
    """Green from 90%, amber from 75%, red below: how the bureau reads its compliance."""
    return "ok" if percent >= 90 else "warn" if percent >= 75 else "bad"


def hours(span: datetime.timedelta | None) -> float:
    return span.total_seconds() / 3600 if span else 0.0


def format_hours(span: datetime.timedelta | None) -> str:
    """A duration in hours (or days beyond two days), in the active language's number format."""
    value = hours(span)
    if value >= 48:
        return _("%(n)s days") % {"n": decimal(value / 24)}
    return _("%(n)s h") % {"n": decimal(value)}
