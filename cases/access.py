"""Who may see and do what. Enforced by the services (and mirrored by the views only for showing buttons).

- Staff see cases of their own unit subtree, cases they requested, cases with a step offered or assigned to
  them and cases disposed to one of their positions; they act on steps offered to one of their positions.
- Supervisors (heads of units) also reassign, cancel and close cases in their subtree.
- Auditors (role AUD) read every case and change nothing. Admins configure; without a position they see no cases.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task

from workflows.models import TaskOffer

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


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case `user` may read."""
    acting = acting_positions(user)
    if is_auditor(user, acting):
        return Case.objects.all()
    position_ids = [a.position_id for a in acting]
    offered_processes = TaskOffer.objects.filter(position_id__in=position_ids).values("task__process_id")
    owned_processes = Task.objects.filter(owner=user).values("process_id")
    return Case.objects.filter(
        Q(unit_id__in=member_unit_ids(acting))
        | Q(requester=user)
        | Q(created_by=user)
        | Q(process_id__in=offered_processes)
        | Q(process_id__in=owned_processes)
        | Q(pk__in=DispositionRecipient.objects.filter(position_id__in=position_ids).values("disposition__case_id"))
    )


def can_view_case(user: User, case: Case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


def acting_for_task(user: User, task: Task) -> Acting | None:
    """The position through which `user` may work on `task`, or None.

    The owner acts through any position offered the task (or their own first position, for a direct
    assignment); an unassigned task can be worked on by whoever acts in an offered position.
    """
    acting = acting_positions(user)
    offered = set(TaskOffer.objects.filter(task=task).values_list("position_id", flat=True))
    through_offer = [a for a in acting if a.position_id in offered]
    if task.owner_id == user.pk:
        return (through_offer or acting or [Acting(0, 0, False, frozenset(), None)])[0]
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
