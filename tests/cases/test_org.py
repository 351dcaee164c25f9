"""Reads of the org chart: who acts where on a date (Plt/Plh, leave substitutes), role lookup, atasan langsung."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from cases.models import Delegation, Position, PositionHolding, Role, Unit, User
from cases.org import (
    Acting,
    acting_positions,
    positions_with_role,
    supervisor_position,
    today,
    unit_ancestry,
    unit_subtree_ids,
    users_acting_in,
)
from tests.builders import appoint_plh

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def head_of(unit_code: str) -> Position:
    return Position.objects.get(unit__code=unit_code, is_head=True)


def position(title: str) -> Position:
    return Position.objects.get(title=title)


def unit(code: str) -> int:
    return Unit.objects.get(code=code).pk


def acting_in(user: User, pos: Position, on: datetime.date) -> list[Acting]:
    return [a for a in acting_positions(user, on) if a.position_id == pos.pk]


# --- acting_positions -----------------------------------------------------------------------------------------------


def test_a_definitive_holder_acts_in_their_own_position_in_their_own_right(org):
    [acting] = acting_positions(org["kasubbag.rt"])
    assert acting == Acting(
        position_id=head_of("subbag-rt").pk,
        unit_id=unit("subbag-rt"),
        is_head=True,
        role_codes=frozenset({"KRT"}),
        on_behalf_of_id=None,
    )
    assert [a.role_codes for a in acting_positions(org["kasubbag.aset"])] == [frozenset({"KPA"})]


def test_people_without_a_current_position_act_nowhere(org):
    assert acting_positions(org["admin"]) == []
    assert acting_positions(AnonymousUser()) == []
    holding = PositionHolding.objects.get(user=org["pengemudi2"])
    holding.valid_until = today() - DAY
    holding.save()
    assert acting_positions(org["pengemudi2"]) == []
    assert len(acting_positions(org["pengemudi2"], today() - DAY)) == 1
    assert acting_positions(org["pengemudi2"], datetime.date(2025, 12, 31)) == []  # before the holding began


def test_a_plh_acts_in_the_position_only_within_its_dates_on_behalf_of_the_official(org):
    kepala_biro = head_of("biro-umum")
    start, end = today() + 3 * DAY, today() + 5 * DAY
    appoint_plh(org["kabag.tu"], kepala_biro, start, end)

    assert acting_in(org["kabag.tu"], kepala_biro, start - DAY) == []
    for on in (start, start + DAY, end):
        [plh] = acting_in(org["kabag.tu"], kepala_biro, on)
        assert (plh.on_behalf_of_id, plh.is_head, plh.role_codes) == (org["karo"].pk, True, frozenset({"KARO"}))
    assert acting_in(org["kabag.tu"], kepala_biro, end + DAY) == []
    # Her own position stays hers, in her own right, throughout.
    own = head_of("bag-tu")
    assert [a.on_behalf_of_id for a in acting_in(org["kabag.tu"], own, start)] == [None]
    # The official keeps acting in his position too.
    assert [a.on_behalf_of_id for a in acting_in(org["karo"], kepala_biro, start)] == [None]


def test_a_plt_acts_from_its_start_with_no_end_date(org):
    kepala_bagian_rt = head_of("bag-rt")
    PositionHolding.objects.create(
        user=org["kasubbag.rt"], position=kepala_bagian_rt, kind=PositionHolding.Kind.PLT, valid_from=today()
    )
    assert acting_in(org["kasubbag.rt"], kepala_bagian_rt, today() - DAY) == []
    for on in (today(), today() + 400 * DAY):
        [plt] = acting_in(org["kasubbag.rt"], kepala_bagian_rt, on)
        assert plt.on_behalf_of_id == org["kabag.rt"].pk


def test_a_plt_in_a_vacant_position_acts_on_nobodys_behalf(org):
    kepala_bagian_rt = head_of("bag-rt")
    PositionHolding.objects.filter(user=org["kabag.rt"]).update(valid_until=today() - DAY)  # retired
    PositionHolding.objects.create(
        user=org["kasubbag.rt"], position=kepala_bagian_rt, kind=PositionHolding.Kind.PLT, valid_from=today()
    )
    [plt] = acting_in(org["kasubbag.rt"], kepala_bagian_rt, today())
    assert plt.on_behalf_of_id is None
    # Before the retirement the same Plt would have acted for the official.
    PositionHolding.objects.filter(user=org["kasubbag.rt"], kind=PositionHolding.Kind.PLT).update(
        valid_from=today() - 2 * DAY
    )
    [plt] = acting_in(org["kasubbag.rt"], kepala_bagian_rt, today() - 2 * DAY)
    assert plt.on_behalf_of_id == org["kabag.rt"].pk


def test_a_leave_substitute_acts_in_the_delegators_positions_only_during_the_delegation(org):
    arsiparis_position = position("Arsiparis Ahli Pertama")
    leave = Delegation.objects.get(delegator=org["arsiparis"], substitute=org["agendaris2"])

    assert acting_in(org["agendaris2"], arsiparis_position, leave.valid_from - DAY) == []
    for on in (leave.valid_from, leave.valid_until):
        [substitute] = acting_in(org["agendaris2"], arsiparis_position, on)
        assert (substitute.on_behalf_of_id, substitute.role_codes) == (org["arsiparis"].pk, frozenset({"ARS"}))
        own = position("Pengadministrasi Umum")
        assert [a.on_behalf_of_id for a in acting_in(org["agendaris2"], own, on)] == [None]
    assert acting_in(org["agendaris2"], arsiparis_position, leave.valid_until + DAY) == []
    # Only the named substitute: the other agendaris gains nothing.
    assert acting_in(org["agendaris1"], arsiparis_position, leave.valid_from) == []


def test_a_substitute_also_stands_in_for_the_delegators_plh_holdings(org):
    kepala_biro = head_of("biro-umum")
    appoint_plh(org["kabag.rt"], kepala_biro, today())
    Delegation.objects.create(
        delegator=org["kabag.rt"], substitute=org["kasubbag.rt"], valid_from=today(), valid_until=today() + DAY
    )
    acting = {a.position_id: a.on_behalf_of_id for a in acting_positions(org["kasubbag.rt"])}
    assert acting == {
        head_of("subbag-rt").pk: None,
        head_of("bag-rt").pk: org["kabag.rt"].pk,
        kepala_biro.pk: org["kabag.rt"].pk,
    }


# --- units and roles ------------------------------------------------------------------------------------------------


def test_unit_subtree_and_ancestry(org):
    assert unit_subtree_ids([unit("bag-rt")]) == {unit("bag-rt"), unit("subbag-rt")}
    assert unit_subtree_ids([unit("subbag-rt")]) == {unit("subbag-rt")}
    assert unit_subtree_ids([unit("biro-umum")]) == {
        unit(c) for c in ("biro-umum", "bag-tu", "subbag-persuratan", "bag-rt", "subbag-rt", "bag-aset", "subbag-aset")
    }
    assert unit_ancestry(unit("subbag-rt")) == [unit("subbag-rt"), unit("bag-rt"), unit("biro-umum")]
    assert unit_ancestry(unit("inspektorat")) == [unit("inspektorat")]


def test_positions_with_role_walks_up_the_tree_to_find_the_kepala_biro(org):
    assert positions_with_role("KARO", unit("subbag-rt")) == [head_of("biro-umum").pk]
    assert positions_with_role("KBRT", unit("subbag-rt")) == [head_of("bag-rt").pk]
    assert positions_with_role("KRT", unit("subbag-rt")) == [head_of("subbag-rt").pk]
    # Looking down from the top finds the one holder below.
    assert positions_with_role("DRV", unit("biro-umum")) == [position("Pengemudi").pk]


def test_positions_with_role_prefers_the_cases_own_subtree(org):
    agd = Role.objects.get(code="AGD")
    rt_agendaris = Position.objects.create(unit_id=unit("subbag-rt"), title="Pengadministrasi Umum Rumah Tangga")
    rt_agendaris.roles.add(agd)
    tu_agendaris = position("Pengadministrasi Umum")

    assert positions_with_role("AGD", unit("subbag-rt")) == [rt_agendaris.pk]
    assert positions_with_role("AGD", unit("bag-rt")) == [rt_agendaris.pk]
    assert positions_with_role("AGD", unit("subbag-persuratan")) == [tu_agendaris.pk]
    # No agendaris under Bagian Aset: the nearest common ancestor (the Biro) offers both, in id order.
    assert positions_with_role("AGD", unit("subbag-aset")) == sorted([rt_agendaris.pk, tu_agendaris.pk])


def test_positions_with_role_finds_nothing_outside_the_units_own_tree(org):
    assert positions_with_role("AUD", unit("subbag-rt")) == []  # the auditor sits in another tree (Inspektorat)
    assert positions_with_role("SEKDA", unit("subbag-rt")) == []  # a role nobody in the org chart holds
    assert positions_with_role("NOPE", unit("subbag-rt")) == []  # a role that does not exist


# --- supervisor_position ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "supervisor_unit"),
    [
        ("Pengemudi", "subbag-rt"),  # staff -> head of their unit
        ("Pengadministrasi Umum", "subbag-persuratan"),
        ("Kepala Subbagian Rumah Tangga", "bag-rt"),  # head of a subbagian -> head of the bagian
        ("Kepala Subbagian Persuratan dan Arsip", "bag-tu"),
        ("Kepala Bagian Rumah Tangga", "biro-umum"),  # head of a bagian -> Kepala Biro
    ],
)
def test_supervisor_position_is_the_head_of_the_unit_or_of_the_unit_above(org, title, supervisor_unit):
    assert supervisor_position(position(title)) == head_of(supervisor_unit)


def test_the_kepala_biro_and_the_headless_inspektorat_have_no_supervisor(org):
    assert supervisor_position(head_of("biro-umum")) is None
    assert supervisor_position(position("Auditor Ahli Muda")) is None


def test_staff_of_a_headless_team_report_to_the_head_of_the_unit_above(org):
    team = Unit.objects.create(code="tim-pool", name="Tim Pool Kendaraan", kind=Unit.Kind.TIM, parent_id=unit("bag-rt"))
    mechanic = Position.objects.create(unit=team, title="Mekanik")
    assert supervisor_position(mechanic) == head_of("bag-rt")


# --- users_acting_in ------------------------------------------------------------------------------------------------


def test_users_acting_in_a_position_include_its_holders_and_their_leave_substitutes(org):
    arsiparis_position = position("Arsiparis Ahli Pertama")
    leave = Delegation.objects.get(delegator=org["arsiparis"], substitute=org["agendaris2"])

    assert users_acting_in([arsiparis_position.pk], leave.valid_from) == {org["arsiparis"].pk, org["agendaris2"].pk}
    assert users_acting_in([arsiparis_position.pk], leave.valid_until + DAY) == {org["arsiparis"].pk}
    assert users_acting_in([position("Pengemudi").pk]) == {org["pengemudi1"].pk, org["pengemudi2"].pk}


def test_users_acting_in_include_plh_holders_only_within_their_dates(org):
    kepala_biro = head_of("biro-umum")
    appoint_plh(org["kabag.tu"], kepala_biro, today(), today())
    assert users_acting_in([kepala_biro.pk], today()) == {org["karo"].pk, org["kabag.tu"].pk}
    assert users_acting_in([kepala_biro.pk], today() + DAY) == {org["karo"].pk}
    assert users_acting_in([]) == set()
