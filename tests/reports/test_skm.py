"""Survei Kepuasan Masyarakat: the survey goes to the requester of a finished service case, once; the IKM uses exact
1/9 weights and the regulation's grade bands; raw answers export for recomputation."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from cases import errors
from cases.demo import DEMO_PASSWORD
from cases.models import SKM_ELEMENTS, AuditEvent, Case, Notification, SatisfactionSurvey
from cases.services import task_complete
from cases.skm import survey_answer
from reports.skm import grade_of, ikm_of, ikm_table
from tests.builders import RT_CODE, RT_HAPPY_PATH, start_vehicle_request, task_at

pytestmark = pytest.mark.django_db
KEYS = [key for key, _label in SKM_ELEMENTS]
SERVICE_SOPS = {"BU-ADM-03", "BU-RT-01", "BU-RT-02", "BU-RT-03", "BU-RT-04", "BU-AS-02"}


def scores(*values: int) -> dict[str, int]:
    return dict(zip(KEYS, values, strict=True))


@pytest.fixture
def finished(org, sop_library, scan) -> Case:
    """A BU-RT-01 vehicle request by `pemohon`, walked to its end (resolved)."""
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    for step, username, data in RT_HAPPY_PATH:
        case = task_complete(task_id=task_at(case, step).pk, acting_user=org[username], data=data)
    assert case.status == Case.Status.RESOLVED
    return case


def test_service_sops_are_the_catalogues(sop_library):
    assert {code for code, version in sop_library.items() if version.definition.get("skm")} == SERVICE_SOPS


def test_a_finished_service_case_sends_its_requester_the_survey_once(org, finished):
    survey = SatisfactionSurvey.objects.get(case=finished)
    assert survey.respondent == org["pemohon"]
    note = Notification.objects.get(recipient=org["pemohon"], kind="survey_offered")
    assert reverse("cases:survey", args=[survey.pk]) in note.body
    assert AuditEvent.objects.filter(case=finished, action="survey_offered").count() == 1


def test_the_requester_answers_on_the_survey_page_and_only_once(client, org, finished):
    survey = finished.survey
    client.login(request=HttpRequest(), username="kasubbag.rt", password=DEMO_PASSWORD)
    assert client.get(reverse("cases:survey", args=[survey.pk])).status_code == 404  # not theirs
    client.login(request=HttpRequest(), username="pemohon", password=DEMO_PASSWORD)
    response = client.post(
        reverse("cases:survey", args=[survey.pk]), {**scores(4, 3, 4, 4, 3, 4, 4, 2, 3), "suggestion": "Mobil bersih"}
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert {a.element: a.score for a in survey.answers.all()} == scores(4, 3, 4, 4, 3, 4, 4, 2, 3)
    assert survey.suggestion == "Mobil bersih"
    with pytest.raises(errors.ApplicationError, match=str(errors.SURVEY_ALREADY_ANSWERED)):
        survey_answer(survey_id=survey.pk, acting_user=org["pemohon"], scores=scores(*[4] * 9))


@pytest.mark.parametrize("bad", [scores(4, 4, 4, 4, 4, 4, 4, 4, 5), {k: 4 for k in KEYS[:8]}])
def test_an_incomplete_or_out_of_range_answer_is_refused_without_change(org, finished, bad):
    with pytest.raises(errors.ApplicationError, match=str(errors.SURVEY_INCOMPLETE)):
        survey_answer(survey_id=finished.survey.pk, acting_user=org["pemohon"], scores=bad)
    assert finished.survey.answers.count() == 0
    assert not AuditEvent.objects.filter(action="survey_answered").exists()


def test_ikm_uses_exactly_one_ninth_not_the_rounded_weight():
    # Σ NRR = 35: exact 35 × 1/9 × 25 = 97,22…; with the regulation example's 0,11 it would be 96,25.
    ikm = ikm_of({1: scores(4, 4, 4, 4, 4, 4, 4, 4, 3)})
    assert ikm.exact == Fraction(875, 9)
    assert ikm.value == Decimal("97.22")
    assert ikm.grade == "A"


def test_ikm_of_several_respondents_is_the_mean_per_element():
    ikm = ikm_of({1: scores(*[4] * 9), 2: scores(*[3] * 9), 3: scores(*[2] * 9)})
    assert ikm.respondents == 3
    assert ikm.nrr["waktu"] == Fraction(3)
    assert ikm.value == Decimal("75.00")
    assert ikm.grade == "C"


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ("100.00", "A"),
        ("88.31", "A"),
        ("88.30", "B"),
        ("76.61", "B"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("25.00", "D"),
    ],
)
def test_grade_bands_of_the_regulation(value, grade):
    assert grade_of(Decimal(value))[0] == grade


def test_ikm_per_sop_and_unit_and_the_raw_answers_export(client, org, finished):
    survey_answer(survey_id=finished.survey.pk, acting_user=org["pemohon"], scores=scores(4, 3, 4, 4, 3, 4, 4, 2, 3))
    start = timezone.now() - datetime.timedelta(days=1)
    end = timezone.now() + datetime.timedelta(days=1)
    [by_sop], overall = ikm_table(start=start, end=end, by="sop")
    [by_unit], _overall = ikm_table(start=start, end=end, by="unit")
    assert (by_sop.key, by_unit.key) == (RT_CODE, "subbag-rt")
    assert by_sop.ikm.value == overall.value == Decimal("86.11")  # 31 × 1/9 × 25 = 86,111…
    assert by_sop.ikm.grade == "B"

    client.login(request=HttpRequest(), username="auditor", password=DEMO_PASSWORD)
    page = client.get(reverse("reports:skm")).content.decode()
    assert "86.11" in page or "86,11" in page
    rows = list(csv.reader(io.StringIO(client.get(reverse("reports:skm_answers_csv")).content.decode())))
    assert rows[0] == ["survey", "case", "sop", "unit", "answered_at_utc", *KEYS]
    assert rows[1][1:4] == [finished.reference, RT_CODE, "subbag-rt"]
    assert [int(v) for v in rows[1][5:]] == [4, 3, 4, 4, 3, 4, 4, 2, 3]
