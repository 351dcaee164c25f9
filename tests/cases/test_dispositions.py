"""The disposition tree of BU-ADM-01 letters: from the Kepala Biro's disposition to several positions, down the
org chart level by level, and on an official's own initiative; the batas waktu feeds the recipients' step clocks."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from cases import errors
from cases.access import can_view_case
from cases.dispositions import disposition_tree, paraf_of
from cases.errors import ApplicationError, PermissionDenied
from cases.models import AuditEvent, Disposition, DispositionInstruction, Notification, Position
from cases.services import disposition_give
from tests.builders import MONDAY, open_tasks, wit
from tests.builders import case_state as state
from tests.builders import complete_as as complete
from workflows.forms import step_form_class
from workflows.models import SlaClock

pytestmark = pytest.mark.django_db


def test_the_karos_disposition_to_several_positions_is_a_tree_node_and_the_first_carries_the_follow_up(
    letter, org, pos
):
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {
            "diteruskan_kepada": [pos["kabag.rt"], pos["kabag.tu"]],
            "instruksi": ["proses_lebih_lanjut", "koordinasikan"],
            "catatan_disposisi": "Hadiri rapat dan koordinasikan dengan Bagian TU",
            "batas_waktu": "2026-11-27",
        })
    [root] = disposition_tree(letter)
    node = root.disposition
    assert (node.level, node.parent, node.initiative, node.step) == (1, None, False, "disposisi")
    assert node.from_position_id == pos["karo"]
    assert [r.position_id for r in node.addressed.all()] == [pos["kabag.rt"], pos["kabag.tu"]]
    assert sorted(node.instructions.values_list("code", flat=True)) == ["koordinasikan", "proses_lebih_lanjut"]
    assert node.due_date == datetime.date(2026, 11, 27)
    assert node.paraf == "JL"  # Drs. Johanis Latuconsina, M.Si.
    assert node.given_at == MONDAY
    event = AuditEvent.objects.get(case=letter, action="disposition_given")
    assert event.after["to"] == [pos["kabag.rt"], pos["kabag.tu"]] and event.after["due_date"] == "2026-11-27"
    # Both recipients are told and may open the letter; the follow-up goes to the first one only.
    told = set(Notification.objects.filter(case=letter, kind="disposition").values_list("recipient__username",
                                                                                       flat=True))
    assert told == {"kabag.rt", "kabag.tu"}
    assert can_view_case(org["kabag.tu"], letter)
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "agendaris1", org)  # distribusi
    [task] = open_tasks(letter)
    assert (task.flow_task.name, task.owner) == ("disposisi_lanjutan", org["kabag.rt"])


def test_a_recipient_disposes_further_down_and_the_follow_up_is_due_on_the_batas_waktu(letter, org, pos):
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]], "instruksi": ["proses_lebih_lanjut"],
                                       "batas_waktu": "2026-11-27"})
        complete(letter, "agendaris1", org)
        complete(letter, "kabag.rt", org, {"_keputusan": "ya", "diteruskan_kepada": [pos["kasubbag.rt"]],
                                           "instruksi": ["siapkan_jawaban"], "batas_waktu_lanjutan": "2026-11-26",
                                           "catatan_disposisi": "Siapkan bahan"})
        complete(letter, "kasubbag.rt", org, {"_keputusan": "tidak"})
    [root] = disposition_tree(letter)
    [child] = root.children
    assert (child.disposition.level, child.disposition.parent_id) == (2, root.disposition.pk)
    assert child.disposition.from_position_id == pos["kabag.rt"]
    assert [r.position_id for r in child.disposition.addressed.all()] == [pos["kasubbag.rt"]]
    assert child.disposition.due_date == datetime.date(2026, 11, 26)
    # tindak_lanjut follows the batas waktu of the disposition its doer received: Thursday's close of office,
    # not the 5 working days of an ordinary letter.
    [task] = open_tasks(letter)
    assert (task.flow_task.name, task.owner) == ("tindak_lanjut", org["kasubbag.rt"])
    assert SlaClock.objects.get(task=task).due_at == wit(2026, 11, 26, 16, 0)  # Mon–Thu offices close at 16.00


def test_without_a_batas_waktu_of_its_own_the_follow_up_inherits_the_one_from_above(letter, org, pos):
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]], "batas_waktu": "2026-11-25"})
        complete(letter, "agendaris1", org)
        complete(letter, "kabag.rt", org, {"_keputusan": "ya", "diteruskan_kepada": [pos["kasubbag.rt"]]})
        complete(letter, "kasubbag.rt", org, {"_keputusan": "tidak"})
    [task] = open_tasks(letter)
    assert SlaClock.objects.get(task=task).due_at == wit(2026, 11, 25, 16, 0)


def test_without_any_batas_waktu_the_follow_up_keeps_the_derajat_standard(letter, org, pos):
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]]})
        complete(letter, "agendaris1", org)
        complete(letter, "kabag.rt", org, {"_keputusan": "tidak"})
    [task] = open_tasks(letter)
    assert SlaClock.objects.get(task=task).due_at == wit(2026, 11, 30, 8, 0)  # biasa: 5 working days


def test_a_further_batas_waktu_later_than_the_one_received_is_refused_and_changes_nothing(letter, org, pos):
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]], "batas_waktu": "2026-11-25"})
        complete(letter, "agendaris1", org)
        before = state(letter)
        with pytest.raises(ApplicationError) as refused:
            complete(letter, "kabag.rt", org, {"_keputusan": "ya", "diteruskan_kepada": [pos["kasubbag.rt"]],
                                               "batas_waktu_lanjutan": "2026-11-27"})
    assert str(refused.value) == "Batas waktu tidak boleh melewati batas waktu yang Anda terima (25-11-2026)."
    assert state(letter) == before


def test_a_batas_waktu_in_the_past_is_refused_and_changes_nothing(letter, org, pos):
    with time_machine.travel(MONDAY, tick=False):
        before = state(letter)
        with pytest.raises(ApplicationError, match="tidak boleh sebelum hari ini"):
            complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]], "batas_waktu": "2026-11-20"})
    assert state(letter) == before


def test_the_checklist_is_kept_in_the_admin_and_a_retired_box_is_no_longer_offered(letter, org, pos):
    DispositionInstruction.objects.create(code="pantau", label="Pantau dan laporkan", order=95)
    DispositionInstruction.objects.filter(code="arsipkan").update(active=False)
    form = step_form_class(letter.sop_version.step("disposisi"))()
    offered = [value for value, _label in form.fields["instruksi"].choices]
    assert "pantau" in offered and "arsipkan" not in offered
    before = state(letter)
    with time_machine.travel(MONDAY, tick=False), pytest.raises(ApplicationError) as refused:
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]], "instruksi": ["arsipkan"]})
    assert "instruksi" in refused.value.errors
    assert state(letter) == before
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]], "instruksi": ["pantau"]})
    assert list(Disposition.objects.get(case=letter).instructions.values_list("label", flat=True)) == [
        "Pantau dan laporkan"]


def test_an_official_gives_a_disposisi_inisiatif_down_the_org_chart_without_moving_the_steps(letter, org, pos):
    arsiparis = Position.objects.get(pk=pos["arsiparis"])
    steps_before = [(t.flow_task.name, t.owner_id) for t in open_tasks(letter)]
    with time_machine.travel(MONDAY, tick=False):
        disposition = disposition_give(
            case_id=letter.pk, acting_user=org["kabag.tu"], recipients=[arsiparis],
            instructions=["untuk_diketahui"], note="Siapkan berkas pembanding", due_date=datetime.date(2026, 11, 24),
        )
    assert (disposition.initiative, disposition.level, disposition.parent, disposition.step) == (True, 1, None, "")
    assert disposition.from_position_id == pos["kabag.tu"]
    assert [(t.flow_task.name, t.owner_id) for t in open_tasks(letter)] == steps_before
    assert Notification.objects.filter(case=letter, recipient=org["arsiparis"], kind="disposition").exists()
    event = AuditEvent.objects.filter(case=letter).latest("case_seq")
    assert (event.action, event.actor, event.after["initiative"]) == ("disposition_given", org["kabag.tu"], True)


def test_a_recipient_outside_the_cases_unit_may_see_it_once_disposed_to(letter, org, pos):
    assert not can_view_case(org["teknisi"], letter)
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"]]})
        disposition_give(case_id=letter.pk, acting_user=org["kabag.rt"],
                         recipients=[Position.objects.get(pk=pos["teknisi"])], instructions=["hadiri_wakili"])
    assert can_view_case(org["teknisi"], letter)


def test_a_recipients_initiative_hangs_under_the_disposition_they_received(letter, org, pos):
    with time_machine.travel(MONDAY, tick=False):
        complete(letter, "karo", org, {"diteruskan_kepada": [pos["kabag.rt"], pos["kasubbag.rt"]],
                                       "batas_waktu": "2026-11-27"})
        driver = Position.objects.get(pk=pos["pengemudi1"])
        later = disposition_give(case_id=letter.pk, acting_user=org["kasubbag.rt"], recipients=[driver],
                                 instructions=["hadiri_wakili"])
    [root] = disposition_tree(letter)
    assert [c.disposition for c in root.children] == [later]
    assert later.level == 2


@pytest.mark.parametrize(
    ("username", "recipient", "options", "expected", "message"),
    [
        ("kabag.tu", "arsiparis", {"instructions": []}, None, None),  # the control: allowed
        ("kabag.tu", None, {}, ApplicationError, errors.DISPOSITION_NO_RECIPIENT),
        ("kabag.tu", "kabag.tu", {}, ApplicationError, errors.DISPOSITION_TO_SELF),
        ("kabag.tu", "teknisi", {}, ApplicationError, "bukan unit di bawah"),
        ("kabag.tu", "arsiparis", {"instructions": ["tidak_ada"]}, ApplicationError, "tidak_ada"),
        ("agendaris2", "arsiparis", {}, PermissionDenied, errors.DISPOSITION_NOT_OFFICIAL),
        ("auditor", "arsiparis", {}, PermissionDenied, errors.AUDITORS_READ_ONLY),
        ("pemohon", "arsiparis", {}, PermissionDenied, errors.NOT_ALLOWED),
    ],
)
def test_who_may_give_a_disposisi_inisiatif_and_to_whom(letter, org, pos, username, recipient, options, expected,
                                                        message):
    recipients = [Position.objects.get(pk=pos[recipient])] if recipient else []
    before = state(letter)
    call = {"case_id": letter.pk, "acting_user": org[username], "recipients": recipients, "instructions": [],
            **options}
    if expected is None:
        disposition_give(**call)
        assert Disposition.objects.filter(case=letter).count() == 1
        return
    with pytest.raises(expected) as refused:
        disposition_give(**call)
    assert str(message) in str(refused.value) or str(refused.value) == str(message)
    assert state(letter) == before


def test_paraf_is_the_initials_of_the_name_without_titles(org):
    assert paraf_of(org["karo"]) == "JL"
    assert paraf_of(org["kabag.rt"]) == "FS"  # Ir. Frans Sahetapy
    assert paraf_of(org["auditor"]) == "LM"  # Lukas Manuputty, S.E., Ak.
