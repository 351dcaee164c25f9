"""Confidential letters (tingkat keamanan R/SR): seen only by the positions they are addressed to, their requester and
creator, those who hold their steps, and auditors; never described in notifications or e-mails."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from cases.access import addressed_position_ids, can_view_case, is_auditor, member_unit_ids, visible_cases
from cases.models import Case, Notification, User
from cases.org import acting_positions
from tests.builders import ADM_CODE, RT_CODE, Walk, agenda_data, start_letter, start_vehicle_request
from workflows import escalation

pytestmark = pytest.mark.django_db

SECRET_SUBJECT = "Laporan hasil pemeriksaan khusus pengadaan kendaraan"


def seeing(case: Case, org: dict[str, User]) -> set[str]:
    return {name for name, user in org.items() if can_view_case(user, case)}


def confidential_letter_at_distribution(org, pos, version, scan) -> Case:
    """An R letter registered by agendaris1 and disposed by the Karo to the Kasubbag RT (another unit)."""
    walk = Walk(org, start_letter(org, version, subject=SECRET_SUBJECT, tingkat_keamanan="R"), "agendaris1")
    agd = {pos["agendaris1"]}
    walk.do("terima", "agendaris1", offered=agd, queue=True)
    walk.do("cek_alamat", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    walk.do(
        "agenda",
        "agendaris1",
        agenda_data(tingkat_keamanan="R"),
        {"pindaian_surat": scan("s.pdf")},
        offered=agd,
        queue=True,
    )
    walk.do("cek_rahasia", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    walk.do("kirim_tertutup", "agendaris1", offered=agd, queue=True)
    return walk.do(
        "disposisi",
        "karo",
        {"diteruskan_kepada": pos["kasubbag.rt"], "instruksi": ["untuk_diketahui"]},
        offered={pos["karo"]},
    )


def test_a_confidential_letter_is_seen_only_by_those_it_is_addressed_to_and_auditors(org, pos, sop_library, scan):
    version = sop_library[ADM_CODE]
    ordinary = start_letter(org, version)
    secret = start_letter(org, version, subject=SECRET_SUBJECT, tingkat_keamanan="R")
    # The whole chain above the letters desk reads an ordinary letter of its unit ...
    assert {"agendaris1", "agendaris2", "kasubbag.surat", "kabag.tu", "karo", "auditor"} <= seeing(ordinary, org)
    # ... but a confidential one only the desk it waits at (and its creator) and the auditor.
    assert seeing(secret, org) == {"agendaris1", "agendaris2", "auditor"}

    secret = confidential_letter_at_distribution(org, pos, version, scan)
    # Now also the Karo (its disposition step) and the Kasubbag RT it is disposed to, before any step of theirs;
    # still not the Kabag TU or the Kasubbag Persuratan above the letters desk.
    assert seeing(secret, org) == {"agendaris1", "agendaris2", "karo", "kasubbag.rt", "auditor"}
    assert pos["kasubbag.rt"] in addressed_position_ids(secret)
    assert secret not in visible_cases(org["kabag.tu"])


def test_the_query_and_the_per_case_rule_agree_for_every_person_and_case(org, pos, sop_library, scan):
    cases = [
        confidential_letter_at_distribution(org, pos, sop_library[ADM_CODE], scan),
        start_letter(org, sop_library[ADM_CODE], tingkat_keamanan="SR"),
        start_letter(org, sop_library[ADM_CODE]),
        start_vehicle_request(org, sop_library[RT_CODE], scan),
        start_vehicle_request(org, sop_library[RT_CODE], scan, tingkat_keamanan="R"),
    ]
    for user in org.values():
        acting = acting_positions(user)
        positions = {a.position_id for a in acting}
        visible = set(visible_cases(user).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
        for case in cases:
            owns_a_step = case.process.task_set.filter(owner=user).exists()
            expected = (
                is_auditor(user, acting)
                or user.pk in (case.requester_id, case.created_by_id)
                or owns_a_step
                or bool(positions & addressed_position_ids(case))
                or (not case.is_confidential and case.unit_id in member_unit_ids(acting))
            )
            assert (case.pk in visible) == expected, (user.username, case.reference)


def test_the_case_page_and_attachments_of_a_confidential_letter_are_refused_to_the_rest_of_the_unit(
    client, org, pos, sop_library, scan
):
    secret = confidential_letter_at_distribution(org, pos, sop_library[ADM_CODE], scan)
    attachment = secret.attachments.get()
    client.force_login(org["kabag.tu"])
    assert client.get(reverse("cases:case_detail", args=[secret.pk])).status_code == 404
    assert client.get(reverse("cases:attachment_download", args=[attachment.pk])).status_code == 404
    assert SECRET_SUBJECT not in client.get(reverse("cases:case_list")).content.decode()
    client.force_login(org["kasubbag.rt"])
    assert client.get(reverse("cases:case_detail", args=[secret.pk])).status_code == 200
    assert client.get(reverse("cases:attachment_download", args=[attachment.pk])).status_code == 200


def test_notifications_and_emails_of_a_confidential_letter_name_only_its_number(
    org, pos, sop_library, scan, django_capture_on_commit_callbacks
):
    for user in org.values():
        user.email = f"{user.username}@malukuprov.go.id"
        user.save(update_fields=["email"])
    secret = start_letter(org, sop_library[ADM_CODE], subject=SECRET_SUBJECT, tingkat_keamanan="SR")
    ordinary = start_letter(org, sop_library[ADM_CODE])
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(secret.created_at + datetime.timedelta(days=30), tick=False):
            assert escalation.sweep() > 0
    about_secret = Notification.objects.filter(case=secret)
    assert about_secret.exists()
    for note in about_secret:
        assert secret.reference in note.subject
        assert SECRET_SUBJECT not in note.subject + note.body
    assert any(ordinary.subject in n.body for n in Notification.objects.filter(case=ordinary))
    secret_mails = [m for m in mail.outbox if secret.reference in m.subject]
    assert secret_mails
    assert all(SECRET_SUBJECT not in m.subject + m.body for m in secret_mails)
