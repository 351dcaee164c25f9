"""Reads of the org chart: who acts in which position today (including Plt/Plh and leave substitutes), unit
subtrees, and the supervisor of a position."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Delegation, Position, PositionHolding, Unit, User


@dataclass(frozen=True)
class Acting:
    """A user acting in a position; `on_behalf_of_id` is set when acting as Plt/Plh or as a leave substitute."""

    position_id: int
    unit_id: int
    is_head: bool
    role_codes: frozenset[str]
    on_behalf_of_id: int | None


def today() -> datetime.date:
    return timezone.localdate()


def _active(on: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": on})
    )


def _definitive_holders(position_ids: Iterable[int], on: datetime.date) -> dict[int, int]:
    rows = PositionHolding.objects.filter(
        _active(on), position_id__in=list(position_ids), kind=PositionHolding.Kind.DEFINITIVE
    ).values_list("position_id", "user_id")
    return dict(rows)


def acting_positions(user: User, on: datetime.date | None = None) -> list[Acting]:
    """Every position `user` may act in on `on`: held (definitive, Plt, Plh) or delegated to them."""
    if not user.is_authenticated:
        return []
    on = on or today()
    delegators = Delegation.objects.filter(_active(on), substitute=user).values("delegator_id")
    holdings = list(
        PositionHolding.objects.filter(_active(on), Q(user=user) | Q(user_id__in=delegators))
        .select_related("position")
        .prefetch_related("position__roles")
    )
    acting_as_official = [h.position_id for h in holdings if h.user_id == user.pk and h.kind != "definitif"]
    officials = _definitive_holders(acting_as_official, on) if acting_as_official else {}
    result = []
    for holding in holdings:
        if holding.user_id != user.pk:
            on_behalf_of = holding.user_id
        elif holding.kind != PositionHolding.Kind.DEFINITIVE:
            on_behalf_of = officials.get(holding.position_id)
        else:
            on_behalf_of = None
        position = holding.position
        result.append(
            Acting(
                position_id=position.pk,
                unit_id=position.unit_id,
                is_head=position.is_head,
                role_codes=frozenset(r.code for r in position.roles.all()),
                on_behalf_of_id=on_behalf_of,
            )
        )
    return result


def holdings_in_units(unit_ids: Iterable[int], on: datetime.date | None = None) -> QuerySet[PositionHolding]:
    """Position holdings (definitive, Plt, Plh) valid on `on` in the given units, with user and position."""
    return PositionHolding.objects.filter(_active(on or today()), position__unit_id__in=list(unit_ids)).select_related(
        "user", "position"
    )


def users_acting_in(position_ids: Iterable[int], on: datetime.date | None = None) -> set[int]:
    """Ids of users who may act in any of the positions on `on` (holders and their leave substitutes)."""
    on = on or today()
    holders = PositionHolding.objects.filter(_active(on), position_id__in=list(position_ids)).values_list(
        "user_id", flat=True
    )
    substitutes = Delegation.objects.filter(_active(on), delegator_id__in=holders).values_list(
        "substitute_id", flat=True
    )
    return set(holders.union(substitutes))


def leave_substitutes(user_ids: Iterable[int], on: datetime.date | None = None) -> set[int]:
    """Ids of the users standing in for these users' leave on `on`."""
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    return set(
        Delegation.objects.filter(_active(on or today()), delegator_id__in=user_ids).values_list(
            "substitute_id", flat=True
        )
    )


def _unit_parents() -> dict[int, int | None]:
    return dict(Unit.objects.values_list("pk", "parent_id"))


def unit_subtree_ids(unit_ids: Iterable[int]) -> set[int]:
    """The units and all units below them."""
    return _subtree(_unit_parents(), unit_ids)


def _subtree(parents: dict[int, int | None], unit_ids: Iterable[int]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    result: set[int] = set()
    todo = list(unit_ids)
    while todo:
        unit = todo.pop()
        if unit not in result:
            result.add(unit)
            todo.extend(children.get(unit, []))
    return result


def unit_ancestry(unit_id: int) -> list[int]:
    """The unit, its parent, and so on up to the root."""
    return _ancestry(_unit_parents(), unit_id)


def _ancestry(parents: dict[int, int | None], unit_id: int) -> list[int]:
    chain = []
    current: int | None = unit_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def positions_with_role(role_code: str, unit_id: int) -> list[int]:
    """Positions holding `role_code` in the unit's subtree; failing that, in the parent's subtree, and so on up.

    This is how a step finds its pelaksana: the agendaris of the case's own subdivision first, the Kepala Biro
    (who sits higher up) by walking up.
    """
    candidates = list(Position.objects.filter(roles__code=role_code).values_list("pk", "unit_id"))
    if not candidates:
        return []
    parents = _unit_parents()  # the tree is read once, however far up the search goes
    for ancestor in _ancestry(parents, unit_id):
        subtree = _subtree(parents, [ancestor])
        found = [pk for pk, unit in candidates if unit in subtree]
        if found:
            return sorted(found)
    return []


def unit_head_positions(unit_id: int) -> list[int]:
    """The head of the unit; failing that, of the nearest unit above (the supervisor a complaint goes to)."""
    ancestry = unit_ancestry(unit_id)
    heads = dict(Position.objects.filter(unit_id__in=ancestry, is_head=True).values_list("unit_id", "pk"))
    return next(([heads[u]] for u in ancestry if u in heads), [])


def supervisor_position(position: Position) -> Position | None:
    """Atasan langsung: the head of the position's unit, or for a head, the head of the nearest unit above."""
    ancestry = unit_ancestry(position.unit_id)
    if position.is_head:
        ancestry = ancestry[1:]
    heads = {p.unit_id: p for p in Position.objects.filter(unit_id__in=ancestry, is_head=True)}
    for unit_id in ancestry:
        head = heads.get(unit_id)
        if head is not None and head.pk != position.pk:
            return head
    return None
