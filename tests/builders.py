"""Builders shared by the test modules: intake data, starting cases, small lookups and the step-by-step `Walk` driver.

Plain functions and constants only; the fixtures (`org`, `sop_library`, `pos`, `scan`) live in tests/conftest.py.
A module that needs a variant of an intake passes overrides instead of copying the data.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Task

from cases.audit import audit_verify
from cases.errors import ApplicationError
from cases.models import Attachment, AuditEvent, Case, Disposition, Notification, Position, PositionHolding, User
from cases.services import case_start, task_claim, task_complete
from workflows.models import SopVersion, TaskOffer
from workflows.services import sop_library_load

WIT = ZoneInfo("Asia/Jayapura")
# Monday 23 November 2026, 08:00 WIT: the morning the test letters reach the Kepala Biro.
MONDAY = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=WIT)

RT_CODE = "BU-RT-01"
ADM_CODE = "BU-ADM-01"

# A BU-RT-01 vehicle request by `pemohon` (Rina Pelupessy, S.IP.), as the intake form sends it.
RT_INTAKE: dict[str, Any] = {
    "subject": "Kendaraan untuk monitoring ke Kabupaten Maluku Tengah",
    "requester_name": "Rina Pelupessy, S.IP.",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "tujuan": "Masohi",
    "tanggal_berangkat": "2026-12-01T08:00",
    "tanggal_kembali": "2026-12-01T15:00",
    "jumlah_penumpang": 3,
}

# A BU-ADM-01 incoming letter from the Dinas Perhubungan, registered by the agendaris.
ADM_INTAKE: dict[str, Any] = {
    "subject": "Undangan rapat evaluasi kendaraan dinas",
    "requester_name": "Dinas Perhubungan",
    "derajat": "segera",
    "tingkat_keamanan": "B",
    "asal_surat": "Dinas Perhubungan",
    "nomor_surat": "000.1.4/112/DISHUB/2026",
    "tanggal_surat": "2026-11-20",
    "media": "fisik",
}

# (step, who, data) of the BU-RT-01 path without damage; the drivers' steps are completed straight from the queue.
RT_HAPPY_PATH: list[tuple[str, str, dict[str, Any]]] = [
    ("cek_ketersediaan", "kasubbag.rt", {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM"}),
    ("persetujuan", "kabag.rt", {"_keputusan": "setuju"}),
    ("surat_izin", "kasubbag.rt", {"nomor_surat_izin": "000.1.4/27/RT/2026"}),
    ("serah_terima", "pengemudi1", {"km_awal": 45210}),
    ("penggunaan", "pengemudi1", {}),
    ("pengembalian", "pengemudi1", {"km_akhir": 45262}),
    ("pemeriksaan", "kasubbag.rt", {"_keputusan": "tidak"}),
]


def start_vehicle_request(
    org: dict[str, User],
    version: SopVersion,
    scan: Callable[[str], SimpleUploadedFile],
    *,
    by: str = "pemohon",
    **overrides: Any,
) -> Case:
    """Start a BU-RT-01 case as `by` with a nota dinas attached.

    The intake is RT_INTAKE with the requester's name set to `by`'s, then changed by `overrides`.
    """
    user = org[by]
    return case_start(
        sop_version=version,
        acting_user=user,
        data={**RT_INTAKE, "requester_name": str(user), **overrides},
        files={"nota_dinas": scan("nota-dinas.pdf")},
    )


def start_letter(
    org: dict[str, User],
    version: SopVersion,
    *,
    by: str = "agendaris1",
    omit: tuple[str, ...] = (),
    **overrides: Any,
) -> Case:
    """Register a BU-ADM-01 incoming letter as `by`: ADM_INTAKE without the `omit` fields, changed by `overrides`."""
    data = {key: value for key, value in ADM_INTAKE.items() if key not in omit}
    return case_start(sop_version=version, acting_user=org[by], data={**data, **overrides})


def agenda_data(**overrides: Any) -> dict[str, Any]:
    """The form of the BU-ADM-01 `agenda` step (the scan goes in the files), changed by `overrides`."""
    return {
        "nomor_agenda": "0412",
        "kode_klasifikasi": "000.1.4",
        "tingkat_keamanan": "T",
        "derajat": "sangat_segera",
        "ringkasan": "Undangan rapat evaluasi penggunaan kendaraan dinas tahun 2026",
        **overrides,
    }


def appoint_plh(
    user: User, position: Position, valid_from: datetime.date, valid_until: datetime.date | None = None
) -> PositionHolding:
    """Make `user` Plh (daily executive) of `position` from `valid_from` to `valid_until` (None: no end)."""
    return PositionHolding.objects.create(
        user=user, position=position, kind=PositionHolding.Kind.PLH, valid_from=valid_from, valid_until=valid_until
    )


def open_tasks(case: Case) -> list[Task]:
    """The case's open human steps, oldest first."""
    return list(
        Task.objects.filter(
            process_id=case.process_id, flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"]
        ).order_by("pk")
    )


def open_steps(case: Case) -> list[str]:
    """The names of the case's open human steps, oldest first."""
    return [t.flow_task.name for t in open_tasks(case)]


def task_at(case: Case, step: str) -> Task:
    """The one open task of `step` on the case."""
    tasks = [t for t in open_tasks(case) if t.flow_task.name == step]
    assert len(tasks) == 1, (step, open_steps(case))
    return tasks[0]


def position_of(user: User) -> int:
    """The pk of the position `user` holds."""
    return PositionHolding.objects.get(user=user).position_id


def offered_positions(task: Task) -> set[int]:
    """The pks of the positions the task is offered to."""
    return set(TaskOffer.objects.filter(task=task).values_list("position_id", flat=True))


def visited(case: Case) -> list[str]:
    """Human steps and the end reached, in the order the flow created them."""
    tasks = Task.objects.filter(process_id=case.process_id, flow_task_type__in=["HUMAN", "END"]).order_by("pk")
    return [t.flow_task.name for t in tasks]


class Walk:
    """Drives one case step by step, checking each step's routing, and records the acts for the audit check.

    The case given must be just started (by `starter`); it is checked to be open.
    """

    def __init__(self, org: dict[str, User], case: Case, starter: str):
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN
        assert case.closed_at is None
        self.org = org
        self.case = case
        # (action, step, actor, on behalf of) of every audit event the case should have, in order.
        self.acts: list[tuple[str, str, str, str | None]] = [("case_started", "", starter, None)]

    def do(
        self,
        step: str,
        username: str,
        data: dict | None = None,
        files: dict | None = None,
        *,
        offered: set[int],
        queue: bool = False,
        claim: bool = False,
        on_behalf_of: str | None = None,
        status_after: str = Case.Status.OPEN,
    ) -> Case:
        """Complete `step`, the one open step, as `username` (claiming it first if `claim`).

        Checks that it is offered to the `offered` positions and waits in the queue (`queue`) or in the user's inbox,
        and that the case is in `status_after` afterwards.
        """
        tasks = open_tasks(self.case)
        assert [t.flow_task.name for t in tasks] == [step]
        task = tasks[0]
        user = self.org[username]
        assert offered_positions(task) == offered, f"{step} offered to the wrong positions"
        if queue:
            assert (task.owner_id, task.status) == (None, "NEW"), f"{step} should wait in the queue"
        else:
            assert (task.owner_id, task.status) == (user.pk, "ASSIGNED"), f"{step} should be in {username}'s inbox"
        if claim:
            task_claim(task_id=task.pk, acting_user=user)
            self.acts.append(("step_claimed", step, username, on_behalf_of))
            task.refresh_from_db()
            assert (task.owner_id, task.status) == (user.pk, "ASSIGNED")
        disposition = self.case.sop_version.step(step).get("disposition")
        self.case = task_complete(task_id=task.pk, acting_user=user, data=data or {}, files=files)
        if disposition and (data or {}).get(disposition["to"]):
            self.acts.append(("disposition_given", step, username, on_behalf_of))
        self.acts.append(("step_completed", step, username, on_behalf_of))
        self.case.refresh_from_db()
        if self.case.status == Case.Status.RESOLVED and self.case.sop_version.definition.get("skm"):
            if self.case.requester_id is not None:  # a service SOP: the requester is sent the satisfaction survey
                self.acts.append(("survey_offered", "", username, None))
        assert self.case.status == status_after
        if status_after in Case.OPEN_STATUSES:
            assert self.case.closed_at is None
        return self.case

    def assert_audit_trail(self) -> None:
        """The case's audit events are exactly the recorded acts, numbered 1.., and the whole trail verifies."""
        events = list(AuditEvent.objects.filter(case=self.case).order_by("case_seq"))
        actual = [
            (e.action, e.step, e.actor.username, e.on_behalf_of.username if e.on_behalf_of_id else None) for e in events
        ]
        assert actual == self.acts
        assert [e.case_seq for e in events] == list(range(1, len(events) + 1))
        assert audit_verify() is None


def assert_refused_without_change(walk: Walk, user: User, data: dict, files: dict | None, field: str) -> None:
    """Completing the walk's one open step as `user` is refused for `field`, and nothing changes at all."""
    [task] = open_tasks(walk.case)
    events_before = AuditEvent.objects.filter(case=walk.case).count()
    attachments_before = Attachment.objects.filter(case=walk.case).count()
    case_before = Case.objects.get(pk=walk.case.pk)
    with pytest.raises(ApplicationError) as refused:
        task_complete(task_id=task.pk, acting_user=user, data=data, files=files)
    assert field in refused.value.errors
    after = Case.objects.get(pk=walk.case.pk)
    assert after.data == case_before.data
    assert (after.status, after.nomor_agenda, after.derajat, after.tingkat_keamanan) == (
        case_before.status,
        case_before.nomor_agenda,
        case_before.derajat,
        case_before.tingkat_keamanan,
    )
    assert AuditEvent.objects.filter(case=walk.case).count() == events_before
    assert Attachment.objects.filter(case=walk.case).count() == attachments_before
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.status, fresh.owner_id) == (task.status, task.owner_id)
    assert open_tasks(walk.case) == [task]


# ---- Aset / BMD (BU-AS-01 .. BU-AS-06) ----------------------------------------------------------------------------

AS01_CODE = "BU-AS-01"
AS02_CODE = "BU-AS-02"
AS03_CODE = "BU-AS-03"
AS04_CODE = "BU-AS-04"
AS05_CODE = "BU-AS-05"
AS06_CODE = "BU-AS-06"

# The case columns every intake form takes (and a parent passes on to a child case).
AS_COLUMNS: dict[str, Any] = {
    "subject": "Pemeliharaan Toyota Innova DE 1234 AM",
    "requester_name": "Subbagian Perlengkapan dan Aset",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
}


def subcase_walk(org: dict[str, User], child: Case, opener: str) -> Walk:
    """A Walk over a child case opened by a parent's subcase step: its first audit event is `opened_as_subcase`,
    recorded as done by `opener` (the user whose act on the parent opened it)."""
    walk = Walk(org, child, opener)
    walk.acts[0] = ("opened_as_subcase", "", opener, None)
    return walk


def expect_join(walk: Walk, step: str, username: str) -> None:
    """Record in the parent's walk that the last child of its subcase step `step` finished, by `username`'s act."""
    walk.case.refresh_from_db()
    walk.acts.append(("subcases_joined", step, username, None))


# ---- BU-ADM-02, driven both by its own walks and as the reply sub-case of BU-ADM-01 ------------------------------

ADM02_CODE = "BU-ADM-02"


def reply_letter_sent(
    walk: Walk,
    pos: dict[str, int],
    scan: Callable[[str], SimpleUploadedFile],
    *,
    konseptor: str,
    kabag: str,
    konseptor_queue: bool = False,
) -> Case:
    """Drive a BU-ADM-02 case standing at `konsep` along its straight path to `selesai` (resolved).

    `konseptor` drafts (from the queue if `konseptor_queue`), the Kasubbag Persuratan initials and names `kabag` as
    the Kabag terkait, who initials too; the Karo signs; the agendaris numbers and sends; the archivist files.
    """
    agd = {pos["agendaris1"]}
    walk.do(
        "konsep",
        konseptor,
        {"tujuan_surat": "Kepala Dinas Perhubungan Provinsi Maluku", "kode_klasifikasi": "000.1.4"},
        {"konsep_surat": scan("konsep.pdf")},
        offered={pos[konseptor]},
        queue=konseptor_queue,
    )
    walk.do(
        "paraf_ktu", "kasubbag.surat", {"_keputusan": "paraf", "kabag_terkait": pos[kabag]},
        offered={pos["kasubbag.surat"]},
    )
    walk.do("paraf_kabag", kabag, {"_keputusan": "paraf"}, offered={pos[kabag]})
    walk.do("tanda_tangan", "karo", {"_keputusan": "setuju", "cara_tanda_tangan": "tte"}, offered={pos["karo"]})
    walk.do(
        "penomoran", "agendaris1",
        {"nomor_surat_keluar": "000.1.4/215/UM/2026", "tanggal_surat_keluar": "2026-11-24"},
        offered=agd, queue=True,
    )
    walk.do(
        "kirim", "agendaris2", {"media_kirim": "srikandi"}, {"bukti_kirim": scan("bukti-kirim.pdf")},
        offered=agd, queue=True,
    )
    return walk.do("arsip", "arsiparis", offered={pos["arsiparis"]}, queue=True, status_after=Case.Status.RESOLVED)


def agendaris_sop(code: str, title: str, body: str, *, service_area: str = "administrasi_umum") -> str:
    """The text of a small SOP run by the agendaris desk (role AGD, which starts it): the identity block the engine
    tests share, then `body` (start, steps and any other top-level keys)."""
    return (
        f"code: {code}\nrevision: 1\ntitle: {title}\nservice_area: {service_area}\n"
        "identity:\n"
        "  nomor: 000.8.3.3/99/UM\n"
        '  tanggal_pembuatan: "2026-01-15"\n'
        '  tanggal_efektif: "2026-02-02"\n'
        "  disahkan_oleh: {jabatan: Kepala Biro Umum}\n"
        "  dasar_hukum: [Peraturan Menteri PANRB Nomor 35 Tahun 2012]\n"
        "owner_role: AGD\nroles:\n  AGD: {name: Agendaris}\nintake: {roles: [AGD]}\n" + body
    )


def load_sop_text(directory: Path, code: str, text: str) -> SopVersion:
    """Write one SOP file into `directory`, register it, and return its version (failing on any problem)."""
    (directory / f"{code}.yaml").write_text(text, encoding="utf-8")
    result = sop_library_load(directory=directory)
    assert not result.failed, [str(p) for f in result.failed for p in f.problems]
    return SopVersion.objects.get(code=code, is_current=True)


def complete_as(case: Case, username: str, org: dict[str, User], data: dict | None = None,
                files: dict | None = None) -> Case:
    """Complete the case's first open step as `username`."""
    return task_complete(task_id=open_tasks(case)[0].pk, acting_user=org[username], data=data or {}, files=files)


def letter_at_disposition(org: dict[str, User], sop_library: dict[str, SopVersion], scan: Callable) -> Case:
    """An ordinary BU-ADM-01 letter registered (agenda 0412, KKA 000.1.4) and reviewed: it waits for the Kepala
    Biro's disposition."""
    case = case_start(sop_version=sop_library[ADM_CODE], acting_user=org["agendaris1"],
                      data={**ADM_INTAKE, "derajat": "biasa"})
    complete_as(case, "agendaris1", org)
    complete_as(case, "agendaris1", org, {"_keputusan": "ya"})
    complete_as(case, "agendaris1", org, agenda_data(derajat="biasa"), {"pindaian_surat": scan("surat.pdf")})
    complete_as(case, "agendaris1", org, {"_keputusan": "tidak"})
    complete_as(case, "kasubbag.surat", org)
    complete_as(case, "kabag.tu", org)
    assert open_tasks(case)[0].flow_task.name == "disposisi"
    return case


def wit(*args: int) -> datetime.datetime:
    """A moment in Maluku's time zone (WIT), where the demo Biro Umum works."""
    return datetime.datetime(*args, tzinfo=WIT)


def case_state(case: Case) -> tuple:
    """What a refused act must leave as it was: the case's data and status, its dispositions, events, notifications
    and open steps."""
    case.refresh_from_db()
    return (case.data, case.status, Disposition.objects.filter(case=case).count(),
            AuditEvent.objects.filter(case=case).count(), Notification.objects.filter(case=case).count(),
            [(t.flow_task.name, t.status) for t in open_tasks(case)])


# A one-step SOP of the agendaris with a one-hour standard, for escalations.
ESCALATION_SOP = agendaris_sop("BU-TS-08", "Contoh eskalasi", """\
start: catat
steps:
  - {id: catat, actor: AGD, kegiatan: Mencatat surat, waktu: 1h, next: selesai}
  - {id: selesai, type: end, kegiatan: Selesai, outcome: resolved}
""")
