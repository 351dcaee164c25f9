from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .access import is_auditor
from .notifications import unread_count
from .org import Acting, acting_positions, unit_time_zone


def _acting(request: HttpRequest) -> list[Acting]:
    """The viewer's positions, read once per request however many context processors ask."""
    if not hasattr(request, "_viewer_acting"):
        request._viewer_acting = acting_positions(request.user) if request.user.is_authenticated else []
    return request._viewer_acting


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count shown in the header of every page."""
    return {"unread_notifications": unread_count(request.user)}


def viewer_time_zone(request: HttpRequest) -> dict[str, Any]:
    """The zone due moments are shown in: that of the viewer's own unit (WIT for Maluku), else the default; and
    which menus the viewer's positions open (team pages for heads of units, reports for heads and auditors)."""
    acting = _acting(request)
    zone = unit_time_zone(acting[0].unit_id) if acting else None
    heads = any(a.is_head for a in acting)
    return {
        "viewer_tz": zone or settings.TIME_ZONE,
        "viewer_is_head": heads,
        "viewer_sees_reports": heads or is_auditor(request.user, acting),
    }


def two_factor(request: HttpRequest) -> dict[str, Any]:
    """Whether the header offers the two-factor set-up page (to heads of units, auditors and admins)."""
    from .security import two_factor_offered

    if not request.user.is_authenticated:
        return {"two_factor_offered": False}
    return {"two_factor_offered": two_factor_offered(request.user, acting=_acting(request))}
