"""BU-ADM-04 (pengelolaan pengaduan layanan): every branch walked to an end through the services.

A requester complains about one of their requests (or about a service open to requesters). The complaint runs in the
unit that owns the case or service, so every step goes to that unit's head (role KPL, `resolve: unit_head`): the
vehicle pool's complaints to the Kasubbag RT, the archive's to the Kasubbag Persuratan. The head may ask the
complainant for more (a pause), answers in writing, and follows up when the complaint is founded. The answer shows on
the complainant's request pages; complaints count in the dashboards per SOP and unit.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import errors, requesters
from cases.models import AuditEvent, Case
from cases.services import complaint_file, task_complete
from reports.dashboards import Period, complaint_counts
from tests.builders import RT_CODE, Walk, open_tasks, start_vehicle_request, visited

pytestmark = pytest.mark.django_db

COMPLAINT = "Pengemudi datang terlambat satu jam dan kendaraan kotor."
ANSWER = "Mohon maaf. Pengemudi telah ditegur dan jadwal pool diperbaiki."


@pytest.fixture
def vehicle_case(org, sop_library, scan) -> Case:
    return start_vehicle_request(org, sop_library[RT_CODE], scan)


def file_about(org, case: Case) -> Walk:
    complaint = complaint_file(acting_user=org["pemohon"], body=COMPLAINT, about_case_id=case.pk)
    return Walk(org, complaint, "pemohon")


def test_the_complaint_sop_is_in_the_library_and_checks_clean(sop_library):
    version = sop_library[requesters.COMPLAINT_SOP]
    assert version.title == "Pengelolaan Pengaduan Layanan"
    laws = " ".join(version.definition["identity"]["dasar_hukum"])
    assert "Nomor 76 Tahun 2013" in laws and "Nomor 62 Tahun 2018" in laws
    assert version.definition["intake"]["open_to_requesters"] is True


def test_a_founded_complaint_is_answered_and_followed_up_by_the_head_of_the_unit(org, pos, vehicle_case):
    walk = file_about(org, vehicle_case)
    complaint = walk.case
    assert complaint.unit == vehicle_case.unit
    assert complaint.requester == org["pemohon"]
    assert complaint.complaint_about == vehicle_case
    assert complaint.data["layanan"] == RT_CODE and complaint.data["kasus_diadukan"] == vehicle_case.reference
    assert AuditEvent.objects.filter(case=vehicle_case, action="complaint_filed").get().after == {
        "complaint": complaint.reference
    }
    head = {pos["kasubbag.rt"]}
    walk.do("telaah", "kasubbag.rt", {"_keputusan": "jelas"}, offered=head)
    walk.do("jawab", "kasubbag.rt", {"_keputusan": "terbukti", "jawaban": ANSWER}, offered=head)
    case = walk.do(
        "tindak_lanjut",
        "kasubbag.rt",
        {"tindak_lanjut_dilakukan": "Teguran tertulis"},
        offered=head,
        status_after=Case.Status.RESOLVED,
    )
    assert visited(case) == ["telaah", "jawab", "tindak_lanjut", "selesai_ditindaklanjuti"]
    walk.assert_audit_trail()


def test_an_unfounded_complaint_after_asking_the_complainant_is_answered_in_writing(org, pos, vehicle_case):
    walk = file_about(org, vehicle_case)
    head = {pos["kasubbag.rt"]}
    walk.do(
        "telaah",
        "kasubbag.rt",
        {"_keputusan": "perlu_keterangan", "keterangan_diminta": "Tanggal berapa?"},
        offered=head,
        status_after=Case.Status.ON_HOLD,
    )
    walk.do("minta_keterangan", "kasubbag.rt", {}, offered=head)
    walk.do("telaah", "kasubbag.rt", {"_keputusan": "jelas"}, offered=head)
    case = walk.do(
        "jawab",
        "kasubbag.rt",
        {"_keputusan": "tidak_terbukti", "jawaban": ANSWER},
        offered=head,
        status_after=Case.Status.RESOLVED,
    )
    assert visited(case) == ["telaah", "minta_keterangan", "telaah", "jawab", "selesai_dijawab"]
    walk.assert_audit_trail()


def test_an_answer_is_required_and_shown_to_the_complainant_on_both_pages(org, pos, vehicle_case):
    complaint = file_about(org, vehicle_case).case
    task = open_tasks(complaint)[0]
    task_complete(task_id=task.pk, acting_user=org["kasubbag.rt"], data={"_keputusan": "jelas"})
    task = open_tasks(complaint)[0]
    with pytest.raises(errors.ApplicationError):
        task_complete(task_id=task.pk, acting_user=org["kasubbag.rt"], data={"_keputusan": "tidak_terbukti"})
    client = Client()
    client.force_login(org["pemohon"])
    before = client.get(reverse("cases:my_request", args=[vehicle_case.pk])).content.decode()
    assert COMPLAINT in before and ANSWER not in before
    task_complete(
        task_id=task.pk, acting_user=org["kasubbag.rt"], data={"_keputusan": "tidak_terbukti", "jawaban": ANSWER}
    )
    for case in (vehicle_case, complaint):
        page = client.get(reverse("cases:my_request", args=[case.pk])).content.decode()
        assert ANSWER in page


def test_a_complaint_about_a_service_goes_to_the_head_of_the_unit_that_gives_it(org, pos, sop_library):
    complaint = complaint_file(acting_user=org["pemohon"], body="Arsip lama sekali ditemukan", sop_code="BU-ADM-03")
    assert complaint.unit.code == "subbag-persuratan"
    assert complaint.complaint_about is None
    walk = Walk(org, complaint, "pemohon")
    walk.do("telaah", "kasubbag.surat", {"_keputusan": "jelas"}, offered={pos["kasubbag.surat"]})


def test_complaints_are_refused_about_other_peoples_cases_or_closed_services(org, vehicle_case):
    with pytest.raises(errors.PermissionDenied):
        complaint_file(acting_user=org["agendaris1"], body=COMPLAINT, about_case_id=vehicle_case.pk)
    with pytest.raises(errors.ApplicationError, match=re.escape(str(errors.COMPLAINT_NEEDS_SUBJECT))):
        complaint_file(acting_user=org["pemohon"], body=COMPLAINT, sop_code="BU-ADM-01")
    with pytest.raises(errors.ApplicationError):
        complaint_file(acting_user=org["pemohon"], body="  ", about_case_id=vehicle_case.pk)
    assert not Case.objects.filter(sop_version__code=requesters.COMPLAINT_SOP).exists()
    assert not vehicle_case.events.filter(action="complaint_filed").exists()


def test_the_complaint_sop_cannot_be_started_without_a_subject_of_complaint(org, sop_library):
    from cases.services import case_start

    with pytest.raises(errors.ApplicationError, match=re.escape(str(errors.COMPLAINT_NEEDS_SUBJECT))):
        case_start(
            sop_version=sop_library[requesters.COMPLAINT_SOP],
            acting_user=org["pemohon"],
            data={"subject": "x", "requester_name": "x", "layanan": "BU-RT-01", "isi_pengaduan": "x"},
        )


def test_complaints_count_per_sop_and_unit_in_the_dashboards(org, vehicle_case, sop_library):
    file_about(org, vehicle_case)
    complaint_file(acting_user=org["pemohon"], body="Lagi", about_case_id=vehicle_case.pk)
    complaint_file(acting_user=org["pemohon"], body="Arsip", sop_code="BU-ADM-03")
    today = timezone.localdate()
    period = Period.days(today - datetime.timedelta(days=1), today + datetime.timedelta(days=1))
    assert [(c.key, c.total, c.open) for c in complaint_counts(period, by="sop")] == [
        ("BU-ADM-03", 1, 1),
        (RT_CODE, 2, 2),
    ]
    assert [(c.key, c.total) for c in complaint_counts(period, by="unit")] == [
        ("Subbagian Persuratan dan Arsip", 1),
        ("Subbagian Rumah Tangga", 2),
    ]
    client = Client()
    client.force_login(org["karo"])
    page = client.get(reverse("reports:dashboard")).content.decode()
    assert 'id="chart-complaints-sop"' in page and "BU-ADM-03" in page
