"""One benchmark on the database DATABASE_URL points to: `python -m bench.measure NAME --runs N` prints JSON samples
(seconds per run) for each variant. bench/run.py runs these against the small and the large database and reports.

Every run leaves the database as it found it (rolled back), except `step`, which starts cases of its own.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from viewflow.workflow.models import Task  # noqa: E402

from cases.demo import pdf_stub  # noqa: E402
from cases.models import Case, User  # noqa: E402
from workflows.models import SlaClock, SopVersion  # noqa: E402

Samples = dict[str, list[float]]

RT_INTAKE = {
    "subject": "Kendaraan untuk monitoring ke Kabupaten Maluku Tengah",
    "requester_name": "Rina Pelupessy, S.IP.",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "tujuan": "Masohi",
    "tanggal_berangkat": "2026-12-01T08:00",
    "tanggal_kembali": "2026-12-01T15:00",
    "jumlah_penumpang": 3,
}
FIRST_STEP = {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM"}


def timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


class Rollback(Exception):
    pass


def rolled_back(run: Callable[[], Any]) -> Callable[[], Any]:
    """`run` inside a transaction that is then rolled back."""

    def wrapped() -> None:
        with transaction.atomic():
            run()
            transaction.set_rollback(True)

    return wrapped


# Step cost: CEPAT's task_complete, the same rows by hand-written SQL, and a plain viewflow flow ---------------------


def _start_rt_case(pemohon: User) -> Case:
    from cases.services import case_start

    version = SopVersion.objects.get(code="BU-RT-01", is_current=True)
    return case_start(
        sop_version=version, acting_user=pemohon, data=RT_INTAKE, files={"nota_dinas": pdf_stub("nota.pdf")}
    )


def _floor_sql(case: Case, task: Task, user: User, next_owner: int, next_position: int) -> None:
    """Write by hand the rows completing the first BU-RT-01 step writes: the case's data, the step done and its
    clock stopped, the decision, the gateway and the next step with its offer and clock, one audit event chained
    after the case's last and the chain head. One transaction, no ORM."""
    now = timezone.now()
    flow_ref = task.flow_task.flow_class and str(Task.objects.values_list("flow_task", flat=True).get(pk=task.pk))
    prefix = flow_ref.rsplit(".", 1)[0]
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT id FROM cases_case WHERE id = %s FOR UPDATE", [case.pk])
        c.execute(
            "UPDATE cases_case SET data = data || %s::jsonb WHERE id = %s",
            [json.dumps({"kendaraan": FIRST_STEP["kendaraan"]}), case.pk],
        )
        c.execute(
            "UPDATE workflows_slaclock SET state = 'stopped', stopped_at = %s, next_rung_at = NULL, "
            "ledger = jsonb_build_array(jsonb_build_array(ledger->0->>0, %s::text)) WHERE task_id = %s",
            [now, now.isoformat(), task.pk],
        )
        c.execute(
            "UPDATE viewflow_process SET data = jsonb_set(data, '{decisions}', %s::jsonb) WHERE id = %s",
            [json.dumps({"cek_ketersediaan": "ya"}), case.process_id],
        )
        c.execute(
            "UPDATE viewflow_task SET status = 'DONE', started = %s, finished = %s WHERE id = %s", [now, now, task.pk]
        )
        c.execute(
            "INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, finished, token, process_id, data) "
            "VALUES (%s, 'SWITCH', 'DONE', %s, %s, 'start', %s, '{}'), "
            "(%s, 'HUMAN', 'ASSIGNED', %s, NULL, 'start', %s, '{}') RETURNING id",
            [
                f"{prefix}.cek_ketersediaan__decision",
                now,
                now,
                case.process_id,
                f"{prefix}.persetujuan",
                now,
                case.process_id,
            ],
        )
        switch_id, next_id = (row[0] for row in c.fetchall())
        c.execute("UPDATE viewflow_task SET owner_id = %s, assigned = %s WHERE id = %s", [next_owner, now, next_id])
        c.execute(
            "INSERT INTO viewflow_task_previous (from_task_id, to_task_id) VALUES (%s, %s), (%s, %s)",
            [switch_id, task.pk, next_id, switch_id],
        )
        c.execute("INSERT INTO workflows_taskoffer (task_id, position_id) VALUES (%s, %s)", [next_id, next_position])
        c.execute(
            "INSERT INTO workflows_slaclock (case_id, task_id, kind, budget, warn_percent, started_at, ledger, state, "
            "due_at, warn_at, next_rung, next_rung_at) VALUES (%s, %s, 'step', '1h', 75, %s, %s, 'running', %s, %s, "
            "0, %s)",
            [
                case.pk,
                next_id,
                now,
                json.dumps([[now.isoformat(), None]]),
                now + datetime.timedelta(hours=1),
                now + datetime.timedelta(minutes=45),
                now + datetime.timedelta(minutes=45),
            ],
        )
        c.execute("SELECT last_seq, last_hash FROM cases_auditchainhead WHERE id = 1 FOR UPDATE")
        last_seq, last_hash = c.fetchone()
        c.execute(
            "SELECT case_seq, hash FROM cases_auditevent WHERE case_id = %s ORDER BY case_seq DESC LIMIT 1", [case.pk]
        )
        case_seq, case_hash = c.fetchone()
        after = {
            "status": "open",
            "owner": user.pk,
            "data": {"kendaraan": FIRST_STEP["kendaraan"]},
            "decision": "ya",
            "next_steps": ["persetujuan"],
            "end": "",
            "subcases": [],
        }
        payload = json.dumps(
            {"seq": last_seq + 1, "case": case.pk, "after": after, "prev": last_hash, "case_prev": case_hash},
            sort_keys=True,
        )
        digest = hashlib.sha256(payload.encode()).hexdigest()
        c.execute(
            "INSERT INTO cases_auditevent (case_id, global_seq, case_seq, at, actor_id, action, step, before, after, "
            "note, attachment_hashes, case_prev_hash, global_prev_hash, hash) VALUES (%s, %s, %s, %s, %s, "
            "'step_completed', 'cek_ketersediaan', %s, %s, '', '[]', %s, %s, %s)",
            [
                case.pk,
                last_seq + 1,
                case_seq + 1,
                now,
                user.pk,
                json.dumps({"status": "open", "owner": user.pk}),
                json.dumps(after),
                case_hash,
                last_hash,
                digest,
            ],
        )
        c.execute("UPDATE cases_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1", [last_seq + 1, digest])


def bench_step(runs: int) -> Samples:
    from bench.flows import VehicleRequestFlow
    from cases.services import task_complete

    users = {u.username: u for u in User.objects.filter(username__in=["pemohon", "kasubbag.rt", "kabag.rt"])}
    samples: Samples = {"cepat": [], "sql": [], "viewflow": []}
    owners = {
        "cek_ketersediaan": users["kasubbag.rt"].pk,
        "persetujuan": users["kabag.rt"].pk,
        "surat_izin": users["kasubbag.rt"].pk,
    }
    for index in range(runs + 3):  # the first three runs warm up (compiled flows, caches)
        cepat_case, floor_case = _start_rt_case(users["pemohon"]), _start_rt_case(users["pemohon"])
        process = VehicleRequestFlow.start.run(_process_data={"owners": owners})
        cepat_task = Task.objects.get(process_id=cepat_case.process_id, flow_task_type="HUMAN")
        floor_task = Task.objects.select_related("process").get(
            process_id=floor_case.process_id, flow_task_type="HUMAN"
        )
        plain_task = Task.objects.select_related("process").get(process_id=process.pk, flow_task_type="HUMAN")
        position = cepat_task.offers.values_list("position_id", flat=True).first()

        def cepat(task: Task = cepat_task) -> None:
            task_complete(task_id=task.pk, acting_user=users["kasubbag.rt"], data=FIRST_STEP)

        def floor(case: Case = floor_case, task: Task = floor_task, position: int = position) -> None:
            _floor_sql(case, task, users["kasubbag.rt"], users["kabag.rt"].pk, position)

        def plain(plain_task: Task = plain_task) -> None:
            with transaction.atomic():
                task = Task.objects.select_related("process").get(pk=plain_task.pk)
                with VehicleRequestFlow.lock(task.process_id):
                    task.process.data.setdefault("decisions", {})["cek_ketersediaan"] = "ya"
                    task.process.save(update_fields=["data"])
                    activation = task.flow_task.activation_class(task)
                    activation.start(None)
                    activation.execute()

        # Alternate the order so that neither variant always runs on a warmer cache.
        order = [("cepat", cepat), ("sql", floor), ("viewflow", plain)]
        for name, run in order[index % 3 :] + order[: index % 3]:
            elapsed = timed(run)
            if index >= 3:
                samples[name].append(elapsed)
    return samples


# Inbox and unit queue ------------------------------------------------------------------------------------------------


def _busiest(queue: bool) -> User:
    """The user with the most open steps in their inbox (or, for the queue, most offered unassigned steps)."""
    from workflows.models import TaskOffer

    if queue:
        from cases.models import PositionHolding

        position = (
            TaskOffer.objects.filter(task__status="NEW", task__owner__isnull=True)
            .values("position")
            .annotate(n=django.db.models.Count("pk"))
            .order_by("-n")
            .first()["position"]
        )
        return PositionHolding.objects.filter(position_id=position).select_related("user").first().user
    owner = (
        Task.objects.filter(status="ASSIGNED", flow_task_type="HUMAN")
        .values("owner")
        .annotate(n=django.db.models.Count("pk"))
        .order_by("-n")
        .first()["owner"]
    )
    return User.objects.get(pk=owner)


def bench_pages(runs: int) -> dict[str, Any]:
    samples: Samples = {}
    info: dict[str, Any] = {}
    for name, url, queue in (("inbox", "/", False), ("queue", "/antrean/", True)):
        user = _busiest(queue)
        client = Client()
        client.force_login(user)
        for _ in range(3):
            client.get(url)
        queries: list[str] = []

        def count(execute: Callable[..., Any], sql: str, *rest: Any, queries: list[str] = queries) -> Any:
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        samples[name] = [timed(lambda url=url, client=client: client.get(url)) for _ in range(runs)]
        info[name] = {"user": user.username, "queries": len(queries), "bytes": len(response.content)}
    return {"samples": samples, "info": info, "cases": Case.objects.count()}


# Escalation sweep ----------------------------------------------------------------------------------------------------

DUE_CLOCKS = 100


def bench_sweep(runs: int) -> dict[str, Any]:
    """Make DUE_CLOCKS running step clocks of open steps due (their step started 20 days before `then`) and sweep at
    `then`, ten days ago, so that no other clock is due; rolled back after each run."""
    from workflows.escalation import sweep

    then = timezone.now() - datetime.timedelta(days=10)
    started = then - datetime.timedelta(days=20)
    clock_ids = list(
        SlaClock.objects.filter(state="running", kind="step", case__status="open", task__status__in=["NEW", "ASSIGNED"])
        .order_by("pk")
        .values_list("pk", flat=True)[:DUE_CLOCKS]
    )
    samples: Samples = {"per_clock": []}
    fired_counts = []
    for index in range(runs + 1):
        with transaction.atomic():
            SlaClock.objects.filter(pk__in=clock_ids).update(
                started_at=started,
                ledger=[[started.isoformat(), None]],
                next_rung=0,
                next_rung_at=then - datetime.timedelta(days=1),
            )
            begin = time.perf_counter()
            fired = sweep(now=then)
            elapsed = time.perf_counter() - begin
            transaction.set_rollback(True)
        if index:
            samples["per_clock"].append(elapsed / len(clock_ids))
            fired_counts.append(fired)
    return {
        "samples": samples,
        "info": {"clocks": len(clock_ids), "rungs_fired": fired_counts[0]},
        "cases": Case.objects.count(),
    }


# PDF: the case history of 500 events against WeasyPrint on the same finished HTML ------------------------------------

HISTORY_EVENTS = 500


def bench_pdf(runs: int) -> dict[str, Any]:
    from weasyprint import HTML

    from cases.services import case_comment
    from reports.case_history import case_history_html, case_history_pdf

    auditor = User.objects.get(username="auditor")
    agendaris = User.objects.get(username="agendaris1")
    samples: Samples = {"history": [], "weasyprint": []}
    with transaction.atomic():
        case = Case.objects.filter(sop_version__code="BU-ADM-01").order_by("pk").first()
        have = case.events.count()
        for index in range(HISTORY_EVENTS - have):
            case_comment(case_id=case.pk, acting_user=agendaris, body=f"Catatan tindak lanjut nomor {index + 1}.")
        if case.events.count() != HISTORY_EVENTS:
            raise RuntimeError("the case should have exactly HISTORY_EVENTS events")
        html = case_history_html(case=case, code="BENCH0000000", printed_by=auditor, printed_at=timezone.now())
        HTML(string=html).write_pdf()  # warm up fonts and WeasyPrint
        for _ in range(runs):
            samples["history"].append(timed(rolled_back(lambda: case_history_pdf(case=case, acting_user=auditor))))
            samples["weasyprint"].append(timed(lambda: HTML(string=html).write_pdf()))
        pages = len(HTML(string=html).render().pages)
        transaction.set_rollback(True)
    samples.update(_lembar_disposisi(runs, auditor))
    return {"samples": samples, "info": {"events": HISTORY_EVENTS, "pages": pages}}


def _lembar_disposisi(runs: int, user: User) -> Samples:
    """The lembar disposisi of a letter with a disposition, against WeasyPrint on the same finished HTML."""
    from weasyprint import HTML

    from cases.models import Disposition
    from reports.lembar_disposisi import lembar_disposisi_html, lembar_disposisi_pdf

    case = Disposition.objects.filter(case__sop_version__code="BU-ADM-01").order_by("pk").first().case
    html = lembar_disposisi_html(case=case, code="BENCH0000000", printed_by=user, printed_at=timezone.now())
    HTML(string=html).write_pdf()
    samples: Samples = {"lembar": [], "lembar_weasyprint": []}
    for _ in range(runs):
        samples["lembar"].append(timed(rolled_back(lambda: lembar_disposisi_pdf(case=case, acting_user=user))))
        samples["lembar_weasyprint"].append(timed(lambda: HTML(string=html).write_pdf()))
    return samples


# The SOP AP document: rendered on every request (before) against read from the storage (after) --------------------


def bench_sopdoc(runs: int) -> dict[str, Any]:
    from reports.pdf_cache import sop_document_cached
    from reports.sop_document import sop_document_pdf

    version = SopVersion.objects.get(code="BU-RT-01", is_current=True)
    sop_document_cached(version=version)  # stored (and fonts warm)
    samples: Samples = {
        "render": [timed(lambda: sop_document_pdf(version=version)) for _ in range(max(3, runs // 4))],
        "stored": [timed(lambda: sop_document_cached(version=version)) for _ in range(runs)],
    }
    return {"samples": samples}


# A session for the HTTP benchmark ------------------------------------------------------------------------------------


def http_session(username: str) -> dict[str, Any]:
    """A logged-in session cookie for `username` (saved in the database the server reads)."""
    client = Client()
    user = _busiest(False) if username == "-" else User.objects.get(username=username)
    client.force_login(user)
    response = client.get("/")
    return {"cookie": client.cookies["sessionid"].value, "user": user.username, "bytes": len(response.content)}


BENCHES = {"step": bench_step, "pages": bench_pages, "sweep": bench_sweep, "pdf": bench_pdf, "sopdoc": bench_sopdoc}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=[*BENCHES, "session"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--user", default="-")
    args = parser.parse_args()
    result = http_session(args.user) if args.name == "session" else BENCHES[args.name](args.runs)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
