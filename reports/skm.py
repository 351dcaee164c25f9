"""Indeks Kepuasan Masyarakat (IKM) from the SKM answers, as Permenpan-RB 14/2017 computes it.

Per element: NRR = sum of scores / number of respondents. IKM = sum over the nine elements of NRR × 1/9, times 25,
so it lies between 25 and 100. The weight is exactly 1/9 (a `Fraction`): the regulation's worked example rounds it to
0,11, which understates the index; only the final value is rounded (to 2 decimals, half up). Grades:
A 88,31–100; B 76,61–88,30; C 65,00–76,60; D 25,00–64,99.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import SKM_ELEMENTS, SurveyAnswer

WEIGHT = Fraction(1, 9)
GRADES = [  # (lowest IKM of the grade, grade, performance)
    (Decimal("88.31"), "A", _("very good")),
    (Decimal("76.61"), "B", _("good")),
    (Decimal("65.00"), "C", _("fairly good")),
    (Decimal("25.00"), "D", _("not good")),
]


@dataclass(frozen=True)
class Ikm:
    """The index of one group of surveys."""

    respondents: int
    nrr: dict[str, Fraction]  # per element key: the mean score
    exact: Fraction  # Σ NRR × 1/9 × 25, unrounded
    value: Decimal  # rounded to 2 decimals
    grade: str
    performance: str


def grade_of(value: Decimal) -> tuple[str, str]:
    """The grade (A–D) and its performance label of an IKM rounded to 2 decimals."""
    for lowest, grade, performance in GRADES:
        if value >= lowest:
            return grade, str(performance)
    return "D", str(GRADES[-1][2])


def ikm_of(scores_by_survey: dict[int, dict[str, int]]) -> Ikm | None:
    """The IKM of complete surveys (survey id → element key → score); None when there is none."""
    keys = [key for key, _label in SKM_ELEMENTS]
    surveys = [s for s in scores_by_survey.values() if set(s) == set(keys)]
    if not surveys:
        return None
    count = len(surveys)
    nrr = {key: Fraction(sum(s[key] for s in surveys), count) for key in keys}
    exact = sum((nrr[key] * WEIGHT for key in keys), Fraction(0)) * 25
    value = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    grade, performance = grade_of(value)
    return Ikm(respondents=count, nrr=nrr, exact=exact, value=value, grade=grade, performance=performance)


def answers_between(start: datetime.datetime, end: datetime.datetime) -> QuerySet[SurveyAnswer]:
    """Answers of surveys answered in [start, end), with what grouping and the raw export need."""
    return (
        SurveyAnswer.objects.filter(survey__answered_at__gte=start, survey__answered_at__lt=end)
        .select_related("survey__case__sop_version", "survey__case__unit")
        .order_by("survey__answered_at", "survey_id", "pk")
    )


@dataclass(frozen=True)
class IkmRow:
    key: str
    label: str
    ikm: Ikm


def ikm_table(*, start: datetime.datetime, end: datetime.datetime, by: str) -> tuple[list[IkmRow], Ikm | None]:
    """IKM per SOP (`by="sop"`) or per unit (`by="unit"`) of the surveys answered in [start, end), and overall."""
    groups: dict[tuple[str, str], dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    overall: dict[int, dict[str, int]] = defaultdict(dict)
    for answer in answers_between(start, end):
        case = answer.survey.case
        key = (case.sop_version.code, case.sop_version.title) if by == "sop" else (case.unit.code, case.unit.name)
        groups[key][answer.survey_id][answer.element] = answer.score
        overall[answer.survey_id][answer.element] = answer.score
    rows = []
    for (key, label), surveys in sorted(groups.items()):
        ikm = ikm_of(surveys)
        if ikm is not None:
            rows.append(IkmRow(key, label, ikm))
    return rows, ikm_of(overall)


def raw_answer_rows(*, start: datetime.datetime, end: datetime.datetime) -> tuple[list[str], list[list[object]]]:
    """One row per answered survey: case, SOP, unit, answer time (UTC) and the nine scores by element key, so that
    auditors can recompute every index. Respondents are not named (the survey is anonymous in reports)."""
    keys = [key for key, _label in SKM_ELEMENTS]
    header = ["survey", "case", "sop", "unit", "answered_at_utc", *keys]
    rows: dict[int, list[object]] = {}
    for answer in answers_between(start, end):
        survey = answer.survey
        if survey.pk not in rows:
            rows[survey.pk] = [
                survey.pk,
                survey.case.reference,
                survey.case.sop_version.code,
                survey.case.unit.code,
                survey.answered_at.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(sep=" "),
                *([""] * len(keys)),
            ]
        rows[survey.pk][5 + keys.index(answer.element)] = answer.score
    return header, list(rows.values())
