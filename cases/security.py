"""Logins: the audit of logins, logouts, lockouts and refusals, and optional TOTP two-factor (django-otp).

Throttling and lockout are django-axes' (settings AXES_*); the password rules are Django's validators; the idle
session expiry is SESSION_COOKIE_AGE renewed on every request. What is here records those moments in the audit trail
(as global events, case=None) and runs the two-factor enrolment and check for the people who may use it.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import errors
from .access import is_auditor
from .audit import audit_append
from .models import AuditEvent, Case, User
from .org import Acting, acting_positions

TOTP_DEVICE_NAME = "CEPAT"


def _client(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", ""), "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200]}


def _append(**kwargs: Any) -> None:
    # Its own transaction: a refusal is recorded although the act it refused was rolled back.
    with transaction.atomic():
        audit_append(**kwargs)


def audit_login(*, user: User, request: HttpRequest | None) -> None:
    _append(action=AuditEvent.Action.LOGIN, actor=user, after=_client(request))


def audit_logout(*, user: User | None, request: HttpRequest | None) -> None:
    if user is not None and user.is_authenticated:
        _append(action=AuditEvent.Action.LOGOUT, actor=user, after=_client(request))


def audit_lockout(*, username: str, request: HttpRequest | None) -> None:
    """A username locked out by django-axes (after AXES_FAILURE_LIMIT failures)."""
    user = User.objects.filter(username=username).first()
    _append(
        action=AuditEvent.Action.LOGIN_LOCKED_OUT,
        actor=None,
        after={"username": username[:150], **_client(request), "user": user.pk if user else None},
    )


def audit_denial(*, user: User | None, what: str, case: Case | None = None, request: HttpRequest | None = None) -> None:
    """Record that `user` was refused `what` (a page or an act), on `case` if any.

    The case is named in the event's data rather than chained to it: the refused person holds no lock on the case.
    """
    actor = user if user is not None and user.is_authenticated else None
    after = {"what": what[:200], **_client(request), **({"case": case.reference} if case is not None else {})}
    _append(action=AuditEvent.Action.PERMISSION_DENIED, actor=actor, after=after)


def _on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_login(user=user, request=request)


def _on_logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    audit_logout(user=user, request=request)


def _on_locked_out(sender: Any, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
    audit_lockout(username=username or "", request=request)


def connect_signals() -> None:
    """Called from CasesConfig.ready(): Django and django-axes announce these moments only by signal."""
    from axes.signals import user_locked_out

    user_logged_in.connect(_on_logged_in, dispatch_uid="cepat-audit-login")
    user_logged_out.connect(_on_logged_out, dispatch_uid="cepat-audit-logout")
    user_locked_out.connect(_on_locked_out, dispatch_uid="cepat-audit-lockout")


# Two-factor --------------------------------------------------------------------------------------------------------


def two_factor_offered(user: User, *, acting: list[Acting] | None = None) -> bool:
    """TOTP is offered to supervisors (heads of units), auditors and admins. `acting`: the user's positions, when
    the caller has read them already."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if acting is None:
        acting = acting_positions(user)
    return is_auditor(user, acting) or any(a.is_head for a in acting)


def two_factor_required(user: User) -> bool:
    """Once a user has confirmed a device, every login must be verified with it."""
    return user.is_authenticated and user_has_device(user, confirmed=True)


def totp_pending_device(*, user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device, made on first call (the secret the authenticator app is given)."""
    if not two_factor_offered(user):
        raise errors.PermissionDenied(errors.TWO_FACTOR_NOT_OFFERED)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in."""
    return base64.b32encode(device.bin_key).decode()


@transaction.atomic
def totp_enrol_confirm(*, user: User, token: str, request: HttpRequest | None = None) -> TOTPDevice:
    """Confirm the pending device with a code from the app; from then on the user's logins need a code."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise errors.ApplicationError(errors.TWO_FACTOR_NO_PENDING)
    if not device.verify_token(token.strip()):
        raise errors.ApplicationError(errors.TWO_FACTOR_WRONG_CODE)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()  # one device per person
    audit_append(
        action=AuditEvent.Action.TWO_FACTOR_ENROLLED, actor=user, after={"device": device.pk, **_client(request)}
    )
    if request is not None:
        otp_login(request, device)
    return device


def totp_verify(*, request: HttpRequest, token: str) -> None:
    """Check the code of a logged-in user's device and mark the session verified; a wrong code is audited."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None and device.verify_token(token.strip()):
        otp_login(request, device)
        return
    _append(action=AuditEvent.Action.TWO_FACTOR_FAILED, actor=user, after=_client(request))
    raise errors.ApplicationError(errors.TWO_FACTOR_WRONG_CODE)
