"""Survei Kepuasan Masyarakat (Permenpan-RB 14/2017): sending the questionnaire and recording the answers.

A case of an SOP marked `skm: true` (a service SOP) that finishes resolved sends its requester the nine-element
questionnaire (one per case). The index (IKM) is computed in reports/skm.py from the stored answers.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import errors
from .audit import audit_append
from .models import SKM_ELEMENTS, Case, SatisfactionSurvey, SurveyAnswer, User
from .notifications import notify


def survey_offer(*, case: Case, acting_user: User | None) -> SatisfactionSurvey | None:
    """Send the survey for a just-finished case when its SOP is a service SOP and it has a requester who logs in.

    Called inside the transaction that finished the case; does nothing for other cases or a second time.
    """
    if not case.sop_version.definition.get("skm") or case.status != Case.Status.RESOLVED or case.requester is None:
        return None
    survey, created = SatisfactionSurvey.objects.get_or_create(case=case, defaults={"respondent": case.requester})
    if not created:
        return None
    audit_append(action="survey_offered", actor=acting_user, case=case, after={"respondent": case.requester_id})
    link = reverse("cases:survey", args=[survey.pk])
    notify(
        recipients=[case.requester],
        case=case,
        kind="survey_offered",
        write=lambda: (
            _("How was our service? Survey for %(case)s") % {"case": case.reference},
            _("Your request %(case)s is finished. Please rate our service (nine questions, one minute): %(link)s")
            % {"case": case.reference, "link": link},
        ),
    )
    return survey


@transaction.atomic
def survey_answer(*, survey_id: int, acting_user: User, scores: dict[str, int], suggestion: str = "") -> None:
    """Record the respondent's scores (1–4 for each of the nine elements, by key); a survey is answered once."""
    survey = SatisfactionSurvey.objects.select_for_update().select_related("case").get(pk=survey_id)
    if survey.respondent_id != acting_user.pk:
        raise errors.PermissionDenied(errors.SURVEY_NOT_OFFERED)
    if survey.answered_at is not None:
        raise errors.ApplicationError(errors.SURVEY_ALREADY_ANSWERED)
    keys = [key for key, _label in SKM_ELEMENTS]
    if set(scores) != set(keys) or any(scores[k] not in (1, 2, 3, 4) for k in keys):
        raise errors.ApplicationError(errors.SURVEY_INCOMPLETE)
    SurveyAnswer.objects.bulk_create(SurveyAnswer(survey=survey, element=k, score=scores[k]) for k in keys)
    survey.answered_at = timezone.now()
    survey.suggestion = suggestion.strip()
    survey.save(update_fields=["answered_at", "suggestion"])
    audit_append(
        action="survey_answered",
        actor=acting_user,
        case=survey.case,
        after={"scores": {k: scores[k] for k in keys}},
        note=survey.suggestion,
    )
