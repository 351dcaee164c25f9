"""Who may do what on a BU-RT-01 case asked for by `pemohon` (case unit: Subbagian Rumah Tangga).

One row per (actor, action[, step]): an allowed act succeeds and appends exactly its audit event; a refused act
raises ApplicationError (PermissionDenied for most) and changes nothing at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from viewflow.workflow.models import Task

from cases import errors
from cases.access import can_view_case, visible_cases
from cases.models import AuditEvent, Case, Comment, User
from cases.services import (
    case_cancel,
    case_close,
    case_comment,
    task_claim,
    task_complete,
    task_reassign,
    task_release,
)
from tests.builders import ADM_CODE, RT_CODE, open_steps, start_letter, start_vehicle_request, task_at

pytestmark = pytest.mark.django_db

# The steps of a BU-RT-01 case in the order they happen on the good path, with who does them and their form.
RT_PATH: list[tuple[str, str, dict[str, Any]]] = [
    ("cek_ketersediaan", "kasubbag.rt", {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM"}),
    ("persetujuan", "kabag.rt", {"_keputusan": "setuju"}),
    ("surat_izin", "kasubbag.rt", {"nomor_surat_izin": "000.1.4/27/RT/2026", "pengemudi": "Benny"}),
    ("serah_terima", "pengemudi1", {"km_awal": 45210, "bbm_awal": "3/4", "stnk_lengkap": "on"}),
    ("penggunaan", "pengemudi1", {}),
    ("pengembalian", "pengemudi1", {"km_akhir": 45262, "bbm_akhir": "1/2"}),
    ("pemeriksaan", "kasubbag.rt", {"_keputusan": "tidak"}),
]
STEP_DATA = {step: data for step, _, data in RT_PATH}


def start_rt(org, sop_library, scan, username: str = "pemohon") -> Case:
    return start_vehicle_request(
        org, sop_library[RT_CODE], scan, by=username, subject="Kendaraan untuk monitoring ke Masohi"
    )


def start_adm(org, sop_library, username: str = "agendaris1") -> Case:
    return start_letter(org, sop_library[ADM_CODE], by=username)


def drive(case: Case, org, *, until: str | None) -> Case:
    """Complete the good path of a BU-RT-01 case up to (not including) `until`; None drives it to the end."""
    for step, username, data in RT_PATH:
        if step == until:
            break
        case = task_complete(task_id=task_at(case, step).pk, acting_user=org[username], data=dict(data))
    case.refresh_from_db()
    return case


def snapshot() -> dict[str, Any]:
    """Everything a refused act must leave untouched."""
    return {
        "events": list(AuditEvent.objects.order_by("pk").values_list("pk", "hash")),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        "cases": list(Case.objects.order_by("pk").values_list("pk", "status", "data")),
        "comments": list(Comment.objects.order_by("pk").values_list("pk", flat=True)),
    }


ALLOW, DENY = True, False

# (actor, action, step the action works on (task actions only), allowed?)
MATRIX: list[tuple[str, str, str | None, bool]] = [
    # view: the case's unit, its supervisors, the auditor and the requester; not another unit, not the admin.
    ("kasubbag.rt", "view", None, ALLOW),
    ("pengemudi1", "view", None, ALLOW),
    ("agendaris1", "view", None, DENY),
    ("kabag.rt", "view", None, ALLOW),
    ("karo", "view", None, ALLOW),
    ("auditor", "view", None, ALLOW),
    ("admin", "view", None, DENY),
    ("pemohon", "view", None, ALLOW),
    ("kabag.tu", "view", None, DENY),
    # claim a queued step (serah_terima is offered to the Pengemudi position, held by two drivers).
    ("pengemudi1", "claim", "serah_terima", ALLOW),
    ("kasubbag.rt", "claim", "serah_terima", DENY),
    ("agendaris1", "claim", "serah_terima", DENY),
    ("kabag.rt", "claim", "serah_terima", DENY),
    ("karo", "claim", "serah_terima", DENY),
    ("auditor", "claim", "serah_terima", DENY),
    ("admin", "claim", "serah_terima", DENY),
    ("pemohon", "claim", "serah_terima", DENY),
    # complete: only who the step is offered/assigned to.
    ("kasubbag.rt", "complete", "cek_ketersediaan", ALLOW),
    ("pengemudi1", "complete", "serah_terima", ALLOW),
    ("pengemudi1", "complete", "cek_ketersediaan", DENY),
    ("agendaris1", "complete", "cek_ketersediaan", DENY),
    ("agendaris1", "complete", "serah_terima", DENY),
    ("kabag.rt", "complete", "cek_ketersediaan", DENY),
    ("kabag.rt", "complete", "serah_terima", DENY),
    ("karo", "complete", "cek_ketersediaan", DENY),
    ("auditor", "complete", "cek_ketersediaan", DENY),
    ("auditor", "complete", "serah_terima", DENY),
    ("admin", "complete", "cek_ketersediaan", DENY),
    ("pemohon", "complete", "cek_ketersediaan", DENY),
    # reassign (to pengemudi2, with a reason): heads of the case's unit and the units above it.
    ("kasubbag.rt", "reassign", "serah_terima", ALLOW),
    ("kabag.rt", "reassign", "serah_terima", ALLOW),
    ("karo", "reassign", "serah_terima", ALLOW),
    ("pengemudi1", "reassign", "serah_terima", DENY),
    ("agendaris1", "reassign", "serah_terima", DENY),
    ("kabag.tu", "reassign", "serah_terima", DENY),
    ("auditor", "reassign", "serah_terima", DENY),
    ("admin", "reassign", "serah_terima", DENY),
    ("pemohon", "reassign", "serah_terima", DENY),
    # comment: whoever may read the case, except the read-only auditor.
    ("kasubbag.rt", "comment", None, ALLOW),
    ("pengemudi1", "comment", None, ALLOW),
    ("agendaris1", "comment", None, DENY),
    ("kabag.rt", "comment", None, ALLOW),
    ("karo", "comment", None, ALLOW),
    ("auditor", "comment", None, DENY),
    ("admin", "comment", None, DENY),
    ("pemohon", "comment", None, ALLOW),
    # cancel: a supervisor of the case's unit, or the requester.
    ("kasubbag.rt", "cancel", None, ALLOW),
    ("pengemudi1", "cancel", None, DENY),
    ("agendaris1", "cancel", None, DENY),
    ("kabag.rt", "cancel", None, ALLOW),
    ("karo", "cancel", None, ALLOW),
    ("kabag.tu", "cancel", None, DENY),
    ("auditor", "cancel", None, DENY),
    ("admin", "cancel", None, DENY),
    ("pemohon", "cancel", None, ALLOW),
    # close a resolved case: supervisors only (not the requester).
    ("kasubbag.rt", "close", None, ALLOW),
    ("pengemudi1", "close", None, DENY),
    ("agendaris1", "close", None, DENY),
    ("kabag.rt", "close", None, ALLOW),
    ("karo", "close", None, ALLOW),
    ("kabag.tu", "close", None, DENY),
    ("auditor", "close", None, DENY),
    ("admin", "close", None, DENY),
    ("pemohon", "close", None, DENY),
    # start BU-ADM-01: only the intake desk (AGD).
    ("agendaris1", "start_adm01", None, ALLOW),
    ("kasubbag.rt", "start_adm01", None, DENY),
    ("pengemudi1", "start_adm01", None, DENY),
    ("kabag.rt", "start_adm01", None, DENY),
    ("karo", "start_adm01", None, DENY),
    ("auditor", "start_adm01", None, DENY),
    ("admin", "start_adm01", None, DENY),
    ("pemohon", "start_adm01", None, DENY),
    # start BU-RT-01: open to requesters (anyone but the read-only auditor) and to its intake desk (KRT).
    ("pemohon", "start_rt01", None, ALLOW),
    ("kasubbag.rt", "start_rt01", None, ALLOW),
    ("pengemudi1", "start_rt01", None, ALLOW),
    ("agendaris1", "start_rt01", None, ALLOW),
    ("kabag.rt", "start_rt01", None, ALLOW),
    ("karo", "start_rt01", None, ALLOW),
    ("auditor", "start_rt01", None, DENY),
]


def _row_id(row: tuple[str, str, str | None, bool]) -> str:
    actor, action, step, allowed = row
    return "-".join(p for p in (actor, action, step, "allowed" if allowed else "denied") if p)


def _case_for(action: str, step: str | None, org, sop_library, scan) -> Case:
    case = start_rt(org, sop_library, scan)
    if action == "close":
        case = drive(case, org, until=None)
        assert case.status == Case.Status.RESOLVED
    elif step is not None:
        case = drive(case, org, until=step)
        assert step in open_steps(case)
    return case


def _perform(action: str, user: User, case: Case, step: str | None, org, sop_library, scan) -> str:
    """Do `action` as `user`; return the audit action an allowed act must append."""
    if action == "claim":
        task_claim(task_id=task_at(case, step).pk, acting_user=user)
        return "step_claimed"
    if action == "complete":
        task_complete(task_id=task_at(case, step).pk, acting_user=user, data=dict(STEP_DATA[step]))
        return "step_completed"
    if action == "reassign":
        task_reassign(
            task_id=task_at(case, step).pk,
            acting_user=user,
            to_user=org["pengemudi2"],
            note="Pengemudi 1 sedang bertugas ke luar kota",
        )
        return "step_reassigned"
    if action == "comment":
        case_comment(case_id=case.pk, acting_user=user, body="Mohon dipercepat.")
        return "comment_added"
    if action == "cancel":
        case_cancel(case_id=case.pk, acting_user=user, reason="Kegiatan dibatalkan")
        return "case_cancelled"
    if action == "close":
        case_close(case_id=case.pk, acting_user=user, note="Selesai")
        return "case_closed"
    if action == "start_adm01":
        start_adm(org, sop_library, user.username)
        return "case_started"
    if action == "start_rt01":
        start_rt(org, sop_library, scan, user.username)
        return "case_started"
    raise AssertionError(action)


def _assert_effect(action: str, user: User, case: Case, step: str | None, org, before: dict[str, Any]) -> None:
    case.refresh_from_db()
    if action in ("claim", "reassign"):
        task = Task.objects.get(pk=_task_pk(case, step, before))
        expected = user if action == "claim" else org["pengemudi2"]
        assert task.owner_id == expected.pk
        assert task.status == "ASSIGNED"
    elif action == "complete":
        assert Task.objects.get(pk=_task_pk(case, step, before)).status == "DONE"
        assert step not in open_steps(case)
    elif action == "comment":
        assert list(Comment.objects.filter(case=case).values_list("author_id", "body")) == [
            (user.pk, "Mohon dipercepat.")
        ]
    elif action == "cancel":
        assert case.status == Case.Status.CANCELLED
        assert open_steps(case) == []
    elif action == "close":
        assert case.status == Case.Status.CLOSED
    else:
        new_cases = Case.objects.exclude(pk__in=[pk for pk, *_ in before["cases"]])
        code = "BU-ADM-01" if action == "start_adm01" else "BU-RT-01"
        assert [(c.sop_version.code, c.created_by_id, c.status) for c in new_cases] == [
            (code, user.pk, Case.Status.OPEN)
        ]


def _task_pk(case: Case, step: str, before: dict[str, Any]) -> int:
    """The task of `step` that was open before the act (it may be done now)."""
    open_before = {pk for pk, status, _ in before["tasks"] if status in ("NEW", "ASSIGNED")}
    tasks = [t for t in Task.objects.filter(pk__in=open_before, process_id=case.process_id) if t.flow_task.name == step]
    assert len(tasks) == 1
    return tasks[0].pk


@pytest.mark.parametrize(("actor", "action", "step", "allowed"), MATRIX, ids=[_row_id(r) for r in MATRIX])
def test_role_action_matrix(org, sop_library, scan, actor, action, step, allowed):
    case = _case_for(action, step, org, sop_library, scan)
    assert case.unit.code == "subbag-rt"
    assert case.requester == org["pemohon"]
    user = org[actor]

    if action == "view":
        assert can_view_case(user, case) is allowed
        assert visible_cases(user).filter(pk=case.pk).exists() is allowed
        return

    before = snapshot()
    if allowed:
        audit_action = _perform(action, user, case, step, org, sop_library, scan)
        new_events = AuditEvent.objects.exclude(pk__in=[pk for pk, _ in before["events"]])
        assert list(new_events.values_list("action", "actor_id")) == [(audit_action, user.pk)]
        _assert_effect(action, user, case, step, org, before)
    else:
        with pytest.raises(errors.ApplicationError):
            _perform(action, user, case, step, org, sop_library, scan)
        assert snapshot() == before


def test_the_auditor_reads_cases_of_every_unit_but_every_change_is_refused(org, sop_library, scan):
    auditor = org["auditor"]
    queued = drive(start_rt(org, sop_library, scan), org, until="serah_terima")
    resolved = drive(start_rt(org, sop_library, scan), org, until=None)
    letter = start_adm(org, sop_library)  # a case of Subbagian Persuratan, another unit again
    assert letter.unit.code == "subbag-persuratan"

    assert set(visible_cases(auditor)) == {queued, resolved, letter}
    assert all(can_view_case(auditor, c) for c in (queued, resolved, letter))

    serah_terima = task_at(queued, "serah_terima")
    terima = task_at(letter, "terima")
    task_claim(task_id=serah_terima.pk, acting_user=org["pengemudi1"])
    before = snapshot()
    attempts = [
        lambda: task_claim(task_id=terima.pk, acting_user=auditor),
        lambda: task_complete(task_id=terima.pk, acting_user=auditor, data={}),
        lambda: task_complete(task_id=serah_terima.pk, acting_user=auditor, data={"km_awal": 1}),
        lambda: task_release(task_id=serah_terima.pk, acting_user=auditor),
        lambda: task_reassign(task_id=serah_terima.pk, acting_user=auditor, to_user=org["pengemudi2"], note="x"),
        lambda: task_reassign(task_id=serah_terima.pk, acting_user=auditor, to_user=None, note="x"),
        lambda: case_comment(case_id=queued.pk, acting_user=auditor, body="Catatan pemeriksa"),
        lambda: case_comment(case_id=letter.pk, acting_user=auditor, body="Catatan pemeriksa"),
        lambda: case_cancel(case_id=queued.pk, acting_user=auditor, reason="x"),
        lambda: case_cancel(case_id=letter.pk, acting_user=auditor, reason="x"),
        lambda: case_close(case_id=resolved.pk, acting_user=auditor),
        lambda: start_rt(org, sop_library, scan, "auditor"),
        lambda: start_adm(org, sop_library, "auditor"),
    ]
    for attempt in attempts:
        with pytest.raises(errors.ApplicationError):
            attempt()
        assert snapshot() == before


def test_staff_of_another_unit_see_their_own_cases_but_not_this_one(org, sop_library, scan):
    rt_case = start_rt(org, sop_library, scan)
    letter = start_adm(org, sop_library)
    assert set(visible_cases(org["agendaris1"])) == {letter}
    assert set(visible_cases(org["kasubbag.rt"])) == {rt_case}
    assert set(visible_cases(org["pemohon"])) == {rt_case}
    assert set(visible_cases(org["karo"])) == {rt_case, letter}
    assert list(visible_cases(org["admin"])) == []
    with pytest.raises(errors.PermissionDenied):
        case_comment(case_id=rt_case.pk, acting_user=org["agendaris1"], body="Salah kamar")


# --- reassign and release --------------------------------------------------------------------------------------------


def test_supervisor_reassigns_a_claimed_step_within_the_subtree_and_the_reason_is_audited(org, sop_library, scan):
    case = drive(start_rt(org, sop_library, scan), org, until="serah_terima")
    task = task_claim(task_id=task_at(case, "serah_terima").pk, acting_user=org["pengemudi1"])

    task_reassign(task_id=task.pk, acting_user=org["kabag.rt"], to_user=org["pengemudi2"], note="Pengemudi 1 sakit")

    task.refresh_from_db()
    assert (task.owner_id, task.status) == (org["pengemudi2"].pk, "ASSIGNED")
    event = AuditEvent.objects.filter(case=case).latest("global_seq")
    assert (event.action, event.actor_id, event.step, event.note) == (
        "step_reassigned",
        org["kabag.rt"].pk,
        "serah_terima",
        "Pengemudi 1 sakit",
    )
    assert (event.before, event.after) == ({"owner": org["pengemudi1"].pk}, {"owner": org["pengemudi2"].pk})
    # The new owner can now do the step; the old one no longer can.
    with pytest.raises(errors.ApplicationError):
        task_complete(task_id=task.pk, acting_user=org["pengemudi1"], data={"km_awal": 1})
    task_complete(task_id=task.pk, acting_user=org["pengemudi2"], data={"km_awal": 1})
    assert open_steps(case) == ["penggunaan"]


def test_supervisor_can_send_a_step_back_to_the_queue(org, sop_library, scan):
    case = start_rt(org, sop_library, scan)
    task = task_at(case, "cek_ketersediaan")
    assert task.owner == org["kasubbag.rt"]  # the only KRT: assigned directly

    task_reassign(task_id=task.pk, acting_user=org["karo"], to_user=None, note="Ditangani bersama")

    task.refresh_from_db()
    assert (task.owner_id, task.status) == (None, "NEW")
    event = AuditEvent.objects.filter(case=case).latest("global_seq")
    assert (event.action, event.actor_id, event.after, event.note) == (
        "step_reassigned",
        org["karo"].pk,
        {"owner": None},
        "Ditangani bersama",
    )


@pytest.mark.parametrize(
    ("supervisor", "target"),
    [("kabag.rt", "agendaris1"), ("kasubbag.rt", "kabag.rt"), ("kabag.rt", "auditor"), ("kabag.rt", "admin")],
)
def test_reassign_to_a_person_outside_the_supervisors_subtree_is_refused(org, sop_library, scan, supervisor, target):
    case = drive(start_rt(org, sop_library, scan), org, until="serah_terima")
    task = task_at(case, "serah_terima")
    before = snapshot()

    with pytest.raises(errors.ApplicationError) as refused:
        task_reassign(task_id=task.pk, acting_user=org[supervisor], to_user=org[target], note="Dialihkan")

    assert refused.value.message == errors.REASSIGN_TARGET_OUTSIDE % {"user": org[target]}
    assert snapshot() == before


@pytest.mark.parametrize("note", ["", "   \n"])
def test_reassign_without_a_reason_is_refused(org, sop_library, scan, note):
    case = drive(start_rt(org, sop_library, scan), org, until="serah_terima")
    task = task_at(case, "serah_terima")
    before = snapshot()

    with pytest.raises(errors.ApplicationError) as refused:
        task_reassign(task_id=task.pk, acting_user=org["kabag.rt"], to_user=org["pengemudi2"], note=note)

    assert refused.value.message == errors.REASON_REQUIRED
    assert snapshot() == before


def test_release_puts_a_claimed_step_back_in_the_queue(org, sop_library, scan):
    case = drive(start_rt(org, sop_library, scan), org, until="serah_terima")
    task = task_claim(task_id=task_at(case, "serah_terima").pk, acting_user=org["pengemudi1"])
    with pytest.raises(errors.ApplicationError):
        task_claim(task_id=task.pk, acting_user=org["pengemudi2"])
    before = snapshot()
    with pytest.raises(errors.PermissionDenied):
        task_release(task_id=task.pk, acting_user=org["pengemudi2"])  # not theirs to release
    assert snapshot() == before

    task_release(task_id=task.pk, acting_user=org["pengemudi1"])

    task.refresh_from_db()
    assert (task.owner_id, task.status) == (None, "NEW")
    event = AuditEvent.objects.filter(case=case).latest("global_seq")
    assert (event.action, event.actor_id, event.before, event.after) == (
        "step_released",
        org["pengemudi1"].pk,
        {"owner": org["pengemudi1"].pk},
        {"owner": None},
    )
    task_claim(task_id=task.pk, acting_user=org["pengemudi2"])
    task.refresh_from_db()
    assert task.owner_id == org["pengemudi2"].pk
