"""Template helpers: times in a unit's time zone, step labels."""

import datetime
import zoneinfo
from typing import Any

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def in_zone(value: datetime.datetime | None, zone: str) -> str:
    """Format an aware datetime in the given zone, with the zone's abbreviation (e.g. WIT)."""
    if value is None:
        return ""
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


@register.filter
def step_title(steps: dict[str, Any], step_id: str) -> str:
    step = steps.get(step_id)
    return step["kegiatan"] if step else step_id
