"""Numbering registers (penomoran naskah dinas, Permendagri 83/2022): reserve, cancel and record numbers.

A register is one running sequence per (unit, jenis naskah, year). Every act locks the register row FOR UPDATE, so
acts on one register are serialised: numbers are issued without a gap or a duplicate, and a number entered by hand
(e.g. issued by SRIKANDI) is checked against everything the register already holds. A cancelled number stays
recorded and is never issued again. Each act appends exactly one audit event.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import errors
from .access import is_auditor
from .audit import audit_append
from .models import Case, NumberRegister, NumberReservation, Unit, User, validate_number_template

NUMBER_DUPLICATE = _(
    "Number %(number)s is already recorded in register %(register)s (%(state)s); it cannot be used again."
)
NUMBER_EMPTY = _("Enter the number.")
NUMBER_KKA_MISSING = _("Register %(register)s has no classification code (KKA); give one or set it on the register.")
NUMBER_TEMPLATE_INVALID = _("The number template of register %(register)s is invalid: %(error)s")
NUMBER_ALREADY_CANCELLED = _("Number %(number)s was already cancelled.")
NUMBER_NOT_FOUND = _("No such number reservation.")

ACTION_RESERVED = "number_reserved"
ACTION_CANCELLED = "number_cancelled"
ACTION_RECORDED = "number_recorded"
ACTION_REGISTER_SAVED = "number_register_saved"
REGISTER_SETTINGS = ("kka", "template", "unit_code")


@transaction.atomic
def register_save(*, register: NumberRegister, acting_user: User) -> NumberRegister:
    """Create a register or change its settings (KKA, template, unit code) from the admin, recorded in the audit trail.

    The running number is never written from a form (a number issued meanwhile would be handed out again), and a
    register that has issued numbers keeps its unit, kind and year.
    """
    register.full_clean(exclude=["last_seq"])
    if register.pk is None:
        register.save()
        before: dict[str, object] = {}
    else:
        locked = NumberRegister.objects.select_for_update().get(pk=register.pk)
        before = {name: getattr(locked, name) for name in REGISTER_SETTINGS}
        register.save(update_fields=list(REGISTER_SETTINGS))
    after = {name: getattr(register, name) for name in REGISTER_SETTINGS}
    if before != after:
        audit_append(
            action=ACTION_REGISTER_SAVED, actor=acting_user, before=before,
            after={"register": register.pk, "unit": register.unit.code, "kind": register.kind, "year": register.year,
                   **after},
        )
    return register


def _require_may_number(user: User) -> None:
    if is_auditor(user):
        raise errors.PermissionDenied(errors.AUDITORS_READ_ONLY)


def _lock_case(case: Case | None) -> Case | None:
    """Lock the case first (the order every case service uses), so its audit chain stays ordered."""
    if case is None:
        return None
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if not locked.is_open:
        raise errors.ApplicationError(
            errors.CASE_NOT_OPEN, params={"reference": locked.reference, "status": locked.get_status_display()}
        )
    return locked


def _locked_register(*, unit: Unit, kind: str, year: int) -> NumberRegister:
    """The register for (unit, kind, year), created on first use and locked FOR UPDATE.

    A new register takes its KKA, template and unit code from the unit's latest register of the same kind, so a
    new year continues with the same settings from number 1.
    """
    previous = NumberRegister.objects.filter(unit=unit, kind=kind, year__lt=year).order_by("-year").first()
    defaults = (
        {"kka": previous.kka, "template": previous.template, "unit_code": previous.unit_code}
        if previous
        else {"unit_code": unit.code.upper()}
    )
    # get_or_create survives a concurrent first use: the losing insert hits the unique constraint and re-reads.
    register, _created = NumberRegister.objects.get_or_create(unit=unit, kind=kind, year=year, defaults=defaults)
    return NumberRegister.objects.select_for_update().select_related("unit").get(pk=register.pk)


def _format(register: NumberRegister, *, seq: int, kka: str | None) -> str:
    try:
        validate_number_template(register.template)
    except ValidationError as exc:
        raise errors.ApplicationError(
            NUMBER_TEMPLATE_INVALID, params={"register": register, "error": " ".join(exc.messages)}
        ) from exc
    if "{kka}" in register.template and not (kka or register.kka):
        raise errors.ApplicationError(NUMBER_KKA_MISSING, params={"register": register})
    return register.format_number(seq=seq, kka=kka)


def _existing(register: NumberRegister, number: str) -> NumberReservation | None:
    """A reservation of this number in the register, whatever its state; compared ignoring letter case."""
    return register.reservations.filter(number__iexact=number).first()


def _audit_facts(reservation: NumberReservation) -> dict[str, object]:
    register = reservation.register
    return {
        "register": register.pk, "unit": register.unit.code, "kind": register.kind, "year": register.year,
        "seq": reservation.seq, "number": reservation.number, "manual": reservation.manual,
        "state": reservation.state,
    }


@transaction.atomic
def number_reserve(
    *, unit: Unit, kind: str, year: int, acting_user: User, case: Case | None = None, kka: str | None = None
) -> NumberReservation:
    """Issue the next number of the (unit, kind, year) register, optionally for a case.

    `kka` overrides the register's default classification code for this number. A running number whose formatted
    number was already recorded by hand (from SRIKANDI) is counted as used and skipped.
    """
    _require_may_number(acting_user)
    case = _lock_case(case)
    register = _locked_register(unit=unit, kind=kind, year=year)
    seq = register.last_seq
    while True:
        seq += 1
        number = _format(register, seq=seq, kka=kka)
        if _existing(register, number) is None:
            break
    register.last_seq = seq
    register.save(update_fields=["last_seq"])
    reservation = NumberReservation.objects.create(
        register=register, seq=seq, number=number, case=case, reserved_by=acting_user
    )
    audit_append(action=ACTION_RESERVED, actor=acting_user, case=case, after=_audit_facts(reservation))
    return reservation


@transaction.atomic
def number_cancel(*, reservation_id: int, acting_user: User, reason: str) -> NumberReservation:
    """Cancel a number. It stays in the register with the reason and is never issued again."""
    _require_may_number(acting_user)
    reason = reason.strip()
    if not reason:
        raise errors.ApplicationError(errors.REASON_REQUIRED)
    case_id = NumberReservation.objects.filter(pk=reservation_id).values_list("case_id", flat=True).first()
    if case_id is not None:
        Case.objects.select_for_update().filter(pk=case_id).first()  # case first, as every case service does
    reservation = (
        NumberReservation.objects.select_for_update(of=("self",))
        .select_related("register__unit")
        .filter(pk=reservation_id)
        .first()
    )
    if reservation is None:
        raise errors.ApplicationError(NUMBER_NOT_FOUND)
    if reservation.state == NumberReservation.State.CANCELLED:
        raise errors.ApplicationError(NUMBER_ALREADY_CANCELLED, params={"number": reservation.number})
    before = _audit_facts(reservation)
    reservation.state = NumberReservation.State.CANCELLED
    reservation.cancel_reason = reason
    reservation.cancelled_by = acting_user
    reservation.cancelled_at = timezone.now()
    reservation.save(update_fields=["state", "cancel_reason", "cancelled_by", "cancelled_at"])
    audit_append(
        action=ACTION_CANCELLED, actor=acting_user, case=reservation.case, before=before,
        after=_audit_facts(reservation), note=reason,
    )
    return reservation


@transaction.atomic
def number_record_manual(
    *, unit: Unit, kind: str, year: int, number: str, acting_user: User, case: Case | None = None
) -> NumberReservation:
    """Record a number issued elsewhere (e.g. by SRIKANDI) in the register, refusing any number it already holds."""
    _require_may_number(acting_user)
    number = " ".join(number.split())
    if not number:
        raise errors.ApplicationError(NUMBER_EMPTY)
    case = _lock_case(case)
    register = _locked_register(unit=unit, kind=kind, year=year)
    existing = _existing(register, number)
    if existing is not None:
        raise errors.ApplicationError(
            NUMBER_DUPLICATE,
            params={"number": existing.number, "register": register, "state": existing.get_state_display()},
        )
    reservation = NumberReservation.objects.create(
        register=register, seq=None, number=number, case=case, manual=True, reserved_by=acting_user
    )
    audit_append(action=ACTION_RECORDED, actor=acting_user, case=case, after=_audit_facts(reservation))
    return reservation
