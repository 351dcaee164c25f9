"""`manage.py demo_data` builds the Maluku Biro Umum with cases in several SOPs and states, some linked as parent and
child, through the services: what a newcomer finds after `make run`, whoever they log in as."""

import pytest
from django.core.management import call_command
from viewflow.workflow.models import Task

from cases.audit import audit_verify
from cases.models import AuditEvent, Case, PositionHolding, Unit, User
from cases.selectors import inbox_tasks, queue_tasks
from tests.builders import open_steps, position_of

pytestmark = pytest.mark.django_db

# What each person finds in their inbox and unit queue: (SOP, step), sorted. Everyone not named finds nothing: the
# three Kabag, the archivist (on leave), the auditor (read-only) and the admin.
WORK = {
    "karo": [("BU-ADM-01", "disposisi")],
    "kasubbag.surat": [("BU-ADM-02", "paraf_ktu")],
    "agendaris1": [("BU-ADM-01", "terima")],
    "agendaris2": [("BU-ADM-01", "terima")],
    "kasubbag.rt": [("BU-ADM-04", "jawab"), ("BU-RT-01", "cek_ketersediaan"), ("BU-RT-04", "verifikasi")],
    "pengemudi1": [("BU-RT-01", "penggunaan")],
    "pengemudi2": [("BU-RT-01", "penggunaan")],
    "pramu": [("BU-RT-02", "penggunaan")],
    "teknisi": [("BU-RT-03", "periksa")],
    "kasubbag.aset": [("BU-AS-01", "di_bengkel"), ("BU-AS-03", "tentukan_jalur")],
    "pengurus.barang": [("BU-AS-02", "terima_permohonan"), ("BU-AS-04", "identifikasi"),
                        ("BU-AS-06", "serahkan_lembar")],
    "analis.aset": [("BU-AS-06", "hitung")],
    "pemohon": [("BU-ADM-03", "penggunaan")],
}


def waiting_at(case: Case) -> list[str]:
    """The subcase steps the case waits at (their child cases not all finished yet)."""
    tasks = Task.objects.filter(process_id=case.process_id, flow_task_type="FUNCTION", status="NEW").order_by("pk")
    return [t.flow_task.name for t in tasks]


def the_case(code: str, **filters) -> Case:
    return Case.objects.get(sop_version__code=code, **filters)


def assert_org_chart_and_cases_in_several_states(out: str) -> None:
    assert "karo" in out and "cepat-demo-2026" in out
    assert f"{Case.objects.count()} demo cases created" in out
    assert Unit.objects.get(code="biro-umum").children.count() == 3
    assert PositionHolding.objects.filter(position__is_head=True).count() >= 7
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {Case.Status.OPEN, Case.Status.ON_HOLD, Case.Status.RESOLVED, Case.Status.REJECTED} <= statuses
    assert AuditEvent.objects.filter(action="step_completed").exists()
    assert audit_verify() is None


def assert_every_sop_has_a_case(sop_library: dict) -> None:
    # None is skipped: BU-AS-02 and BU-AS-04 have one each too (a loan request, a penghapusan opened by BU-AS-01),
    # and BU-ADM-04 a complaint about a vehicle loan.
    assert set(Case.objects.values_list("sop_version__code", flat=True)) == set(sop_library)
    # Each case's trail opens with its start, by a person; a child's with its opening by the parent's step.
    for case in Case.objects.all():
        first = AuditEvent.objects.filter(case=case).order_by("case_seq").first()
        assert first.action == ("opened_as_subcase" if case.parent_id else "case_started"), case.reference
        assert first.actor.username != "admin"


def assert_each_person_finds_their_work() -> None:
    for user in User.objects.all():
        found = sorted(
            (t.process.case.sop_version.code, t.flow_task.name)
            for t in [*inbox_tasks(user=user), *queue_tasks(user=user)]
        )
        assert found == WORK.get(user.username, []), user.username


def assert_letter_waits_for_its_reply_at_the_paraf() -> None:
    letter = the_case("BU-ADM-01", children__isnull=False)
    (reply,) = letter.children.all()
    assert (reply.sop_version.code, reply.parent_step) == ("BU-ADM-02", "siapkan_jawaban")
    assert letter.status == Case.Status.OPEN
    assert open_steps(letter) == [] and waiting_at(letter) == ["siapkan_jawaban"]
    kasubbag_aset = User.objects.get(username="kasubbag.aset")
    assert reply.data["konseptor"] == position_of(kasubbag_aset)  # he drafts the reply he was disposed
    assert reply.data["nomor_surat"] == letter.data["nomor_surat"]
    assert reply.status == Case.Status.OPEN and open_steps(reply) == ["paraf_ktu"]
    assert AuditEvent.objects.get(case=reply, step="konsep").actor == kasubbag_aset
    # The other letters: one at the Karo's disposition, one just received, one returned to its sender.
    assert sorted(open_steps(c) for c in Case.objects.filter(sop_version__code="BU-ADM-01", children__isnull=True)) == [
        [], ["disposisi"], ["terima"],
    ]
    assert the_case("BU-ADM-01", status=Case.Status.REJECTED).outcome_note


def assert_stock_take_waits_for_three_counts_one_finished() -> None:
    opname = the_case("BU-AS-05")
    counts = list(opname.children.order_by("pk"))
    assert [(c.sop_version.code, c.parent_step) for c in counts] == [("BU-AS-06", "hitung_fisik")] * 3
    assert [c.data["lokasi"] for c in counts] == ["Gudang ATK", "Gudang Barang Cetakan", "Gudang Alat Kebersihan"]
    assert [c.status for c in counts] == [Case.Status.RESOLVED, Case.Status.OPEN, Case.Status.OPEN]
    assert [open_steps(c) for c in counts] == [[], ["serahkan_lembar"], ["hitung"]]
    assert opname.status == Case.Status.OPEN
    assert open_steps(opname) == [] and waiting_at(opname) == ["hitung_fisik"]
    assert not AuditEvent.objects.filter(case=opname, action="subcases_joined").exists()


def assert_damaged_and_worn_out_vehicles_opened_child_cases() -> None:
    loans = Case.objects.filter(sop_version__code="BU-RT-01")
    assert sorted(c.status for c in loans) == sorted(
        [Case.Status.OPEN, Case.Status.ON_HOLD, Case.Status.RESOLVED, Case.Status.RESOLVED]
    )
    damaged = loans.get(children__isnull=False)
    (repair,) = damaged.children.all()
    assert (damaged.status, repair.sop_version.code, repair.parent_step) == (
        Case.Status.RESOLVED, "BU-AS-01", "laporan_kerusakan",
    )
    assert repair.data["kendaraan"] == "Toyota Hilux DE 8124 AM"
    assert (repair.status, open_steps(repair)) == (Case.Status.ON_HOLD, ["di_bengkel"])

    worn_out = the_case("BU-AS-01", parent__isnull=True)
    (penghapusan,) = worn_out.children.all()
    assert (worn_out.status, penghapusan.sop_version.code, penghapusan.parent_step) == (
        Case.Status.RESOLVED, "BU-AS-04", "usul_penghapusan",
    )
    assert (penghapusan.status, open_steps(penghapusan)) == (Case.Status.OPEN, ["identifikasi"])


def assert_other_services_wait_where_they_should() -> None:
    assert (the_case("BU-RT-02").status, open_steps(the_case("BU-RT-02"))) == (Case.Status.ON_HOLD, ["penggunaan"])
    assert (the_case("BU-RT-04").status, open_steps(the_case("BU-RT-04"))) == (Case.Status.OPEN, ["verifikasi"])
    assert open_steps(the_case("BU-RT-03")) == ["periksa"]
    assert open_steps(the_case("BU-AS-03")) == ["tentukan_jalur"]
    assert open_steps(the_case("BU-AS-02")) == ["terima_permohonan"]
    # The archive is lent out: the archivist is on leave, so her substitute agendaris2 acted on her behalf.
    loan = the_case("BU-ADM-03")
    assert open_steps(loan) == ["penggunaan"]
    lent = AuditEvent.objects.get(case=loan, step="serahkan")
    assert (lent.actor.username, lent.on_behalf_of.username) == ("agendaris2", "arsiparis")


def test_demo_data_builds_linked_cases_in_every_sop_and_a_second_run_adds_nothing(sop_library, capsys):
    # One run serves every check: the command makes some 75 acts through the services and takes seconds.
    call_command("demo_data")
    assert_org_chart_and_cases_in_several_states(capsys.readouterr().out)
    assert_every_sop_has_a_case(sop_library)
    assert_each_person_finds_their_work()
    assert_letter_waits_for_its_reply_at_the_paraf()
    assert_stock_take_waits_for_three_counts_one_finished()
    assert_damaged_and_worn_out_vehicles_opened_child_cases()
    assert_other_services_wait_where_they_should()

    counts = (Case.objects.count(), AuditEvent.objects.count(), PositionHolding.objects.count())
    call_command("demo_data")
    assert (Case.objects.count(), AuditEvent.objects.count(), PositionHolding.objects.count()) == counts
    assert audit_verify() is None
