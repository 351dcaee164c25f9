"""Template helpers: times in a unit's time zone, step labels."""

import datetime
import zoneinfo
from typing import Any

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from viewflow.workflow.status import STATUS

from workflows.durations import describe_waktu
from workflows.sla import clock_status

register = template.Library()


@register.filter
def in_zone(value: datetime.datetime | None, zone: str) -> str:
    """Format an aware datetime in the given zone, with the zone's abbreviation (e.g. WIT)."""
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone or settings.TIME_ZONE))
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


@register.filter
def step_title(steps: dict[str, Any], step_id: str) -> str:
    step = steps.get(step_id)
    return step["kegiatan"] if step else step_id


TASK_STATES = {
    STATUS.NEW: _("waiting to be taken"),
    STATUS.ASSIGNED: _("in hand"),
    STATUS.STARTED: _("in hand"),
    STATUS.DONE: _("done"),
    STATUS.CANCELED: _("cancelled"),
    STATUS.ERROR: _("error"),
}


@register.filter
def task_state(status: str) -> str:
    """A step's status in the reader's language (viewflow ships no Indonesian)."""
    return str(TASK_STATES.get(status, status))


@register.filter
def waktu(value: Any) -> str:
    """A step's time standard in words: "4 jam kerja", or one per derajat."""
    return describe_waktu(value)


@register.filter
def role_name(roles: dict[str, Any], code: str) -> str:
    """An SOP role's name from its code (the pelaksana as the SOP names it)."""
    role = roles.get(code)
    return role["name"] if role else code


SLA_LABELS = {
    "on_time": _("on time"),
    "warning": _("due soon"),
    "overdue": _("overdue"),
    "paused": _("paused"),
    "met": _("met"),
    "late": _("late"),
}


@register.filter
def sla_status(clock: Any) -> str:
    """on_time, warning, overdue, paused, met or late (a CSS class as well)."""
    return clock_status(clock) if clock else ""


@register.filter
def sla_label(status: str) -> str:
    return str(SLA_LABELS.get(status, status))


@register.filter
def days_waiting(since: datetime.datetime) -> str:
    """Calendar days since a moment, as supervisors read the age of a paused step ("waiting 3 days")."""
    days = (timezone.now() - since).days
    return ngettext("waiting %(n)d day", "waiting %(n)d days", days) % {"n": days}
