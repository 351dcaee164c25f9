"""Reads of the org chart: who acts in which position today (including Plt/Plh and leave substitutes), unit
subtrees, and the supervisor of a position."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from workflows.kept import KeptTables

from .models import Delegation, OrgChartStamp, Position, PositionHolding, Unit, User


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


@dataclass(frozen=True)
class _Position:
    pk: int
    unit_id: int
    is_head: bool
    role_codes: frozenset[str]


@dataclass(frozen=True)
class _Span:
    """A holding (user in position) or a delegation (delegator's positions to a substitute), from a date to a date."""

    pk: int
    user_id: int  # the holder, or the delegator
    other_id: int  # the position held, or the substitute
    kind: str  # a PositionHolding.Kind, or "" for a delegation
    valid_from: datetime.date
    valid_until: datetime.date | None

    def runs_on(self, on: datetime.date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


class OrgChart:
    """The org chart as read at one moment: units, positions with their roles, holdings and delegations, with the
    indexes the questions below need. A province's chart is a few thousand rows; every reader shares one snapshot
    per process while the chart is unchanged (`org_chart`)."""

    def __init__(
        self,
        *,
        parents: dict[int, int | None],
        time_zones: dict[int, str],
        positions: list[_Position],
        holdings: list[_Span],
        delegations: list[_Span],
    ) -> None:
        self.parents = parents
        self.time_zones = time_zones
        self.children: dict[int | None, list[int]] = {}
        for child, parent in parents.items():
            self.children.setdefault(parent, []).append(child)
        self.positions = {p.pk: p for p in positions}
        self.head_of_unit = {p.unit_id: p.pk for p in positions if p.is_head}
        self.positions_by_role: dict[str, list[_Position]] = {}
        for position in positions:
            for code in position.role_codes:
                self.positions_by_role.setdefault(code, []).append(position)
        self.holdings_of_user: dict[int, list[_Span]] = {}
        self.holdings_of_position: dict[int, list[_Span]] = {}
        for holding in holdings:
            self.holdings_of_user.setdefault(holding.user_id, []).append(holding)
            self.holdings_of_position.setdefault(holding.other_id, []).append(holding)
        self.delegations_to: dict[int, list[_Span]] = {}
        self.delegations_from: dict[int, list[_Span]] = {}
        for delegation in delegations:
            self.delegations_to.setdefault(delegation.other_id, []).append(delegation)
            self.delegations_from.setdefault(delegation.user_id, []).append(delegation)

    @classmethod
    def read(cls) -> OrgChart:
        roles: dict[int, set[str]] = {}
        for position_id, code in Position.roles.through.objects.values_list("position_id", "role__code"):
            roles.setdefault(position_id, set()).add(code)
        positions = [
            _Position(pk, unit_id, is_head, frozenset(roles.get(pk, ())))
            for pk, unit_id, is_head in Position.objects.order_by("pk").values_list("pk", "unit_id", "is_head")
        ]
        holdings = [
            _Span(*row)
            for row in PositionHolding.objects.order_by("pk").values_list(
                "pk", "user_id", "position_id", "kind", "valid_from", "valid_until"
            )
        ]
        delegations = [
            _Span(pk, delegator, substitute, "", valid_from, valid_until)
            for pk, delegator, substitute, valid_from, valid_until in Delegation.objects.order_by("pk").values_list(
                "pk", "delegator_id", "substitute_id", "valid_from", "valid_until"
            )
        ]
        units = Unit.objects.values_list("pk", "parent_id", "time_zone")
        return cls(
            parents={pk: parent for pk, parent, _zone in units},
            time_zones={pk: zone for pk, _parent, zone in units},
            positions=positions,
            holdings=holdings,
            delegations=delegations,
        )

    def subtree(self, unit_ids: Iterable[int]) -> set[int]:
        result: set[int] = set()
        todo = list(unit_ids)
        while todo:
            unit = todo.pop()
            if unit not in result:
                result.add(unit)
                todo.extend(self.children.get(unit, []))
        return result

    def ancestry(self, unit_id: int) -> list[int]:
        chain = []
        current: int | None = unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def holders(self, position_ids: Iterable[int], on: datetime.date) -> list[_Span]:
        return sorted(
            (h for pk in set(position_ids) for h in self.holdings_of_position.get(pk, ()) if h.runs_on(on)),
            key=lambda h: h.pk,
        )

    def substitutes(self, user_ids: Iterable[int], on: datetime.date) -> set[int]:
        return {d.other_id for pk in set(user_ids) for d in self.delegations_from.get(pk, ()) if d.runs_on(on)}


def _org_chart_stamp() -> uuid.UUID | None:
    return OrgChartStamp.objects.filter(pk=1).values_list("stamp", flat=True).first()


# The chart, kept per process behind cases.models.OrgChartStamp (see workflows.kept): `org_chart()` as it is now (one
# query while unchanged, five more after a change), `org_chart_under(stamp)` for a stamp just read,
# `org_chart_pinned()` for a block that changes none of it, and `org_chart_pin(chart)` to fix that block's chart.
_KEPT: KeptTables[OrgChart] = KeptTables("org_chart", read_stamp=_org_chart_stamp, load=OrgChart.read)
org_chart = _KEPT.current
org_chart_under = _KEPT.under
org_chart_pinned = _KEPT.pinned
org_chart_pin = _KEPT.pin


def _definitive_holders(position_ids: Iterable[int], on: datetime.date) -> dict[int, int]:
    return {
        h.other_id: h.user_id
        for h in org_chart().holders(position_ids, on)
        if h.kind == PositionHolding.Kind.DEFINITIVE
    }


def acting_positions(user: User, on: datetime.date | None = None) -> list[Acting]:
    """Every position `user` may act in on `on`: held (definitive, Plt, Plh) or delegated to them."""
    if not user.is_authenticated:
        return []
    on = on or today()
    chart = org_chart()
    delegators = {d.user_id for d in chart.delegations_to.get(user.pk, ()) if d.runs_on(on)}
    holdings = sorted(
        (h for pk in {user.pk, *delegators} for h in chart.holdings_of_user.get(pk, ()) if h.runs_on(on)),
        key=lambda h: h.pk,
    )
    acting_as_official = [h.other_id for h in holdings if h.user_id == user.pk and h.kind != "definitif"]
    officials = _definitive_holders(acting_as_official, on) if acting_as_official else {}
    result = []
    for holding in holdings:
        if holding.user_id != user.pk:
            on_behalf_of = holding.user_id
        elif holding.kind != PositionHolding.Kind.DEFINITIVE:
            on_behalf_of = officials.get(holding.other_id)
        else:
            on_behalf_of = None
        position = chart.positions[holding.other_id]
        result.append(
            Acting(
                position_id=position.pk,
                unit_id=position.unit_id,
                is_head=position.is_head,
                role_codes=position.role_codes,
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
    chart = org_chart()
    holders = {h.user_id for h in chart.holders(position_ids, on)}
    return holders | chart.substitutes(holders, on)


def leave_substitutes(user_ids: Iterable[int], on: datetime.date | None = None) -> set[int]:
    """Ids of the users standing in for these users' leave on `on`."""
    return org_chart().substitutes(user_ids, on or today())


def unit_subtree_ids(unit_ids: Iterable[int]) -> set[int]:
    """The units and all units below them."""
    return org_chart().subtree(unit_ids)


def unit_time_zone(unit_id: int) -> str:
    """The unit's time zone (Asia/Jayapura, WIT, for Maluku); empty when the unit sets none."""
    return org_chart().time_zones.get(unit_id, "")


def unit_ancestry(unit_id: int) -> list[int]:
    """The unit, its parent, and so on up to the root."""
    return org_chart().ancestry(unit_id)


def positions_with_role(role_code: str, unit_id: int) -> list[int]:
    """Positions holding `role_code` in the unit's subtree; failing that, in the parent's subtree, and so on up.

    This is how a step finds its pelaksana: the agendaris of the case's own subdivision first, the Kepala Biro
    (who sits higher up) by walking up.
    """
    chart = org_chart()
    candidates = chart.positions_by_role.get(role_code, [])
    for ancestor in chart.ancestry(unit_id) if candidates else []:
        subtree = chart.subtree([ancestor])
        found = [p.pk for p in candidates if p.unit_id in subtree]
        if found:
            return sorted(found)
    return []


def unit_head_positions(unit_id: int) -> list[int]:
    """The head of the unit; failing that, of the nearest unit above (the supervisor a complaint goes to)."""
    chart = org_chart()
    return next(([chart.head_of_unit[u]] for u in chart.ancestry(unit_id) if u in chart.head_of_unit), [])


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
