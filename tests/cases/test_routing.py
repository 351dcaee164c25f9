"""Routing edge cases: vacant posts, officials standing in for an absent one, claiming what is already yours."""

import datetime

import pytest
from django.utils import timezone

from cases.models import AuditEvent, Position
from cases.services import task_claim, task_complete
from tests.builders import ADM_CODE, appoint_plh, open_tasks, start_letter
from workflows.models import TaskOffer

pytestmark = pytest.mark.django_db


def letter_at_disposition(org, sop_library, scan):
    case = start_letter(org, sop_library[ADM_CODE], omit=("media",), subject="Undangan", derajat="biasa",
                        asal_surat="Dishub", nomor_surat="1/2026")
    steps = [
        ("agendaris1", {}, None),
        ("agendaris1", {"_keputusan": "ya"}, None),
        ("agendaris1", {"nomor_agenda": "77", "kode_klasifikasi": "000.1.4", "tingkat_keamanan": "B",
                        "derajat": "biasa"}, {"pindaian_surat": scan("s.pdf")}),
        ("agendaris1", {"_keputusan": "tidak"}, None),
        ("kasubbag.surat", {}, None),
        ("kabag.tu", {}, None),
    ]
    for username, data, files in steps:
        task_complete(task_id=open_tasks(case)[0].pk, acting_user=org[username], data=data, files=files)
    return case


def test_disposition_to_a_vacant_post_goes_to_the_service_desk_instead_of_no_one(org, sop_library, scan):
    case = letter_at_disposition(org, sop_library, scan)
    vacant = Position.objects.create(unit=Position.objects.get(title="Kepala Bagian Rumah Tangga").unit,
                                     title="Analis Kendaraan (formasi kosong)")
    task_complete(task_id=open_tasks(case)[0].pk, acting_user=org["karo"],
                  data={"diteruskan_kepada": vacant.pk, "instruksi": ["proses_lebih_lanjut"]})
    task_complete(task_id=open_tasks(case)[0].pk, acting_user=org["agendaris1"], data={})

    (task,) = open_tasks(case)
    assert task.flow_task.name == "disposisi_lanjutan"
    offered = set(TaskOffer.objects.filter(task=task).values_list("position__title", flat=True))
    assert offered == {"Pengadministrasi Umum"}


def test_plh_takes_over_a_step_already_in_the_absent_officials_inbox(org, sop_library, scan):
    case = letter_at_disposition(org, sop_library, scan)
    (task,) = open_tasks(case)
    assert task.owner == org["karo"]
    appoint_plh(org["kabag.tu"], Position.objects.get(title="Kepala Biro Umum"),
                timezone.localdate(), timezone.localdate() + datetime.timedelta(days=3))
    krt = Position.objects.get(title="Kepala Subbagian Rumah Tangga")

    task_complete(task_id=task.pk, acting_user=org["kabag.tu"], data={"diteruskan_kepada": krt.pk})

    event = AuditEvent.objects.filter(case=case).order_by("-case_seq").first()
    assert (event.step, event.actor, event.on_behalf_of) == ("disposisi", org["kabag.tu"], org["karo"])


def test_claiming_a_step_already_in_ones_inbox_changes_and_records_nothing(org, sop_library, scan):
    case = letter_at_disposition(org, sop_library, scan)
    (task,) = open_tasks(case)
    before = AuditEvent.objects.count()

    task_claim(task_id=task.pk, acting_user=org["karo"])

    task.refresh_from_db()
    assert task.owner == org["karo"]
    assert AuditEvent.objects.count() == before
