"""The SOP catalogue and SOP pages: what staff may start, each SOP's requirements, time standard, diagram and
printed document."""

import io

import pytest
from django.http import HttpRequest
from django.urls import reverse
from pypdf import PdfReader

from cases.demo import DEMO_PASSWORD
from workflows.durations import time_standard_range

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, org, sop_library):
    def login(username: str):
        client.logout()
        assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)
        return client

    return login


def test_catalogue_groups_what_the_user_may_start_with_requirements_and_time_standard(staff, sop_library):
    page = staff("agendaris1").get(reverse("cases:catalogue")).content.decode()
    adm = sop_library["BU-ADM-01"]
    assert adm.title in page
    assert time_standard_range(adm.definition) in page
    assert "Nomor surat" in page  # a required intake field of BU-ADM-01
    assert reverse("cases:sop_document", args=["BU-ADM-01"]) in page


def test_catalogue_hides_sops_the_user_may_not_start(staff):
    page = staff("auditor").get(reverse("cases:catalogue")).content.decode()
    assert "BU-ADM-01" not in page


def test_sop_page_shows_the_procedure_and_its_diagram(staff, sop_library):
    page = staff("kasubbag.rt").get(reverse("cases:sop_detail", args=["BU-RT-01"])).content.decode()
    definition = sop_library["BU-RT-01"].definition
    assert "<svg" in page
    for step in definition["steps"]:
        if step.get("type") != "end":
            assert step["kegiatan"][:40] in page
    assert reverse("cases:case_start", args=["BU-RT-01"]) in page


@pytest.mark.parametrize(("query", "size"), [("", (842, 595)), ("?kertas=F4", (935, 609))])
def test_printed_sop_is_a_landscape_pdf_of_the_current_version(staff, sop_library, query, size):
    response = staff("karo").get(reverse("cases:sop_document", args=["BU-RT-01"]) + query)
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    text = " ".join(page.extract_text() for page in reader.pages)
    assert sop_library["BU-RT-01"].definition["identity"]["nomor"] in text


def test_unknown_sop_is_not_found(staff):
    assert staff("karo").get(reverse("cases:sop_detail", args=["BU-XX-99"])).status_code == 404
