"""Logins through the real login page: lockout after failed attempts, password rules, idle sessions, TOTP two-factor,
and every login, logout, lockout and refusal in the audit trail. Pages carry a Content-Security-Policy and no inline
script or style."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import errors
from cases.audit import audit_verify
from cases.demo import DEMO_PASSWORD
from cases.models import AuditEvent
from cases.security import totp_secret_base32
from tests.builders import RT_CODE, start_vehicle_request

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


def log_in(client, username: str, password: str = DEMO_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).select_related("actor").order_by("global_seq"))


def code_for(device: TOTPDevice) -> str:
    """The 6-digit code an authenticator app shows now (the travelled-to time) for the device's secret."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0):06d}"


def test_login_and_logout_are_in_the_audit_trail_with_the_address(client, org):
    assert log_in(client, "kasubbag.rt").status_code == 302
    client.post(reverse("logout"))
    [login], [logout] = events("login"), events("logout")
    assert (login.actor.username, login.case_id, login.after["ip"]) == ("kasubbag.rt", None, "127.0.0.1")
    assert logout.actor.username == "kasubbag.rt"
    assert audit_verify() is None


def test_five_failed_logins_lock_the_username_out_even_with_the_right_password_then(client, org):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, "kasubbag.rt", "wrong-password-123")
        assert response.status_code in (200, 429)
    locked = log_in(client, "kasubbag.rt")
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The failure that locked the pair out, and the attempt refused while locked.
    lockouts = events("login_locked_out")
    assert len(lockouts) == 2
    assert {(e.actor, e.after["username"], e.after["user"]) for e in lockouts} == {
        (None, "kasubbag.rt", org["kasubbag.rt"].pk)
    }
    assert not events("login")
    # Another person at the same address is not locked out.
    assert log_in(client, "kabag.rt").status_code == 302
    assert audit_verify() is None


def test_the_lockout_ends_after_the_cool_off(client, org):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, "kasubbag.rt", "wrong-password-123")
        assert log_in(client, "kasubbag.rt").status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1))
        assert log_in(client, "kasubbag.rt").status_code == 302


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Maluku-26", "setidaknya 12 karakter"),
        ("password1234", "terlalu umum"),
        ("202611230412", "seluruhnya terdiri dari angka"),
    ],
)
def test_weak_passwords_are_refused(password, fragment):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert fragment in " ".join(refused.value.messages)


def test_a_long_uncommon_password_is_accepted():
    validate_password("Siwalima-ambon-tanjung-2026")


def test_a_session_ends_after_thirty_minutes_without_a_request(client, org):
    idle = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "agendaris1")
        assert client.get(reverse("cases:inbox")).status_code == 200
        clock.shift(idle - datetime.timedelta(minutes=2))
        assert client.get(reverse("cases:inbox")).status_code == 200  # each request renews the session
        clock.shift(idle - datetime.timedelta(minutes=2))
        assert client.get(reverse("cases:inbox")).status_code == 200
        clock.shift(idle + datetime.timedelta(minutes=1))
        response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_a_refused_page_is_recorded_as_a_permission_denial(client, org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    log_in(client, "agendaris1")  # letters desk: not the vehicle pool, not the requester
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404
    [denial] = events("permission_denied")
    assert (denial.actor.username, denial.case_id) == ("agendaris1", None)
    assert denial.after["case"] == case.reference
    assert denial.after["what"] == reverse("cases:case_detail", args=[case.pk])
    assert audit_verify() is None


def test_a_refused_act_is_recorded_as_a_permission_denial(client, org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    log_in(client, "auditor")  # reads everything, changes nothing
    client.post(reverse("cases:case_comment", args=[case.pk]), {"body": "Catatan auditor"})
    [denial] = events("permission_denied")
    assert (denial.actor.username, denial.after["case"]) == ("auditor", case.reference)
    assert not case.comments.exists()


def test_a_head_of_unit_sets_up_two_factor_and_then_needs_a_code_at_every_login(client, org):
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, "kasubbag.rt")
        page = client.get(reverse("two_factor_setup"))
        assert page.status_code == 200
        assert 'src="data:image/svg+xml' in page.content.decode()
        device = TOTPDevice.objects.get(user=org["kasubbag.rt"], confirmed=False)
        assert totp_secret_base32(device) in page.content.decode()

        wrong = client.post(reverse("two_factor_setup"), {"token": "000000"}, follow=True)
        assert str(errors.TWO_FACTOR_WRONG_CODE) in wrong.content.decode()
        assert not TOTPDevice.objects.get(pk=device.pk).confirmed

        clock.shift(datetime.timedelta(seconds=61))  # past django-otp's throttle after a wrong code
        done = client.post(reverse("two_factor_setup"), {"token": code_for(device)})
        assert done.status_code == 302
        assert TOTPDevice.objects.get(pk=device.pk).confirmed
        [enrolled] = events("two_factor_enrolled")
        assert enrolled.actor == org["kasubbag.rt"]
        client.post(reverse("logout"))

        clock.shift(datetime.timedelta(minutes=5))
        log_in(client, "kasubbag.rt")
        held = client.get(reverse("cases:inbox"))
        assert held.status_code == 302
        assert held["Location"].startswith(reverse("two_factor_verify"))
        client.post(reverse("two_factor_verify"), {"token": "123456", "next": reverse("cases:inbox")})
        assert client.get(reverse("cases:queue")).status_code == 302
        [failed] = events("two_factor_failed")
        assert failed.actor == org["kasubbag.rt"]

        clock.shift(datetime.timedelta(seconds=61))
        passed = client.post(reverse("two_factor_verify"), {"token": code_for(device), "next": reverse("cases:queue")})
        assert (passed.status_code, passed["Location"]) == (302, reverse("cases:queue"))
        assert client.get(reverse("cases:inbox")).status_code == 200
    assert audit_verify() is None


def test_two_factor_is_offered_to_heads_auditors_and_admins_only(client, org):
    for username in ("kabag.tu", "auditor", "admin"):
        log_in(client, username)
        assert client.get(reverse("two_factor_setup")).status_code == 200, username
        client.post(reverse("logout"))
    log_in(client, "agendaris1")
    refused = client.get(reverse("two_factor_setup"), follow=True)
    assert str(errors.TWO_FACTOR_NOT_OFFERED) in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=org["agendaris1"]).exists()


def test_pages_carry_a_content_security_policy_and_no_inline_script_or_style(client, org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    anonymous = client.get(reverse("login"))
    log_in(client, "kasubbag.rt")
    pages = [anonymous] + [
        client.get(path)
        for path in (
            reverse("cases:inbox"),
            reverse("cases:queue"),
            reverse("cases:case_list"),
            reverse("cases:case_detail", args=[case.pk]),
            reverse("cases:catalogue"),
            reverse("cases:sop_detail", args=[RT_CODE]),
            reverse("cases:escalations"),
            reverse("cases:notifications"),
            reverse("two_factor_setup"),
        )
    ]
    diagram_css = client.get(reverse("cases:sop_diagram_css", args=[RT_CODE]))
    assert diagram_css["Content-Type"].startswith("text/css")
    assert "circle.event" in diagram_css.content.decode()
    for page in pages:
        assert page.status_code == 200
        policy = page["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert page["X-Frame-Options"] == "DENY"
        html = page.content.decode()
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
        assert "<style" not in html
        assert re.findall(r"\s(on[a-z]+|style)\s*=", html) == []
