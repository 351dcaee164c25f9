"""SLA clocks on a controlled clock: step budgets, the case deadline from the derajat, pauses, warnings."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import HttpRequest

from cases.models import Case
from cases.services import case_cancel, case_start, task_complete
from tests.builders import agendaris_sop, load_sop_text, open_tasks
from workflows import sla
from workflows.models import SlaClock, SopVersion

pytestmark = pytest.mark.django_db
WIT = ZoneInfo("Asia/Jayapura")

SOP = agendaris_sop("BU-TS-07", "Contoh jam kerja", """\
start: telaah
case_deadline: derajat
escalation: {warn_at_percent: 80}
steps:
  - {id: telaah, actor: AGD, kegiatan: Menelaah, waktu: 30m, next: tunggu}
  - {id: tunggu, type: pause, actor: AGD, kegiatan: Menunggu tanda tangan Sekda, waiting_on: Sekda, next: kirim}
  - {id: kirim, actor: AGD, kegiatan: Mengirim, waktu: {biasa: 1d, segera: 4h, sangat_segera: 1h}, next: selesai}
  - {id: selesai, type: end, kegiatan: Selesai, outcome: resolved}
""")


def wit(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=WIT)


@pytest.fixture
def version(db, tmp_path) -> SopVersion:
    return load_sop_text(tmp_path, "BU-TS-07", SOP)


def start(org, version, derajat: str = "biasa") -> Case:
    return case_start(
        sop_version=version, acting_user=org["agendaris1"],
        data={"subject": "Surat edaran", "requester_name": "Sekretariat DPRD", "derajat": derajat,
              "tingkat_keamanan": "B"},
    )


def complete(case: Case, org) -> None:
    task_complete(task_id=open_tasks(case)[0].pk, acting_user=org["agendaris1"], data={})


def step_clock(case: Case, step: str) -> SlaClock:
    return next(c for c in case.clocks.filter(kind="step") if c.task.flow_task.name == step)


def test_step_clock_is_due_after_its_budget_of_office_time_and_warns_at_the_sop_percentage(org, version):
    with time_machine.travel(wit(2026, 11, 23, 10, 0), tick=False):
        case = start(org, version)
    clock = step_clock(case, "telaah")
    assert (clock.budget, clock.state, clock.warn_percent) == ("30m", "running", 80)
    assert clock.due_at == wit(2026, 11, 23, 10, 30)
    assert clock.warn_at == wit(2026, 11, 23, 10, 24)
    assert sla.clock_status(clock, now=wit(2026, 11, 23, 10, 10)) == "on_time"
    assert sla.clock_status(clock, now=wit(2026, 11, 23, 10, 25)) == "warning"
    assert sla.clock_status(clock, now=wit(2026, 11, 23, 10, 31)) == "overdue"


def test_step_clock_started_just_before_the_break_runs_on_after_it(org, version):
    with time_machine.travel(wit(2026, 11, 23, 11, 50), tick=False):
        case = start(org, version)
    assert step_clock(case, "telaah").due_at == wit(2026, 11, 23, 13, 20)  # 10 minutes before, 20 after the break


def test_completing_a_step_stops_its_clock_and_says_whether_it_was_met(org, version):
    with time_machine.travel(wit(2026, 11, 23, 10, 0), tick=False):
        case = start(org, version)
    with time_machine.travel(wit(2026, 11, 23, 10, 45), tick=False):
        complete(case, org)
    clock = step_clock(case, "telaah")
    assert (clock.state, clock.stopped_at) == ("stopped", wit(2026, 11, 23, 10, 45))
    assert sla.clock_status(clock) == "late"


@pytest.mark.parametrize(
    ("derajat", "due"),
    [("sangat_segera", wit(2026, 11, 30, 15, 0)), ("segera", wit(2026, 12, 1, 15, 0)),
     ("biasa", wit(2026, 12, 4, 15, 0))],
)
def test_case_deadline_follows_the_derajat_in_working_days(org, version, derajat, due):
    with time_machine.travel(wit(2026, 11, 27, 15, 0), tick=False):  # a Friday afternoon
        case = start(org, version, derajat)
    assert case.clocks.get(kind="case").due_at == due


def test_step_budget_can_depend_on_the_derajat(org, version):
    with time_machine.travel(wit(2026, 11, 23, 8, 0), tick=False):
        case = start(org, version, "segera")
        complete(case, org)  # telaah, at 08:00
        complete(case, org)  # the pause is over at once
    assert step_clock(case, "kirim").due_at == wit(2026, 11, 23, 12, 0)  # 4 office hours


def test_a_pause_stops_the_case_clock_and_pushes_its_deadline_by_the_office_time_it_took(org, version):
    with time_machine.travel(wit(2026, 11, 27, 14, 0), tick=False):  # Friday
        case = start(org, version, "segera")
    case_clock = case.clocks.get(kind="case")
    due_before = case_clock.due_at
    assert due_before == wit(2026, 12, 1, 14, 0)

    with time_machine.travel(wit(2026, 11, 27, 15, 0), tick=False):
        complete(case, org)  # into the pause: waiting for the Sekda's signature
    case.refresh_from_db()
    case_clock.refresh_from_db()
    assert case.status == Case.Status.ON_HOLD
    assert (case_clock.state, case_clock.due_at) == ("paused", None)
    assert sla.clock_status(case_clock) == "paused"

    with time_machine.travel(wit(2026, 11, 30, 9, 0), tick=False):  # Monday
        complete(case, org)  # the signature came back
    case.refresh_from_db()
    case_clock.refresh_from_db()
    assert case.status == Case.Status.OPEN
    # Paused Fri 15:00–16:30 and Mon 07:30–09:00: three office hours later than Tue 14:00, i.e. Tue 14:00–16:00
    # and Wed 07:30–08:30.
    assert case_clock.due_at == wit(2026, 12, 2, 8, 30)
    assert case_clock.due_at > due_before
    assert len(case_clock.ledger) == 2


def test_finishing_or_cancelling_a_case_stops_every_clock(org, version):
    with time_machine.travel(wit(2026, 11, 23, 10, 0), tick=False):
        finished = start(org, version)
        cancelled = start(org, version)
        for _ in range(3):
            complete(finished, org)
        case_cancel(case_id=cancelled.pk, acting_user=org["kasubbag.surat"], reason="Surat ditarik pengirim")
    for case in (finished, cancelled):
        assert set(case.clocks.values_list("state", flat=True)) == {"stopped"}


def test_queue_and_case_page_show_each_steps_due_moment_and_state_in_the_units_time(client, org, version):
    from django.urls import reverse

    from cases.demo import DEMO_PASSWORD

    with time_machine.travel(wit(2026, 11, 23, 10, 0), tick=False):
        case = start(org, version)
    org["agendaris1"].language = "en"
    org["agendaris1"].save(update_fields=["language"])
    client.login(request=HttpRequest(), username="agendaris1", password=DEMO_PASSWORD)

    with time_machine.travel(wit(2026, 11, 23, 10, 26), tick=True):
        queue = client.get(reverse("cases:queue")).content.decode()
        page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()

    assert 'class="sla warning"' in queue and "due soon" in queue
    assert "10:30 a.m. WIT" in queue  # the due moment, in the unit's zone
    assert 'class="sla warning"' in page
    assert "Case deadline" in page and 'class="sla on_time"' in page


def test_a_paused_step_shows_how_many_calendar_days_it_has_waited(client, org, version):
    from django.urls import reverse

    from cases.demo import DEMO_PASSWORD

    with time_machine.travel(wit(2026, 11, 27, 14, 0), tick=False):
        case = start(org, version)
    with time_machine.travel(wit(2026, 11, 27, 15, 0), tick=False):
        complete(case, org)  # waiting for the Sekda from Friday
    org["agendaris1"].language = "en"
    org["agendaris1"].save(update_fields=["language"])
    with time_machine.travel(wit(2026, 11, 30, 16, 0), tick=True):
        # Logged in at the travelled-to moment: a session idle since the real "now" would have expired.
        client.login(request=HttpRequest(), username="agendaris1", password=DEMO_PASSWORD)
        page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "waiting 3 days" in page
    assert 'class="sla paused"' in page  # the case deadline is paused as well


def test_a_dispositions_batas_waktu_replaces_the_derajat_deadline_of_the_letter(org, sop_library, pos):
    from tests.builders import ADM_INTAKE, agenda_data

    with time_machine.travel(wit(2026, 11, 23, 8, 0), tick=False):
        case = case_start(sop_version=sop_library["BU-ADM-01"], acting_user=org["agendaris1"], data=ADM_INTAKE)
        assert case.clocks.get(kind="case").due_at == wit(2026, 11, 25, 8, 0)  # segera: 2 working days
        steps = [("agendaris1", {}), ("agendaris1", {"_keputusan": "ya"}), ("agendaris1", agenda_data()),
                 ("agendaris1", {"_keputusan": "tidak"}), ("kasubbag.surat", {}), ("kabag.tu", {})]
        for username, data in steps:
            task_complete(task_id=open_tasks(case)[0].pk, acting_user=org[username], data=data,
                          files={"pindaian_surat": pdf()} if "nomor_agenda" in data else None)
        task_complete(task_id=open_tasks(case)[0].pk, acting_user=org["karo"],
                      data={"diteruskan_kepada": pos["kabag.rt"], "batas_waktu": "2026-11-27"})
    # Friday's close of office, as the Kepala Biro wrote on the lembar disposisi.
    assert case.clocks.get(kind="case").due_at == wit(2026, 11, 27, 16, 30)


def pdf():
    from cases.demo import pdf_stub

    return pdf_stub("surat.pdf")


def test_due_moments_are_shown_in_the_viewers_own_time_zone(client, org, version):
    from django.urls import reverse

    from cases.demo import DEMO_PASSWORD
    from cases.models import Unit

    with time_machine.travel(wit(2026, 11, 23, 10, 0), tick=False):
        case = start(org, version)
    Unit.objects.filter(code="inspektorat").update(time_zone="Asia/Jakarta")  # an auditor reading from WIB
    org["auditor"].language = "en"
    org["auditor"].save(update_fields=["language"])
    client.login(request=HttpRequest(), username="auditor", password=DEMO_PASSWORD)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "8:30 a.m. WIB" in page  # the step due 10:30 WIT
