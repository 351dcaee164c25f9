"""The domain: users and the org chart, cases and their lifecycle, attachments, comments and the audit trail."""

from __future__ import annotations

import zoneinfo
from typing import Any

import django_fsm as fsm
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .uploads import attachment_upload_to


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(zone)s” is not a time zone (e.g. Asia/Jayapura)."), params={"zone": value})


class User(AbstractUser):
    """A person who logs in. What printed documents need about them lives here."""

    full_name = models.CharField(_("full name with titles"), max_length=200, blank=True)
    nip = models.CharField(_("NIP"), max_length=18, blank=True, help_text=_("Civil-servant number (18 digits)."))
    pangkat_golongan = models.CharField(_("rank/grade"), max_length=100, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    def __str__(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class Unit(models.Model):
    """An organisational unit: Biro → Bagian → Subbagian/Tim."""

    class Kind(models.TextChoices):
        BIRO = "biro", _("Bureau")
        BAGIAN = "bagian", _("Division")
        SUBBAGIAN = "subbagian", _("Subdivision")
        TIM = "tim", _("Working team")
        EXTERNAL = "external", _("Other unit")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Jayapura", validators=[validate_time_zone]
    )
    kop_lines = models.TextField(
        _("letterhead lines"), blank=True,
        help_text=_("One line per row, top to bottom (e.g. PEMERINTAH PROVINSI MALUKU / SEKRETARIAT DAERAH / "
                    "BIRO UMUM). Empty: the parent unit's letterhead is used."),
    )
    kop_address = models.CharField(
        _("letterhead address"), max_length=300, blank=True, help_text=_("Address, telephone, e-mail, post code.")
    )
    logo = models.ImageField(_("letterhead logo"), upload_to="kop/", blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A role code used by SOPs as pelaksana (e.g. AGD, KRT, KARO, AUD)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Position(models.Model):
    """A jabatan in a unit. SOP steps are routed to positions by role, never to people directly."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="positions")
    title = models.CharField(_("title"), max_length=200)
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), related_name="positions", blank=True)
    is_head = models.BooleanField(
        _("head of unit"), default=False, help_text=_("The head is the direct supervisor of the unit's staff.")
    )

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["unit__code", "-is_head", "title"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(is_head=True), name="one_head_per_unit"),
        ]

    def __str__(self) -> str:
        return self.title


class PositionHolding(models.Model):
    """A user holding a position from a date to a date: definitively, or as Plt/Plh."""

    class Kind(models.TextChoices):
        DEFINITIVE = "definitif", _("Definitive")
        PLT = "plt", _("Plt (acting official)")
        PLH = "plh", _("Plh (daily executive)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="holdings")
    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="holdings")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.DEFINITIVE)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("position holding")
        verbose_name_plural = _("position holdings")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="holding_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.position} ({self.get_kind_display()})"


class Delegation(models.Model):
    """Leave substitution: while it runs, the substitute acts on the delegator's positions, on their behalf."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given")
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="delegation_dates_ordered"
            ),
            models.CheckConstraint(condition=~Q(delegator=models.F("substitute")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.substitute}"


class OrgChartStamp(models.Model):
    """One row whose `stamp` changes with every write to the org chart tables (units, roles, positions and their
    roles, holdings, delegations): a process keeps its snapshot of the chart (`cases.org.org_chart`) while the stamp
    it was read under is current.

    Database triggers (migration 0019) set a fresh random value on every insert, update, delete and truncate of
    those tables, so that bulk updates, the admin and raw SQL all count, and a rolled-back stamp never comes back.
    """

    stamp = models.UUIDField()

    def __str__(self) -> str:
        return str(self.stamp)


class Case(fsm.ConcurrentTransitionMixin, fsm.FSMModelMixin, models.Model):
    """One request or letter moving through one SOP version.

    viewflow owns the step progress (its Process and Tasks); this row owns the business data and the coarse
    lifecycle.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        ON_HOLD = "on_hold", _("On hold")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    class Derajat(models.TextChoices):
        BIASA = "biasa", _("Ordinary (biasa)")
        SEGERA = "segera", _("Urgent (segera)")
        SANGAT_SEGERA = "sangat_segera", _("Very urgent (sangat segera)")

    class Keamanan(models.TextChoices):
        BIASA = "B", _("B — ordinary")
        TERBATAS = "T", _("T — limited")
        RAHASIA = "R", _("R — confidential")
        SANGAT_RAHASIA = "SR", _("SR — strictly confidential")

    OPEN_STATUSES = (Status.DRAFT, Status.OPEN, Status.ON_HOLD)

    reference = models.CharField(_("case number"), max_length=32, unique=True)
    nomor_agenda = models.CharField(_("agenda number"), max_length=64, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=300)
    requester_name = models.CharField(_("requester"), max_length=200)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requested_cases",
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="cases")
    sop_version = models.ForeignKey(
        "workflows.SopVersion", verbose_name=_("SOP version"), on_delete=models.PROTECT, related_name="cases"
    )
    derajat = models.CharField(_("urgency"), max_length=16, choices=Derajat.choices, default=Derajat.BIASA)
    tingkat_keamanan = models.CharField(
        _("security level"), max_length=2, choices=Keamanan.choices, default=Keamanan.BIASA
    )
    status = fsm.FSMField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, protected=True, db_index=True
    )
    data = models.JSONField(_("case data"), default=dict, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.PROTECT, related_name="case"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent case"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    parent_step = models.CharField(_("opened at step"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_cases")
    tracking_code = models.CharField(
        _("tracking code"), max_length=32, unique=True, null=True, blank=True, editable=False,
        help_text=_("Random code on the receipt: shows the case's status without logging in."),
    )
    complaint_about = models.ForeignKey(
        "self", verbose_name=_("complaint about"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaints",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("finished"), null=True, blank=True)
    archived_at = models.DateTimeField(
        _("archived"), null=True, blank=True,
        help_text=_("When its active retention period ended and it moved to the inactive archive."),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["unit", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "on_hold"]) | Q(closed_at__isnull=False),
                name="finished_case_has_closed_at",
            ),
            models.CheckConstraint(
                condition=Q(archived_at__isnull=True) | Q(closed_at__isnull=False), name="archived_case_is_finished"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_confidential(self) -> bool:
        return self.tingkat_keamanan in (self.Keamanan.RAHASIA, self.Keamanan.SANGAT_RAHASIA)

    @fsm.transition(field=status, source=Status.DRAFT, target=Status.OPEN)
    def open(self) -> None:
        pass

    @fsm.transition(field=status, source=Status.OPEN, target=Status.ON_HOLD)
    def hold(self) -> None:
        pass

    @fsm.transition(field=status, source=Status.ON_HOLD, target=Status.OPEN)
    def resume(self) -> None:
        pass

    @fsm.transition(field=status, source=[Status.OPEN, Status.ON_HOLD], target=Status.RESOLVED)
    def resolve(self, *, note: str = "") -> None:
        self.outcome_note = note
        self.closed_at = timezone.now()

    @fsm.transition(field=status, source=[Status.OPEN, Status.ON_HOLD], target=Status.REJECTED)
    def reject(self, *, note: str = "") -> None:
        self.outcome_note = note
        self.closed_at = timezone.now()

    @fsm.transition(field=status, source=[Status.DRAFT, Status.OPEN, Status.ON_HOLD], target=Status.CANCELLED)
    def cancel(self, *, note: str) -> None:
        self.outcome_note = note
        self.closed_at = timezone.now()

    @fsm.transition(field=status, source=Status.RESOLVED, target=Status.CLOSED)
    def close(self) -> None:
        self.closed_at = timezone.now()


class Attachment(models.Model):
    """A file attached to a case (at intake or at a step); its SHA-256 goes into the audit event."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    step = models.CharField(_("step"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=64, help_text=_("The kelengkapan item this file satisfies."))
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class AuditEvent(models.Model):
    """One act, appended and never changed. Chained per case and globally by SHA-256 (see cases/audit.py)."""

    class Action(models.TextChoices):
        CASE_STARTED = "case_started", _("case started")
        STEP_CLAIMED = "step_claimed", _("step taken")
        STEP_RELEASED = "step_released", _("step returned to the queue")
        STEP_COMPLETED = "step_completed", _("step completed")
        STEP_REASSIGNED = "step_reassigned", _("step reassigned")
        COMMENT_ADDED = "comment_added", _("comment")
        CASE_CANCELLED = "case_cancelled", _("case cancelled")
        CASE_CLOSED = "case_closed", _("case closed")
        SOP_VERSION_REGISTERED = "sop_version_registered", _("SOP version registered")
        OPENED_AS_SUBCASE = "opened_as_subcase", _("opened as a sub-case")
        SUBCASES_JOINED = "subcases_joined", _("sub-cases finished")
        CASE_MIGRATED = "case_migrated", _("case moved to a new SOP version")
        CALENDAR_SYNCED = "calendar_synced", _("holidays synchronised")
        CALENDAR_DAY_ADDED = "calendar_day_added", _("day off added")
        CALENDAR_DAY_CHANGED = "calendar_day_changed", _("day off changed")
        CALENDAR_DAY_REMOVED = "calendar_day_removed", _("day off removed")
        WORK_SCHEDULE_SAVED = "work_schedule_saved", _("work schedule saved")
        WORK_SCHEDULE_DELETED = "work_schedule_deleted", _("work schedule deleted")
        SCHEDULE_VARIANT_SAVED = "schedule_variant_saved", _("schedule variant saved")
        SCHEDULE_VARIANT_DELETED = "schedule_variant_deleted", _("schedule variant deleted")
        UNIT_SCHEDULE_SET = "unit_schedule_set", _("unit work schedule set")
        UNIT_SCHEDULE_CLEARED = "unit_schedule_cleared", _("unit work schedule cleared")
        SLA_WARNING = "sla_warning", _("early warning")
        SLA_ESCALATED = "sla_escalated", _("escalated to a supervisor")
        ESCALATION_DECIDED = "escalation_decided", _("escalation decided")
        UNIT_SAVED = "unit_saved", _("unit changed")
        NUMBER_RESERVED = "number_reserved", _("number reserved")
        NUMBER_CANCELLED = "number_cancelled", _("number cancelled")
        NUMBER_RECORDED = "number_recorded", _("number entered by hand")
        DOCUMENT_PRINTED = "document_printed", _("document printed")
        DISPOSITION_GIVEN = "disposition_given", _("disposition given")
        NUMBER_REGISTER_SAVED = "number_register_saved", _("numbering register changed")
        INSTRUCTION_SAVED = "instruction_saved", _("disposition instruction changed")
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        LOGIN = "login", _("logged in")
        LOGOUT = "logout", _("logged out")
        LOGIN_LOCKED_OUT = "login_locked_out", _("locked out after failed logins")
        PERMISSION_DENIED = "permission_denied", _("permission denied")
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("two-factor authentication set up")
        TWO_FACTOR_FAILED = "two_factor_failed", _("wrong two-factor code")
        CASE_ARCHIVED = "case_archived", _("case archived (retention)")
        SURVEY_OFFERED = "survey_offered", _("satisfaction survey sent")
        SURVEY_ANSWERED = "survey_answered", _("satisfaction survey answered")
        COMPLAINT_FILED = "complaint_filed", _("complaint filed")

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    global_seq = models.PositiveBigIntegerField(unique=True)
    case_seq = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices, db_index=True)
    step = models.CharField(_("step"), max_length=64, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    attachment_hashes = models.JSONField(default=list, blank=True)
    case_prev_hash = models.CharField(max_length=64, blank=True)
    global_prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["global_seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "case_seq"], name="one_event_per_case_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.global_seq} {self.action}"


class AuditChainHead(models.Model):
    """The single row that serialises appends to the global chain (locked FOR UPDATE by every append)."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="single_chain_head")]

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class Notification(models.Model):
    """A message to one person, written in their language when it is made; e-mailed too when they have an address."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject


NUMBER_TEMPLATE_FIELDS = ("kka", "seq", "unit", "yyyy")


def validate_number_template(value: str) -> None:
    """A template may use only {kka}, {seq}, {unit} and {yyyy}, and must contain {seq} (else every number repeats)."""
    import string

    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ValidationError(_("The template is malformed: %(error)s."), params={"error": exc}) from exc
    unknown = names - set(NUMBER_TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown placeholder(s) %(names)s; use {kka}, {seq}, {unit} and {yyyy}."),
            params={"names": ", ".join(sorted(unknown))},
        )
    if "seq" not in names:
        raise ValidationError(_("The template must contain {seq}."))


class NumberRegister(models.Model):
    """A numbering register (buku register naskah dinas): one running sequence per unit, jenis naskah and year.

    Numbers follow Permendagri 83/2022: kode klasifikasi arsip / nomor urut / kode unit / tahun. Numbers are only
    issued through cases/numbering.py, which locks this row, so the sequence has no gap and no duplicate.
    """

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="number_registers")
    kind = models.SlugField(
        _("kind of document"), max_length=64, help_text=_("Jenis naskah, e.g. surat_keluar, berita_acara.")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kka = models.CharField(
        _("classification code"), max_length=64, blank=True,
        help_text=_("Default kode klasifikasi arsip (Permendagri 83/2022), e.g. 000.1.4."),
    )
    template = models.CharField(
        _("number template"), max_length=128, default="{kka}/{seq}/{unit}/{yyyy}", validators=[validate_number_template]
    )
    unit_code = models.CharField(
        _("unit code in numbers"), max_length=32, help_text=_("The unit code printed in numbers, e.g. UM.")
    )
    last_seq = models.PositiveIntegerField(_("last number issued"), default=0)

    class Meta:
        verbose_name = _("numbering register")
        verbose_name_plural = _("numbering registers")
        ordering = ["-year", "unit__code", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind", "year"], name="one_register_per_unit_kind_year"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2999), name="register_year_plausible"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_code} · {self.kind} · {self.year}"

    def format_number(self, *, seq: int, kka: str | None = None) -> str:
        return self.template.format(kka=kka or self.kka, seq=seq, unit=self.unit_code, yyyy=f"{self.year:04d}")


class NumberReservation(models.Model):
    """One number taken from a register: reserved by the engine, or recorded by hand (e.g. issued by SRIKANDI).

    Never deleted: a cancelled number stays recorded with its reason and is not issued again.
    """

    class State(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        CANCELLED = "cancelled", _("Cancelled")

    register = models.ForeignKey(
        NumberRegister, verbose_name=_("register"), on_delete=models.PROTECT, related_name="reservations"
    )
    seq = models.PositiveIntegerField(_("running number"), null=True, blank=True)
    number = models.CharField(_("number"), max_length=128)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="numbers"
    )
    manual = models.BooleanField(_("entered by hand"), default=False, help_text=_("Issued elsewhere, e.g. SRIKANDI."))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RESERVED)
    reserved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reserved_at = models.DateTimeField(_("reserved"), default=timezone.now)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("number reservation")
        verbose_name_plural = _("number reservations")
        ordering = ["register", "reserved_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "seq"], condition=Q(seq__isnull=False), name="one_reservation_per_register_seq"
            ),
            models.UniqueConstraint(fields=["register", "number"], name="one_reservation_per_register_number"),
            models.CheckConstraint(
                condition=Q(manual=True, seq__isnull=True) | Q(manual=False, seq__isnull=False),
                name="reservation_manual_xor_seq",
            ),
            models.CheckConstraint(
                condition=Q(state="reserved") | (~Q(cancel_reason="") & Q(cancelled_at__isnull=False)),
                name="cancelled_reservation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DispositionInstruction(models.Model):
    """One box of the "Dengan hormat harap" checklist on the lembar disposisi; kept in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=120)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered"), default=True, help_text=_("Retired boxes stay on old dispositions."))

    class Meta:
        verbose_name = _("disposition instruction")
        verbose_name_plural = _("disposition instructions")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class Disposition(models.Model):
    """One node of a case's disposition tree: from a position to one or more positions, with instructions, a note, a
    batas waktu, and the giver's paraf and date. `parent` is the disposition the giver received (multi-level); a
    disposition given outside an SOP step is a disposisi inisiatif."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="dispositions")
    parent = models.ForeignKey(
        "self", verbose_name=_("passed on from"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    from_position = models.ForeignKey(
        Position, verbose_name=_("from"), on_delete=models.PROTECT, related_name="dispositions_given"
    )
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipients = models.ManyToManyField(
        Position, verbose_name=_("to"), through="DispositionRecipient", related_name="dispositions_received"
    )
    instructions = models.ManyToManyField(DispositionInstruction, verbose_name=_("instructions"), blank=True)
    note = models.TextField(_("note"), blank=True)
    due_date = models.DateField(_("batas waktu"), null=True, blank=True)
    step = models.CharField(_("step"), max_length=64, blank=True, help_text=_("Empty for a disposisi inisiatif."))
    initiative = models.BooleanField(_("disposisi inisiatif"), default=False)
    paraf = models.CharField(_("paraf"), max_length=16)
    given_at = models.DateTimeField(_("given"), default=timezone.now)

    class Meta:
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")
        ordering = ["case", "given_at", "pk"]
        indexes = [models.Index(fields=["case", "given_at"])]

    def __str__(self) -> str:
        return f"{self.case} — {self.from_position} ({self.level})"


class DispositionRecipient(models.Model):
    """A position a disposition goes to; the first (order 0) carries the SOP's follow-up steps."""

    disposition = models.ForeignKey(Disposition, on_delete=models.CASCADE, related_name="addressed")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["disposition", "order"]
        constraints = [
            models.UniqueConstraint(fields=["disposition", "position"], name="one_recipient_row_per_position"),
        ]
        indexes = [models.Index(fields=["position", "disposition"])]

    def __str__(self) -> str:
        return str(self.position)
class ApiToken(models.Model):
    """A named API token of one user for another system (SRIKANDI export, a portal). Only the SHA-256 of the secret
    is kept; the secret is shown once when the token is made (cases/tokens.py). Revoked tokens stay on record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. “SRIKANDI export”."))
    prefix = models.CharField(_("prefix"), max_length=12, help_text=_("The first characters, to recognise it."))
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["user", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(revoked_at__isnull=True), name="one_active_token_per_user_name"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False), name="revoked_token_has_revoker"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None




# Survei Kepuasan Masyarakat (Permenpan-RB 14/2017): the nine elements, stored by key (regulations and questionnaires
# number elements 8 and 9 differently, so the position means nothing).
SKM_ELEMENTS: list[tuple[str, Any]] = [
    ("persyaratan", _("Requirements")),
    ("prosedur", _("Systems, mechanisms and procedures")),
    ("waktu", _("Completion time")),
    ("biaya", _("Cost or tariff")),
    ("produk", _("Product specification of the service")),
    ("kompetensi", _("Competence of the staff")),
    ("perilaku", _("Conduct of the staff")),
    ("pengaduan", _("Handling of complaints, suggestions and feedback")),
    ("sarana", _("Facilities and infrastructure")),
]
SKM_SCALE: list[tuple[int, Any]] = [
    (1, _("1 — not good")),
    (2, _("2 — fairly good")),
    (3, _("3 — good")),
    (4, _("4 — very good")),
]


class SatisfactionSurvey(models.Model):
    """The SKM questionnaire sent to a case's requester when a case of a service SOP is finished; one per case."""

    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="survey")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="surveys")
    offered_at = models.DateTimeField(_("sent"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, db_index=True)
    suggestion = models.TextField(_("suggestions"), blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-offered_at", "-pk"]

    def __str__(self) -> str:
        return f"SKM {self.case.reference}"


class SurveyAnswer(models.Model):
    """One element's score (1–4) in an answered survey."""

    survey = models.ForeignKey(SatisfactionSurvey, on_delete=models.CASCADE, related_name="answers")
    element = models.CharField(_("element"), max_length=16, choices=SKM_ELEMENTS)
    score = models.PositiveSmallIntegerField(_("score"), choices=SKM_SCALE)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["survey", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "element"], name="one_answer_per_survey_element"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=4), name="survey_score_1_to_4"),
        ]

    def __str__(self) -> str:
        return f"{self.element}={self.score}"
