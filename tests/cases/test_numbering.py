"""Numbering registers: Permendagri 83/2022 numbers, gap-free and duplicate-free, cancellations kept, SRIKANDI
numbers entered by hand checked for duplicates, every act audited; and a real-thread race on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cases import errors
from cases.audit import audit_verify
from cases.models import AuditEvent, NumberRegister, NumberReservation, Unit
from cases.numbering import NUMBER_DUPLICATE, number_cancel, number_record_manual, number_reserve
from tests.builders import RT_CODE, start_vehicle_request

pytestmark = pytest.mark.django_db

KIND = "surat_izin_kendaraan"
YEAR = 2026


@pytest.fixture
def biro(org) -> Unit:
    return Unit.objects.get(code="biro-umum")


@pytest.fixture
def register(biro) -> NumberRegister:
    return NumberRegister.objects.create(unit=biro, kind=KIND, year=YEAR, kka="000.1.4", unit_code="UM")


def reserve(org, unit, *, kind=KIND, year=YEAR, by="agendaris1", **kwargs) -> NumberReservation:
    return number_reserve(unit=unit, kind=kind, year=year, acting_user=org[by], **kwargs)


def test_a_number_follows_the_register_template(org, biro, register):
    reservation = reserve(org, biro)

    assert reservation.number == "000.1.4/1/UM/2026"
    assert (reservation.seq, reservation.manual, reservation.state) == (1, False, "reserved")
    assert reservation.reserved_by == org["agendaris1"]
    assert reserve(org, biro, kka="000.1.4.2").number == "000.1.4.2/2/UM/2026"  # a KKA for this one number


def test_numbers_are_issued_one_after_another(org, biro, register):
    numbers = [reserve(org, biro).number for _ in range(3)]

    assert numbers == ["000.1.4/1/UM/2026", "000.1.4/2/UM/2026", "000.1.4/3/UM/2026"]
    register.refresh_from_db()
    assert register.last_seq == 3


def test_each_unit_kind_and_year_has_its_own_sequence(org, biro, register):
    rt = Unit.objects.get(code="bag-rt")
    NumberRegister.objects.create(unit=biro, kind="berita_acara", year=YEAR, kka="000.2.4", unit_code="UM")
    NumberRegister.objects.create(unit=rt, kind=KIND, year=YEAR, kka="000.1.4", unit_code="RT")
    reserve(org, biro)
    reserve(org, biro)

    assert reserve(org, biro, kind="berita_acara").number == "000.2.4/1/UM/2026"
    assert reserve(org, rt).number == "000.1.4/1/RT/2026"
    next_year = reserve(org, biro, year=2027)  # a new year's register is made on first use, with the same settings
    assert next_year.number == "000.1.4/1/UM/2027"
    assert next_year.register.year == 2027
    assert reserve(org, biro).number == "000.1.4/3/UM/2026"


def test_a_cancelled_number_stays_recorded_and_is_never_issued_again(org, biro, register):
    first, second = reserve(org, biro), reserve(org, biro)

    with pytest.raises(errors.ApplicationError) as refusal:
        number_cancel(reservation_id=second.pk, acting_user=org["agendaris1"], reason="  ")
    assert str(refusal.value.message) == str(errors.REASON_REQUIRED)

    cancelled = number_cancel(reservation_id=second.pk, acting_user=org["kasubbag.surat"], reason="Surat batal dikirim")
    assert (cancelled.state, cancelled.cancel_reason, cancelled.cancelled_by) == (
        "cancelled", "Surat batal dikirim", org["kasubbag.surat"]
    )
    with pytest.raises(errors.ApplicationError):
        number_cancel(reservation_id=second.pk, acting_user=org["agendaris1"], reason="lagi")

    third = reserve(org, biro)
    assert third.number == "000.1.4/3/UM/2026"
    assert list(register.reservations.order_by("seq").values_list("seq", "number", "state")) == [
        (1, first.number, "reserved"),
        (2, second.number, "cancelled"),
        (3, third.number, "reserved"),
    ]
    with pytest.raises(errors.ApplicationError):  # nor can it come back by hand
        number_record_manual(unit=biro, kind=KIND, year=YEAR, number=second.number, acting_user=org["agendaris1"])


def test_a_number_entered_by_hand_is_refused_when_the_register_already_holds_it(org, biro, register):
    srikandi = number_record_manual(
        unit=biro, kind=KIND, year=YEAR, number=" 000.1.4/9/UM/2026 ", acting_user=org["agendaris1"]
    )
    assert (srikandi.number, srikandi.seq, srikandi.manual) == ("000.1.4/9/UM/2026", None, True)
    rows, events = NumberReservation.objects.count(), AuditEvent.objects.count()

    for again in ("000.1.4/9/UM/2026", "000.1.4/9/um/2026", "000.1.4/9/UM/2026  "):
        with pytest.raises(errors.ApplicationError) as refusal:
            number_record_manual(unit=biro, kind=KIND, year=YEAR, number=again, acting_user=org["agendaris2"])
        assert str(refusal.value.message) == str(
            NUMBER_DUPLICATE % {"number": srikandi.number, "register": register, "state": srikandi.get_state_display()}
        )

    assert (NumberReservation.objects.count(), AuditEvent.objects.count()) == (rows, events)
    register.refresh_from_db()
    assert register.last_seq == 0


def test_the_running_number_skips_a_number_already_entered_by_hand(org, biro, register):
    number_record_manual(unit=biro, kind=KIND, year=YEAR, number="000.1.4/2/UM/2026", acting_user=org["agendaris1"])

    assert [reserve(org, biro).number for _ in range(2)] == ["000.1.4/1/UM/2026", "000.1.4/3/UM/2026"]


def test_every_numbering_act_is_audited_and_the_chain_stays_intact(org, biro, register, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    reserved = reserve(org, biro, case=case)
    number_cancel(reservation_id=reserved.pk, acting_user=org["agendaris1"], reason="Salah perihal")
    number_record_manual(
        unit=biro, kind=KIND, year=YEAR, number="B-12/UM/2026", acting_user=org["agendaris2"], case=case
    )

    events = list(AuditEvent.objects.filter(action__startswith="number_").order_by("global_seq"))
    assert [(e.action, e.case_id, e.actor.username) for e in events] == [
        ("number_reserved", case.pk, "agendaris1"),
        ("number_cancelled", case.pk, "agendaris1"),
        ("number_recorded", case.pk, "agendaris2"),
    ]
    assert events[0].after["number"] == "000.1.4/1/UM/2026"
    assert (events[1].before["state"], events[1].after["state"], events[1].note) == (
        "reserved", "cancelled", "Salah perihal"
    )
    assert {k: events[2].after[k] for k in ("number", "manual", "seq")} == {
        "number": "B-12/UM/2026", "manual": True, "seq": None
    }
    assert audit_verify() is None


def test_an_auditor_cannot_take_a_number(org, biro, register):
    with pytest.raises(errors.PermissionDenied):
        reserve(org, biro, by="auditor")
    assert not NumberReservation.objects.exists()


THREADS = 8
PER_THREAD = 25


# serialized_rollback: the flush after a transactional test also empties the audit chain-head row a migration makes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.integration
def test_parallel_connections_get_every_number_exactly_once(org):
    """8 threads, each with its own connection, reserve 25 numbers each from one register at the same moment; the
    register is created by whichever thread comes first."""
    unit = Unit.objects.get(code="biro-umum")
    user = org["agendaris1"]
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            for _ in range(PER_THREAD):
                number_reserve(unit=unit, kind="surat_keluar", year=YEAR, acting_user=user, kka="000.1")
        except BaseException as exc:  # noqa: BLE001 - the test reports every failure
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (deadlock?)"
    assert failures == []

    register = NumberRegister.objects.get(unit=unit, kind="surat_keluar", year=YEAR)
    total = THREADS * PER_THREAD
    seqs = list(register.reservations.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))  # no gap, no duplicate
    numbers = set(register.reservations.values_list("number", flat=True))
    assert numbers == {f"000.1/{n}/BIRO-UMUM/2026" for n in range(1, total + 1)}
    assert register.last_seq == total
    assert AuditEvent.objects.filter(action="number_reserved").count() == total
    assert audit_verify() is None
