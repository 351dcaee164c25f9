"""Who may see and do what. Enforced by the services (and mirrored by the views only for showing buttons).

- Staff see cases of their own unit subtree, cases they requested, cases with a step offered or assigned to
  them and cases disposed to one of their positions; they act on steps offered to one of their positions.
- Supervisors (heads of units) also reassign, cancel and close cases in their subtree.
- Auditors (role AUD) read every case and change nothing. Admins configure; without a position they see no cases.
- A confidential case (tingkat keamanan R or SR) is seen only by the positions it is addressed to
  (`addressed_position_ids`), its requester and its creator, those who hold or held one of its steps, and auditors:
  not by the rest of its unit.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task

from workflows.models import Escalation, SopVersion, TaskOffer
from workflows.sops import data_fields

from .models import Case, DispositionRecipient, User
from .org import Acting, acting_positions, unit_subtree_ids

AUDITOR_ROLE = "AUD"


def is_auditor(user: User, acting: list[Acting] | None = None) -> bool:
    acting = acting_positions(user) if acting is None else acting
    return any(AUDITOR_ROLE in a.role_codes for a in acting)


def member_unit_ids(acting: list[Acting]) -> set[int]:
    return unit_subtree_ids({a.unit_id for a in acting})


def supervised_unit_ids(acting: list[Acting]) -> set[int]:
    return unit_subtree_ids({a.unit_id for a in acting if a.is_head})


CONFIDENTIAL_LEVELS = (Case.Keamanan.RAHASIA, Case.Keamanan.SANGAT_RAHASIA)


def _position_field_names(definition: dict) -> set[str]:
    return {name for name, spec in data_fields(definition).items() if spec["type"] == "position"}


def addressed_position_ids(case: Case) -> set[int]:
    """The positions a case is addressed to: those offered (or assigned) any of its steps, those named in its
    position fields (e.g. the disposition's "kepada"), those a disposition of it went to, and those its escalations
    went to.

    The one definition of "addressed to" for confidential cases; `_addressed_q` is its query form and must say the
    same (tests/cases/test_confidential.py checks that they agree).
    """
    offered = set(TaskOffer.objects.filter(task__process_id=case.process_id).values_list("position_id", flat=True))
    named = {int(case.data[name]) for name in _position_field_names(case.sop_version.definition)
             if str(case.data.get(name, "")).isdigit()}
    escalated = set(Escalation.objects.filter(case=case).values_list("position_id", flat=True))
    disposed = set(DispositionRecipient.objects.filter(disposition__case=case).values_list("position_id", flat=True))
    return offered | named | escalated | disposed


# SOP versions never change once registered: the position fields of each are read once per process.
_POSITION_FIELDS_BY_VERSION: dict[int, set[str]] = {}


def _all_position_field_names() -> set[str]:
    """The names of the position fields of every registered SOP version."""
    known = _POSITION_FIELDS_BY_VERSION
    missing = set(SopVersion.objects.values_list("pk", flat=True)) - known.keys()
    for pk, definition in SopVersion.objects.filter(pk__in=missing).values_list("pk", "definition"):
        known[pk] = _position_field_names(definition)
    return set().union(*known.values()) if known else set()


def _addressed_q(position_ids: list[int]) -> Q:
    """Cases addressed to any of `position_ids`, as a query (see `addressed_position_ids`)."""
    offered = TaskOffer.objects.filter(position_id__in=position_ids).values("task__process_id")
    escalated = Escalation.objects.filter(position_id__in=position_ids).values("case_id")
    disposed = DispositionRecipient.objects.filter(position_id__in=position_ids).values("disposition__case_id")
    query = Q(process_id__in=offered) | Q(pk__in=escalated) | Q(pk__in=disposed)
    for name in sorted(_all_position_field_names()):
        query |= Q(**{f"data__{name}__in": position_ids})
    return query


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case `user` may read."""
    acting = acting_positions(user)
    if is_auditor(user, acting):
        return Case.objects.all()
    position_ids = [a.position_id for a in acting]
    owned_processes = Task.objects.filter(owner=user).values("process_id")
    personal = Q(requester=user) | Q(created_by=user) | Q(process_id__in=owned_processes)
    addressed = _addressed_q(position_ids) if position_ids else Q(pk__in=[])
    not_confidential = ~Q(tingkat_keamanan__in=CONFIDENTIAL_LEVELS)
    return Case.objects.filter(personal | addressed | (not_confidential & Q(unit_id__in=member_unit_ids(acting))))


def can_view_case(user: User, case: Case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


def acting_for_task(user: User, task: Task) -> Acting | None:
    """The position through which `user` may work on `task`, or None.

    The owner acts through any position offered the task (or their own first position, for a direct
    assignment); an unassigned task can be worked on by whoever acts in an offered position.
    """
    acting = acting_positions(user)
    if task.owner_id == user.pk and len(acting) <= 1:
        return (acting or [Acting(0, 0, False, frozenset(), None)])[0]  # no offer can choose between positions
    offered = set(TaskOffer.objects.filter(task=task).values_list("position_id", flat=True))
    through_offer = [a for a in acting if a.position_id in offered]
    if task.owner_id == user.pk:
        return (through_offer or acting)[0]
    standing_in = [a for a in through_offer if a.on_behalf_of_id == task.owner_id]
    if task.owner_id is not None and standing_in:
        # A Plh/Plt or leave substitute takes over what was already in the absent official's inbox.
        return standing_in[0]
    if task.owner_id is None and through_offer:
        # Prefer acting in one's own right over acting for someone else.
        return sorted(through_offer, key=lambda a: a.on_behalf_of_id is not None)[0]
    return None


def supervising(user: User, case: Case) -> Acting | None:
    """The head position through which `user` supervises the case's unit, if any."""
    for acting in acting_positions(user):
        if acting.is_head and case.unit_id in unit_subtree_ids([acting.unit_id]):
            return acting
    return None


def intake_position(user: User, definition: dict) -> Acting | None:
    """The position through which `user` staffs the SOP's intake desk, if they hold one."""
    intake_roles = set(definition["intake"]["roles"])
    return next((a for a in acting_positions(user) if a.role_codes & intake_roles), None)


def may_start_sop(user: User, definition: dict) -> bool:
    """Intake staff may start any case of the SOP; anyone else only where the SOP is open to requesters."""
    if not user.is_authenticated:
        return False
    if intake_position(user, definition) is not None:
        return True
    return bool(definition["intake"].get("open_to_requesters")) and not is_auditor(user)
