"""The escalation ladder on a controlled clock: early warning, escalation to the atasan langsung and the next level up,
each exactly once, with pauses, stops, extensions, per-step policies and stand-ins for the supervisor.

The org chart is the demo one: the agendaris (two holders share the position) sit in Subbagian Persuratan, whose head
(kasubbag.surat) is their atasan langsung; above her is the Kepala Bagian Tata Usaha (kabag.tu), then the Kepala Biro.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.audit import audit_verify
from cases.models import AuditEvent, Case, Delegation, Notification, Position
from cases.services import case_cancel, case_start, task_complete
from tests.builders import appoint_plh, open_tasks
from workflows import escalation, sla
from workflows.models import ClockRung, Escalation, Holiday, SlaClock, SopVersion
from workflows.services import sop_library_load

pytestmark = pytest.mark.django_db
WIT = ZoneInfo("Asia/Jayapura")

IDENTITY = """\
identity:
  nomor: 000.8.3.3/98/UM
  tanggal_pembuatan: "2026-01-15"
  tanggal_efektif: "2026-02-02"
  disahkan_oleh: {jabatan: Kepala Biro Umum}
  dasar_hukum: [Peraturan Menteri PANRB Nomor 35 Tahun 2012]
"""

# No SOP-wide policy: the default ladder, except the step `kirim`, which has its own.
DEFAULT_LADDER_SOP = f"""\
code: BU-TS-08
revision: 1
title: Contoh tangga eskalasi
service_area: administrasi_umum
{IDENTITY}
owner_role: AGD
roles:
  AGD: {{name: Agendaris}}
  KARO: {{name: Kepala Biro Umum}}
intake: {{roles: [AGD]}}
start: telaah
case_deadline: derajat
steps:
  - {{id: telaah, actor: AGD, kegiatan: Menelaah surat masuk, waktu: 4h, next: tunggu}}
  - {{id: tunggu, type: pause, actor: AGD, kegiatan: Menunggu tanda tangan Sekda, waiting_on: Sekda, next: kirim}}
  - id: kirim
    actor: AGD
    kegiatan: Mengirim surat
    waktu: 2h
    escalation:
      warn_at_percent: 50
      levels:
        - {{at_percent: 100, to: KARO}}
    next: selesai
  - {{id: selesai, type: end, kegiatan: Selesai, outcome: resolved}}
"""

# An SOP-wide policy that differs from the default ladder.
SOP_POLICY_SOP = f"""\
code: BU-TS-09
revision: 1
title: Contoh eskalasi SOP
service_area: administrasi_umum
{IDENTITY}
owner_role: AGD
roles:
  AGD: {{name: Agendaris}}
intake: {{roles: [AGD]}}
start: telaah
escalation:
  warn_at_percent: 60
  levels:
    - {{at_percent: 100, to: atasan_langsung}}
    - {{at_percent: 150, to: atasan_berikutnya}}
steps:
  - {{id: telaah, actor: AGD, kegiatan: Menelaah surat masuk, waktu: 4h, next: selesai}}
  - {{id: selesai, type: end, kegiatan: Selesai, outcome: resolved}}
"""

MONDAY = (2026, 11, 23)  # a Monday; no holidays in the test calendar unless a test adds one


def wit(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=WIT)


def monday(hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return wit(*MONDAY, hour, minute, second)


@pytest.fixture
def versions(db, tmp_path) -> dict[str, SopVersion]:
    (tmp_path / "BU-TS-08.yaml").write_text(DEFAULT_LADDER_SOP, encoding="utf-8")
    (tmp_path / "BU-TS-09.yaml").write_text(SOP_POLICY_SOP, encoding="utf-8")
    result = sop_library_load(directory=tmp_path)
    assert not result.failed, [str(p) for f in result.failed for p in f.problems]
    return {v.code: v for v in result.registered}


def start(org, version: SopVersion, at: datetime.datetime, derajat: str = "biasa") -> Case:
    with time_machine.travel(at, tick=False):
        return case_start(
            sop_version=version,
            acting_user=org["agendaris1"],
            data={
                "subject": "Undangan rapat koordinasi",
                "requester_name": "Sekretariat DPRD",
                "derajat": derajat,
                "tingkat_keamanan": "B",
            },
        )


def complete(case: Case, org, at: datetime.datetime, step: str) -> None:
    task = next(t for t in open_tasks(case) if t.flow_task.name == step)
    with time_machine.travel(at, tick=False):
        task_complete(task_id=task.pk, acting_user=org["agendaris1"], data={})


def sweep_at(at: datetime.datetime) -> int:
    with time_machine.travel(at, tick=False):
        return escalation.sweep()


def step_clock(case: Case, step: str) -> SlaClock:
    return next(c for c in case.clocks.filter(kind="step") if c.task.flow_task.name == step)


def case_clock(case: Case) -> SlaClock:
    return case.clocks.get(kind="case")


def fired(clock: SlaClock) -> list[int]:
    return list(ClockRung.objects.filter(clock=clock).order_by("rung").values_list("rung", flat=True))


def escalated_to(clock: SlaClock) -> list[tuple[int, int]]:
    """(rung, position) of each escalation of the clock."""
    return list(
        Escalation.objects.filter(rung__clock=clock).order_by("rung__rung").values_list("rung__rung", "position_id")
    )


def notified(case: Case, kind: str) -> list[str]:
    return sorted(n.recipient.username for n in Notification.objects.filter(case=case, kind=kind))


def events(case: Case) -> list[tuple[str, str, int]]:
    return [
        (e.action, e.step, e.after["rung"])
        for e in AuditEvent.objects.filter(case=case, action__startswith="sla_").order_by("case_seq")
    ]


def test_the_default_ladder_warns_at_75_percent_escalates_at_100_and_at_one_more_working_day_each_exactly_once(
    org, pos, versions
):
    case = start(org, versions["BU-TS-08"], monday(8))
    clock = step_clock(case, "telaah")
    # 4 office hours from 08:00: due at 12:00; the warning at 3 hours; 200% (Tuesday 08:30) is earlier than one more
    # working day, which counts from 13:00 (12:00 starts the break: a start outside office time counts from the next
    # opening), so Tuesday 13:00.
    assert (clock.due_at, clock.warn_at) == (monday(12), monday(11))
    assert (clock.next_rung, clock.next_rung_at) == (0, monday(11))

    assert sweep_at(monday(10, 59, 59)) == 0
    assert fired(clock) == []

    assert sweep_at(monday(11)) == 1
    assert sweep_at(monday(11, 30)) == 0
    assert fired(clock) == [0]
    assert notified(case, "sla_warning") == ["agendaris1", "agendaris2"]  # the step waits in their queue
    clock.refresh_from_db()
    assert (clock.next_rung, clock.next_rung_at) == (1, monday(12))

    assert sweep_at(monday(12)) == 1
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"])]
    assert notified(case, "sla_escalation") == ["kasubbag.surat"]
    escalated = Escalation.objects.get(rung__clock=clock)
    assert (escalated.case, escalated.task_id, escalated.state, escalated.decision) == (case, clock.task_id, "open", "")
    clock.refresh_from_db()
    assert (clock.next_rung, clock.next_rung_at) == (2, wit(2026, 11, 24, 13, 0))

    assert sweep_at(wit(2026, 11, 24, 12, 59)) == 0
    assert sweep_at(wit(2026, 11, 24, 13, 0)) == 1
    for _ in range(3):
        assert sweep_at(wit(2026, 11, 25, 9, 0)) == 0
    assert fired(clock) == [0, 1, 2]
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"]), (2, pos["kabag.tu"])]
    assert notified(case, "sla_escalation") == ["kabag.tu", "kasubbag.surat"]
    assert notified(case, "sla_warning") == ["agendaris1", "agendaris2"]
    clock.refresh_from_db()
    assert (clock.next_rung, clock.next_rung_at) == (3, None)

    assert events(case) == [
        ("sla_warning", "telaah", 0),
        ("sla_escalated", "telaah", 1),
        ("sla_escalated", "telaah", 2),
    ]
    escalated_event = AuditEvent.objects.get(case=case, action="sla_escalated", after__rung=1)
    assert escalated_event.actor is None
    assert escalated_event.after["position"] == pos["kasubbag.surat"]
    assert escalated_event.after["to"] == "atasan_langsung"
    assert audit_verify() is None


def test_a_sweep_after_an_outage_fires_every_missed_rung_once_in_order(org, pos, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    clock = step_clock(case, "telaah")
    assert sweep_at(wit(2026, 11, 24, 15, 0)) == 3  # the dispatcher was down all of Monday and Tuesday morning
    assert sweep_at(wit(2026, 11, 24, 15, 0)) == 0
    assert fired(clock) == [0, 1, 2]
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"]), (2, pos["kabag.tu"])]
    assert [e[2] for e in events(case)] == [0, 1, 2]


def test_the_owner_of_a_claimed_step_and_their_leave_substitute_get_the_warning(org, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    task = open_tasks(case)[0]
    task.owner = org["agendaris1"]
    task.status = "ASSIGNED"
    task.save(update_fields=["owner", "status"])
    Delegation.objects.create(
        delegator=org["agendaris1"],
        substitute=org["arsiparis"],
        valid_from=datetime.date(*MONDAY),
        valid_until=datetime.date(2026, 11, 27),
        reason="Cuti tahunan",
    )
    sweep_at(monday(11))
    assert notified(case, "sla_warning") == ["agendaris1", "arsiparis"]


def test_the_case_clock_goes_to_the_unit_head_then_above_at_200_percent_when_that_is_later_than_a_working_day(
    org, pos, versions
):
    org["kabag.tu"].language = "en"
    org["kabag.tu"].save(update_fields=["language"])
    case = start(org, versions["BU-TS-08"], monday(8))
    clock = case_clock(case)
    # Biasa: 5 working days (37.5 office hours): due next Monday 08:00; 75% = 28h 7.5m, Thursday 14:37:30.
    assert (clock.due_at, clock.warn_at) == (wit(2026, 11, 30, 8, 0), wit(2026, 11, 26, 14, 37, 30))

    sweep_at(wit(2026, 11, 30, 8, 0))
    assert fired(clock) == [0, 1]
    # The case's open step waits in the agendaris' queue (who also had that step's own warning); the case is
    # Subbagian Persuratan's, headed by its Kasubbag.
    assert notified(case, "sla_warning") == ["agendaris1", "agendaris1", "agendaris2", "agendaris2"]
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"])]
    assert escalated_to(step_clock(case, "telaah")) == [(1, pos["kasubbag.surat"]), (2, pos["kabag.tu"])]

    # 200% is another 37.5 office hours after the due moment, Monday 7 December 08:00: later than one working day.
    clock.refresh_from_db()
    assert clock.next_rung_at == wit(2026, 12, 7, 8, 0)
    sweep_at(wit(2026, 12, 7, 7, 59))
    assert fired(clock) == [0, 1]
    sweep_at(wit(2026, 12, 7, 8, 0))
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"]), (2, pos["kabag.tu"])]
    note = Notification.objects.filter(case=case, kind="sla_escalation", recipient=org["kabag.tu"]).latest("pk")
    assert note.subject == f"Overdue: case {case.reference} needs your decision"
    assert note.body.startswith(f"Case {case.reference} (Undangan rapat koordinasi) was due 2026-11-30 08:00 WIT")
    assert [(a, s, r) for a, s, r in events(case) if s == ""] == [
        ("sla_warning", "", 0),
        ("sla_escalated", "", 1),
        ("sla_escalated", "", 2),
    ]


def test_a_paused_clock_fires_nothing_and_its_rungs_move_by_the_office_time_paused(org, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    clock = case_clock(case)
    assert clock.next_rung_at == wit(2026, 11, 26, 14, 37, 30)

    complete(case, org, monday(9), "telaah")  # into the pause: waiting for the Sekda
    clock.refresh_from_db()
    assert (clock.state, clock.next_rung_at) == ("paused", None)
    assert sweep_at(wit(2026, 11, 26, 15, 0)) == 0  # the warning moment of the running clock has passed
    assert sweep_at(wit(2026, 11, 30, 9, 0)) == 0  # and so has its due moment
    assert fired(clock) == []

    complete(case, org, wit(2026, 11, 27, 9, 0), "tunggu")  # Friday: back after 30 office hours (4 working days)
    clock.refresh_from_db()
    assert clock.state == "running"
    assert clock.due_at == wit(2026, 12, 4, 8, 0)
    assert (clock.next_rung, clock.next_rung_at) == (0, wit(2026, 12, 2, 14, 37, 30))

    sweep_at(wit(2026, 12, 2, 14, 37))
    assert fired(clock) == []
    sweep_at(wit(2026, 12, 2, 14, 38))
    assert fired(clock) == [0]
    clock.refresh_from_db()
    assert clock.next_rung_at == wit(2026, 12, 4, 8, 0)


def test_a_stopped_clock_fires_nothing(org, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    telaah = step_clock(case, "telaah")
    complete(case, org, monday(10), "telaah")  # done before its warning
    telaah.refresh_from_db()
    assert (telaah.state, telaah.next_rung_at) == ("stopped", None)

    with time_machine.travel(monday(10, 30), tick=False):
        case_cancel(case_id=case.pk, acting_user=org["kasubbag.surat"], reason="Surat ditarik kembali")
    whole = case_clock(case)
    assert (whole.state, whole.next_rung_at) == ("stopped", None)

    assert sweep_at(wit(2026, 12, 31, 10, 0)) == 0
    assert not ClockRung.objects.filter(clock__case=case).exists()
    assert not Notification.objects.filter(case=case, kind__startswith="sla_").exists()


def test_a_step_policy_overrides_the_default_ladder(org, pos, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    complete(case, org, monday(8, 30), "telaah")
    complete(case, org, monday(9), "tunggu")
    clock = step_clock(case, "kirim")
    # 2 office hours: due 11:00; its own warning at 50% (10:00); its only level goes to the Kepala Biro at 100%.
    assert (clock.due_at, clock.warn_at, clock.warn_percent) == (monday(11), monday(10), 50)

    sweep_at(monday(10))
    assert fired(clock) == [0]
    sweep_at(monday(11))
    assert escalated_to(clock) == [(1, pos["karo"])]
    assert notified(case, "sla_escalation") == ["karo"]
    clock.refresh_from_db()
    assert (clock.next_rung, clock.next_rung_at) == (2, None)
    sweep_at(wit(2026, 12, 9, 9, 0))
    assert fired(clock) == [0, 1]


def test_the_sop_policy_applies_to_steps_without_their_own(org, pos, versions):
    case = start(org, versions["BU-TS-09"], monday(8))
    clock = step_clock(case, "telaah")
    # Warning at 60% of 4 hours (10:24); due 12:00; 150% two office hours after it, past the break (15:00), with no
    # working-day floor.
    assert (clock.warn_at, clock.due_at) == (monday(10, 24), monday(12))
    assert sweep_at(monday(10, 24)) == 1
    assert sweep_at(monday(12)) == 1
    assert sweep_at(monday(14, 59)) == 0
    assert sweep_at(monday(15)) == 1
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"]), (2, pos["kabag.tu"])]


def test_the_leave_substitute_and_the_plh_of_the_atasan_langsung_are_asked_too(org, pos, versions):
    kasubbag = org["kasubbag.surat"]
    Delegation.objects.create(
        delegator=kasubbag,
        substitute=org["arsiparis"],
        valid_from=datetime.date(2026, 11, 20),
        valid_until=datetime.date(2026, 11, 27),
        reason="Cuti tahunan",
    )
    plh = appoint_plh(org["kasubbag.rt"], kasubbag.holdings.get().position, datetime.date(2026, 11, 23))
    org["kasubbag.rt"].language = "en"
    org["kasubbag.rt"].save(update_fields=["language"])

    case = start(org, versions["BU-TS-08"], monday(8))
    sweep_at(monday(12))
    assert escalated_to(step_clock(case, "telaah")) == [(1, pos["kasubbag.surat"])]
    assert notified(case, "sla_escalation") == ["arsiparis", "kasubbag.rt", "kasubbag.surat"]
    english = Notification.objects.get(case=case, kind="sla_escalation", recipient=plh.user)
    assert english.subject == f"Overdue: “Menelaah surat masuk” in {case.reference} needs your decision"
    assert "2026-11-23 12:00 WIT" in english.body and "Kepala Subbagian Persuratan dan Arsip" in english.body
    assert AuditEvent.objects.get(case=case, action="sla_escalated").after["notified"] == sorted(
        [kasubbag.pk, org["arsiparis"].pk, org["kasubbag.rt"].pk]
    )


def test_an_extension_becomes_the_due_moment_and_moves_the_rungs_still_to_fire(org, pos, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    clock = step_clock(case, "telaah")
    sweep_at(monday(12))
    assert fired(clock) == [0, 1]

    with time_machine.travel(monday(14), tick=False):
        clock.refresh_from_db()
        sla.clock_set_due(clock, due=wit(2026, 11, 25, 12, 0))  # the supervisor gives it until Wednesday noon
    clock.refresh_from_db()
    assert clock.due_at == wit(2026, 11, 25, 12, 0)
    assert clock.warn_at == wit(2026, 11, 24, 15, 45)  # 75% of the 19 office hours to the new due moment
    assert sla.clock_status(clock, now=monday(14)) == "on_time"
    # 19 office hours from the start to the new due moment; 200% is 19 more (Monday 30 November 08:30), later than
    # one working day after it (Thursday noon).
    assert (clock.next_rung, clock.next_rung_at) == (2, wit(2026, 11, 30, 8, 30))
    sweep_at(wit(2026, 11, 30, 8, 29))
    assert fired(clock) == [0, 1]
    sweep_at(wit(2026, 11, 30, 8, 30))
    assert fired(clock) == [0, 1, 2]  # nothing fired twice
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"]), (2, pos["kabag.tu"])]


def test_an_extended_case_clock_is_pushed_by_a_later_pause(org, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    clock = case_clock(case)
    with time_machine.travel(monday(8, 30), tick=False):
        sla.clock_set_due(clock, due=wit(2026, 12, 1, 8, 0))
    complete(case, org, monday(9), "telaah")  # paused Monday 09:00 …
    complete(case, org, wit(2026, 11, 24, 9, 0), "tunggu")  # … to Tuesday 09:00: 7.5 office hours
    clock.refresh_from_db()
    assert clock.due_at == clock.due_override == wit(2026, 12, 2, 8, 0)


def test_a_holiday_added_after_the_clock_was_scheduled_postpones_its_next_rung(org, pos, versions):
    case = start(org, versions["BU-TS-08"], monday(8))
    clock = step_clock(case, "telaah")
    sweep_at(monday(12))
    Holiday.objects.create(date=datetime.date(2026, 11, 24), name="Libur daerah", kind="manual")
    assert sweep_at(wit(2026, 11, 24, 13, 0)) == 0  # was the moment of rung 2: Tuesday is now a day off
    clock.refresh_from_db()
    assert clock.next_rung_at == wit(2026, 11, 25, 13, 0)
    assert sweep_at(wit(2026, 11, 25, 13, 0)) == 1
    assert escalated_to(clock) == [(1, pos["kasubbag.surat"]), (2, pos["kabag.tu"])]


def test_above_the_top_of_the_org_chart_the_top_position_is_asked_again(org, pos):
    karo = Position.objects.get(pk=pos["karo"])
    context = escalation._Sweep(now=monday(12))
    assert context.up(Position.objects.get(pk=pos["kabag.tu"])) == karo
    assert context.up(karo) == karo  # no one above the Kepala Biro in CEPAT's org chart
