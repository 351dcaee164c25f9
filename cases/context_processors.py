from typing import Any

from django.http import HttpRequest

from .notifications import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count shown in the header of every page."""
    return {"unread_notifications": unread_count(request.user)}
