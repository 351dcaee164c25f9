"""The web UI through Django's test client: log in, start a case, take and complete steps, read the timeline."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from cases.demo import DEMO_PASSWORD
from cases.models import AuditEvent, Case
from tests.builders import RT_CODE, RT_INTAKE, open_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, org, sop_library):
    def login(username: str):
        client.logout()
        assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)
        return client

    return login


def post_vehicle_request(client, scan) -> Case:
    """Start a BU-RT-01 case through the intake form (RT_INTAKE, changed as a person would fill it in)."""
    response = client.post(
        reverse("cases:case_start", args=[RT_CODE]),
        {
            **RT_INTAKE, "subject": "Kendaraan ke Masohi", "requester_name": "Rina Pelupessy",
            "tanggal_kembali": "2026-12-01T16:00", "jumlah_penumpang": "2", "nota_dinas": scan("nota.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Case.objects.get()


def test_login_page_speaks_indonesian_by_default(client, org):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="id"' in page
    assert "cases/cepat.css" in page  # CEPAT's own page, not a library's login template
    with translation.override("id"):
        assert translation.gettext("Log in to CEPAT") in page


def test_pages_require_login(client, org):
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_requester_starts_a_case_from_the_catalogue_and_it_reaches_the_pool_manager(web, scan):
    client = web("pemohon")
    catalogue = client.get(reverse("cases:catalogue")).content.decode()
    assert "BU-RT-01" in catalogue
    assert "BU-ADM-01" not in catalogue  # only the agendaris registers incoming letters

    case = post_vehicle_request(client, scan)

    assert case.status == Case.Status.OPEN
    assert case.requester.username == "pemohon"
    inbox = web("kasubbag.rt").get(reverse("cases:inbox")).content.decode()
    assert case.reference in inbox


def test_step_form_rejects_missing_field_and_changes_nothing(web, scan):
    case = post_vehicle_request(web("pemohon"), scan)
    task = open_tasks(case)[0]
    client = web("kasubbag.rt")

    response = client.post(reverse("cases:task_execute", args=[task.pk]), {"_keputusan": "ya"})

    assert response.status_code == 200  # the form again, with the error
    assert "kendaraan" in response.context["form"].errors
    task.refresh_from_db()
    assert task.status == "ASSIGNED"
    assert AuditEvent.objects.filter(case=case).count() == 1


def test_queue_take_and_complete_moves_the_case_and_shows_it_in_the_timeline(web, scan):
    case = post_vehicle_request(web("pemohon"), scan)
    web("kasubbag.rt").post(
        reverse("cases:task_execute", args=[open_tasks(case)[0].pk]), {"_keputusan": "ya", "kendaraan": "DE 1 AM"}
    )
    web("kabag.rt").post(reverse("cases:task_execute", args=[open_tasks(case)[0].pk]), {"_keputusan": "setuju"})
    web("kasubbag.rt").post(
        reverse("cases:task_execute", args=[open_tasks(case)[0].pk]), {"nomor_surat_izin": "000.1.4/1/RT/2026"}
    )
    handover = open_tasks(case)[0]
    assert handover.owner is None  # two drivers: it waits in the unit queue

    driver = web("pengemudi1")
    assert case.reference in driver.get(reverse("cases:queue")).content.decode()
    driver.post(reverse("cases:task_claim", args=[handover.pk]))
    handover.refresh_from_db()
    assert handover.owner.username == "pengemudi1"
    driver.post(reverse("cases:task_execute", args=[handover.pk]), {"km_awal": "1200"})

    page = driver.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.ON_HOLD  # the car is out: waiting on the requester
    assert "WIT" in page  # times shown in the unit's zone
    assert page.count("<tr>") > 5


def test_other_units_staff_cannot_open_the_case(web, scan):
    case = post_vehicle_request(web("pemohon"), scan)
    response = web("agendaris1").get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 404


def test_auditor_reads_the_case_but_sees_no_action_buttons(web, scan):
    case = post_vehicle_request(web("pemohon"), scan)
    page = web("auditor").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert case.reference in page
    assert reverse("cases:case_comment", args=[case.pk]) not in page
    assert reverse("cases:task_claim", args=[open_tasks(case)[0].pk]) not in page


def test_user_switches_to_english_and_the_choice_sticks(web):
    client = web("karo")
    client.post(reverse("cases:language_set"), {"language": "en", "next": reverse("cases:inbox")})
    page = client.get(reverse("cases:inbox")).content.decode()
    assert 'lang="en"' in page
    assert "My inbox" in page


def test_language_switch_rejects_unknown_language_and_keeps_the_old_one(web, org):
    client = web("karo")
    response = client.post(reverse("cases:language_set"), {"language": "xx"}, follow=True)
    assert "xx" in response.content.decode()
    org["karo"].refresh_from_db()
    assert org["karo"].language == "id"


def test_case_page_labels_data_and_decisions_from_the_sop(web, scan):
    case = post_vehicle_request(web("pemohon"), scan)
    client = web("kasubbag.rt")
    client.post(reverse("cases:task_execute", args=[open_tasks(case)[0].pk]), {"_keputusan": "ya", "kendaraan": "DE 7"})

    client.post(reverse("cases:language_set"), {"language": "en"})
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()

    assert "Tujuan perjalanan" in page  # the label the SOP gives the field `tujuan`
    assert ">tujuan<" not in page
    assert "decision: Ya" in page  # the branch label, not its key
    assert "done" in page and "in hand" in page  # step states in words, not viewflow's codes


def test_step_form_shows_the_time_standard_in_words(web, scan):
    case = post_vehicle_request(web("pemohon"), scan)
    client = web("kasubbag.rt")
    client.post(reverse("cases:language_set"), {"language": "en"})
    page = client.get(reverse("cases:task_execute", args=[open_tasks(case)[0].pk])).content.decode()
    assert "30 office minutes" in page
