"""Two people acting on the same step at the same moment, from two real threads with their own connections.

The services lock the case row first, so the second act waits for the first to commit and then finds the step done
(or taken): exactly one wins, the case advances once, and the audit trail stays a single unbroken chain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from viewflow.workflow.models import Task

from cases import errors, services
from cases.audit import audit_verify
from cases.models import AuditEvent, Case, User
from cases.services import case_comment, task_claim, task_complete
from tests.builders import RT_CODE, RT_HAPPY_PATH, open_steps, open_tasks, start_vehicle_request

# serialized_rollback: the flush after a transactional test also empties the audit chain-head row that a data
# migration creates; restoring the migrated state before each test keeps audit_append working.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]

RACES = 5

TO_SERAH_TERIMA = RT_HAPPY_PATH[:3]


def case_at_serah_terima(org, sop_library, scan, n: int) -> Case:
    case = start_vehicle_request(
        org, sop_library[RT_CODE], scan, subject=f"Kendaraan untuk kegiatan {n}", jumlah_penumpang=2
    )
    for step, username, data in TO_SERAH_TERIMA:
        task = next(t for t in open_tasks(case) if t.flow_task.name == step)
        case = task_complete(task_id=task.pk, acting_user=org[username], data=dict(data))
    assert open_steps(case) == ["serah_terima"]
    return case


def race(acts: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run the acts in parallel threads released together by a barrier; return ("ok", value) / ("error", exc)."""
    barrier = threading.Barrier(len(acts))
    results: list[tuple[str, Any]] = [("missing", None)] * len(acts)

    def run(i: int, act: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so both threads reach the database together
            barrier.wait(timeout=30)
            results[i] = ("ok", act())
        except Exception as exc:  # noqa: BLE001 - the refusal is what the test inspects
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, act)) for i, act in enumerate(acts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    return results


def _winner_and_loser(results: list[tuple[str, Any]], users: list[User]) -> tuple[User, errors.ApplicationError]:
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    winner = next(u for (kind, _), u in zip(results, users, strict=True) if kind == "ok")
    refusal = next(value for kind, value in results if kind == "error")
    assert isinstance(refusal, errors.ApplicationError), repr(refusal)
    return winner, refusal


def test_two_drivers_completing_the_same_step_at_once_advance_the_case_exactly_once(org, sop_library, scan):
    drivers = [org["pengemudi1"], org["pengemudi2"]]
    for n in range(RACES):
        case = case_at_serah_terima(org, sop_library, scan, n)
        task = open_tasks(case)[0]
        assert task.owner_id is None  # queued for the Pengemudi position, held by both drivers

        results = race(
            [
                lambda user=user, km=km, pk=task.pk: task_complete(task_id=pk, acting_user=user, data={"km_awal": km})
                for user, km in zip(drivers, (1000 + n, 2000 + n), strict=True)
            ]
        )

        winner, refusal = _winner_and_loser(results, drivers)
        task.refresh_from_db()
        assert (task.status, task.owner_id) == ("DONE", winner.pk)
        assert str(refusal.message) in {
            str(errors.TASK_NOT_OPEN % {"status": task.get_status_display()}),
            str(errors.TASK_TAKEN % {"owner": winner}),
        }
        tasks = list(Task.objects.filter(process_id=case.process_id))
        assert [t.status for t in tasks if t.flow_task.name == "penggunaan"] == ["NEW"]
        assert [t.flow_task.name for t in tasks].count("serah_terima") == 1
        completed = AuditEvent.objects.filter(case=case, action="step_completed", step="serah_terima")
        assert list(completed.values_list("actor_id", flat=True)) == [winner.pk]
        case.refresh_from_db()
        winner_km = 1000 + n if winner == drivers[0] else 2000 + n
        assert (case.status, case.data["km_awal"]) == (Case.Status.ON_HOLD, winner_km)
        assert audit_verify() is None

    seqs = list(AuditEvent.objects.order_by("global_seq").values_list("global_seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_two_drivers_claiming_the_same_queued_step_at_once_leaves_one_owner(org, sop_library, scan):
    drivers = [org["pengemudi1"], org["pengemudi2"]]
    for n in range(RACES):
        case = case_at_serah_terima(org, sop_library, scan, n)
        task = open_tasks(case)[0]

        results = race([lambda user=user, pk=task.pk: task_claim(task_id=pk, acting_user=user) for user in drivers])

        winner, refusal = _winner_and_loser(results, drivers)
        assert str(refusal.message) == str(errors.TASK_TAKEN % {"owner": winner})
        task.refresh_from_db()
        assert (task.status, task.owner_id) == ("ASSIGNED", winner.pk)
        claimed = AuditEvent.objects.filter(case=case, action="step_claimed")
        assert list(claimed.values_list("actor_id", "step", "after")) == [
            (winner.pk, "serah_terima", {"owner": winner.pk})
        ]
        assert audit_verify() is None


def test_a_claim_and_a_completion_racing_on_one_step_let_exactly_one_through(org, sop_library, scan):
    claimer, completer = org["pengemudi1"], org["pengemudi2"]
    for n in range(RACES):
        case = case_at_serah_terima(org, sop_library, scan, n)
        task = open_tasks(case)[0]

        results = race(
            [
                lambda pk=task.pk: task_claim(task_id=pk, acting_user=claimer),
                lambda pk=task.pk: task_complete(task_id=pk, acting_user=completer, data={"km_awal": 7}),
            ]
        )

        winner, refusal = _winner_and_loser(results, [claimer, completer])
        task.refresh_from_db()
        if winner == claimer:
            assert (task.status, task.owner_id) == ("ASSIGNED", claimer.pk)
            assert str(refusal.message) == str(errors.TASK_TAKEN % {"owner": claimer})
            assert open_steps(case) == ["serah_terima"]
        else:
            assert (task.status, task.owner_id) == ("DONE", completer.pk)
            assert str(refusal.message) == str(errors.TASK_NOT_OPEN % {"status": task.get_status_display()})
            assert open_steps(case) == ["penggunaan"]
        acts = AuditEvent.objects.filter(case=case, step="serah_terima").exclude(action="case_started")
        assert list(acts.values_list("actor_id", flat=True)) == [winner.pk]
        assert audit_verify() is None


def test_acts_on_different_cases_at_once_all_succeed_and_keep_one_unbroken_chain(org, sop_library, scan):
    for n in range(RACES):
        at_handover = case_at_serah_terima(org, sop_library, scan, n)
        fresh = start_vehicle_request(
            org,
            sop_library[RT_CODE],
            scan,
            by="kasubbag.rt",
            subject=f"Kendaraan pool {n}",
            requester_name="Subbagian Rumah Tangga",
            derajat="segera",
            tujuan="Bandara Pattimura",
            tanggal_berangkat="2026-12-02T08:00",
            tanggal_kembali="2026-12-02T12:00",
            jumlah_penumpang=1,
        )
        handover, check = open_tasks(at_handover)[0], open_tasks(fresh)[0]
        events_before = AuditEvent.objects.count()

        results = race(
            [
                lambda pk=handover.pk: task_complete(task_id=pk, acting_user=org["pengemudi1"], data={"km_awal": 9}),
                lambda pk=check.pk: task_complete(
                    task_id=pk, acting_user=org["kasubbag.rt"], data={"_keputusan": "ya", "kendaraan": "DE 1 AM"}
                ),
                lambda pk=at_handover.pk, body=f"Komentar {n}": case_comment(
                    case_id=pk, acting_user=org["pemohon"], body=body
                ),
            ]
        )

        assert [kind for kind, _ in results] == ["ok", "ok", "ok"], results
        assert AuditEvent.objects.count() == events_before + 3
        assert audit_verify() is None
        for case in (at_handover, fresh):
            seqs = list(AuditEvent.objects.filter(case=case).order_by("case_seq").values_list("case_seq", flat=True))
            assert seqs == list(range(1, len(seqs) + 1))
    seqs = list(AuditEvent.objects.order_by("global_seq").values_list("global_seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_step_in_progress_does_not_hold_up_acts_on_other_cases_of_its_unit(org, sop_library, scan):
    """The services lock the case row (and its process row), not the unit or the SOP version the case reads: while
    one case is locked for a step, a comment on and a claim of another case of the same unit and SOP go through."""
    busy = case_at_serah_terima(org, sop_library, scan, 1)
    other = case_at_serah_terima(org, sop_library, scan, 2)
    assert (busy.unit_id, busy.sop_version_id) == (other.unit_id, other.sop_version_id)
    locked, release = threading.Event(), threading.Event()

    def hold_the_busy_case() -> None:
        with transaction.atomic():
            services._lock_case(busy.pk)  # as a comment, a cancellation or a disposition does
            services._lock_task(open_tasks(busy)[0].pk)  # as a step's claim, completion or reassignment does
            locked.set()
            release.wait(timeout=30)

    def act_on_the_other_case() -> str:
        assert locked.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # a wait for the busy case's locks fails instead of hanging
        try:
            case_comment(case_id=other.pk, acting_user=org["pengemudi1"], body="Siap berangkat pukul 08.00.")
            task_claim(task_id=open_tasks(other)[0].pk, acting_user=org["pengemudi1"])
        finally:
            release.set()
        return "done"

    results = race([hold_the_busy_case, act_on_the_other_case])
    assert results[1] == ("ok", "done"), results
    assert AuditEvent.objects.filter(case=other, action__in=["comment_added", "step_claimed"]).count() == 2
