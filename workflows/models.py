"""The SOP library as loaded, and where each open human step is offered."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SopVersion(models.Model):
    """One loaded version of an SOP file: code + revision + content hash. Cases pin the version they started on."""

    code = models.CharField(_("code"), max_length=32, db_index=True)
    revision = models.PositiveIntegerField(_("revision"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    service_area = models.CharField(_("service area"), max_length=40)
    definition = models.JSONField(_("definition"))
    source_path = models.CharField(_("source file"), max_length=500)
    is_current = models.BooleanField(_("current"), default=True)
    loaded_at = models.DateTimeField(_("loaded"), default=timezone.now)

    class Meta:
        verbose_name = _("SOP version")
        verbose_name_plural = _("SOP versions")
        ordering = ["code", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["code", "revision", "content_hash"], name="one_row_per_sop_content"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(is_current=True), name="one_current_per_sop"),
        ]

    def __str__(self) -> str:
        return f"{self.code} rev {self.revision} ({self.content_hash[:8]})"

    def step(self, step_id: str) -> dict:
        """The definition of one step (KeyError for an unknown id), including derived approval steps."""
        from .approvals import APPROVAL_SUFFIX, approval_step
        from .compiler import DECISION_SUFFIX

        if step_id.endswith(APPROVAL_SUFFIX):
            return approval_step(self.step(step_id.removesuffix(APPROVAL_SUFFIX)), decision_suffix=DECISION_SUFFIX)
        for step in self.definition["steps"]:
            if step["id"] == step_id:
                return step
        raise KeyError(step_id)

    def step_form_class(self, step_id: str) -> type:
        """The form of a step (workflows.forms.step_form_class), built once for this loaded version: a version never
        changes, and services share one instance of it per process (`sop_version_kept`)."""
        from .forms import step_form_class

        built = self.__dict__.setdefault("_step_forms", {})
        if step_id not in built:
            built[step_id] = step_form_class(self.step(step_id))
        return built[step_id]

    @property
    def flow_class_name(self) -> str:
        """The attribute of `workflows.compiled` this version compiles to; unique per content."""
        return f"{self.code.replace('-', '_')}_r{self.revision}_{self.content_hash[:12]}"


# A version's content never changes once loaded (its content hash is part of its identity): each process reads it once.
_versions: dict[tuple[int, str], SopVersion] = {}


def sop_version_kept(pk: int, content_hash: str) -> SopVersion:
    """The SOP version `pk`, read once per process and shared: its definition and identity never change, only
    `is_current` may have changed since (read it from the database where it matters)."""
    key = (pk, content_hash)
    version = _versions.get(key)
    if version is None:
        version = _versions[key] = SopVersion.objects.get(pk=pk)
    return version


class TaskOffer(models.Model):
    """An open human task offered to one position (the unit queue is the set of offers to a user's positions)."""

    task = models.ForeignKey("viewflow.Task", on_delete=models.CASCADE, related_name="offers")
    position = models.ForeignKey("cases.Position", on_delete=models.CASCADE, related_name="offers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "position"], name="one_offer_per_task_position")]
        indexes = [models.Index(fields=["position", "task"])]

    def __str__(self) -> str:
        return f"task {self.task_id} → position {self.position_id}"


# Working calendar (workflows/calendar.py reads these; workflows/calendar_services.py writes them) -------------------


class Holiday(models.Model):
    """A date with no office hours: libur nasional, cuti bersama, or a day an admin set.

    `calendar sync` copies the `holidays` package into this table; admins edit it. A row with `active=False` is a
    date that is a working day after all. When an admin removed it the row is `manual` (a tombstone: sync never
    brings the date back); when the package dropped it (an SKB moved a date), the row stays `holidays` and a later
    sync may restore it.
    """

    class Kind(models.TextChoices):
        LIBUR_NASIONAL = "libur_nasional", _("National holiday")
        CUTI_BERSAMA = "cuti_bersama", _("Joint leave day (cuti bersama)")
        MANUAL = "manual", _("Other day off")

    class Source(models.TextChoices):
        PACKAGE = "holidays", _("holidays package")
        MANUAL = "manual", _("Set by an administrator")

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MANUAL)
    estimated = models.BooleanField(
        _("estimated"), default=False, help_text=_("The date is provisional (e.g. Islamic holidays not yet fixed).")
    )
    active = models.BooleanField(
        _("day off"), default=True, help_text=_("Unticked: the date is a working day (a removed holiday).")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class WorkSchedule(models.Model):
    """Office hours per weekday (WorkHours rows), for the units that use it; the default one is Perpres 21/2023."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    breaks_count = models.BooleanField(
        _("breaks count as office time"),
        default=False,
        help_text=_("Ticked: SLA clocks also run during the break."),
    )
    is_default = models.BooleanField(_("default"), default=False, help_text=_("Used by units without a schedule."))

    class Meta:
        verbose_name = _("work schedule")
        verbose_name_plural = _("work schedules")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_schedule"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkScheduleVariant(models.Model):
    """Hours that replace a schedule's weekly hours on a date range (e.g. Ramadan), with their own WorkHours rows."""

    schedule = models.ForeignKey(WorkSchedule, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(_("until (inclusive)"))

    class Meta:
        verbose_name = _("schedule variant")
        verbose_name_plural = _("schedule variants")
        ordering = ["schedule", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="variant_dates_ordered",
                violation_error_message=_("The variant ends before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from.isoformat()} – {self.valid_until.isoformat()})"


class WorkHours(models.Model):
    """One weekday's office hours in a schedule or in a variant; a weekday without a row is closed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    schedule = models.ForeignKey(WorkSchedule, null=True, blank=True, on_delete=models.CASCADE, related_name="hours")
    variant = models.ForeignKey(
        WorkScheduleVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    break_start = models.TimeField(_("break from"), null=True, blank=True)
    break_end = models.TimeField(_("break until"), null=True, blank=True)

    class Meta:
        verbose_name = _("office hours")
        verbose_name_plural = _("office hours")
        ordering = ["weekday"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(schedule__isnull=False, variant__isnull=True)
                | models.Q(schedule__isnull=True, variant__isnull=False),
                name="hours_of_schedule_or_variant",
            ),
            models.UniqueConstraint(fields=["schedule", "weekday"], name="one_hours_per_schedule_day"),
            models.UniqueConstraint(fields=["variant", "weekday"], name="one_hours_per_variant_day"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="hours_weekday_range"),
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")),
                name="hours_open_before_close",
                violation_error_message=_("The office must open before it closes."),
            ),
            models.CheckConstraint(
                condition=models.Q(break_start__isnull=True, break_end__isnull=True)
                | models.Q(
                    break_start__gte=models.F("opens"),
                    break_start__lt=models.F("break_end"),
                    break_end__lte=models.F("closes"),
                ),
                name="hours_break_inside_day",
                violation_error_message=_("A break needs a start and an end within the office hours, in that order."),
            ),
        ]

    def __str__(self) -> str:
        text = f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"
        if self.break_start and self.break_end:
            text += f" ({self.break_start:%H:%M}–{self.break_end:%H:%M})"
        return text


class UnitWorkSchedule(models.Model):
    """The schedule a unit works to (its time zone is cases.Unit.time_zone); units without a row use the default."""

    unit = models.OneToOneField("cases.Unit", on_delete=models.CASCADE, related_name="work_schedule")
    schedule = models.ForeignKey(WorkSchedule, on_delete=models.PROTECT, related_name="units")

    class Meta:
        verbose_name = _("unit work schedule")
        verbose_name_plural = _("unit work schedules")
        ordering = ["unit__code"]

    def __str__(self) -> str:
        return f"{self.unit} → {self.schedule}"


class CalendarStamp(models.Model):
    """One row whose `stamp` changes with every change to the calendar tables (holidays, schedules, their hours and
    variants, unit schedules): a process keeps the loaded calendar while the stamp it was loaded under is current.

    A fresh random value each time, never a counter, so that a stamp of a rolled-back change never comes back.
    """

    stamp = models.UUIDField()

    def __str__(self) -> str:
        return str(self.stamp)


class SlaClock(models.Model):
    """A time standard running for one step, or for the whole case: a budget plus a ledger of running intervals.

    The due moment is derived from the unit's working calendar (see `workflows.sla`); `due_at` and `warn_at` cache it
    for sweeps and lists, and are empty while the clock is paused.
    """

    class Kind(models.TextChoices):
        STEP = "step", _("step")
        CASE = "case", _("case")

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused")
        STOPPED = "stopped", _("stopped")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clocks")
    task = models.OneToOneField(
        "viewflow.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="clock"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    budget = models.CharField(_("time standard"), max_length=8)
    warn_percent = models.PositiveSmallIntegerField(_("early warning at (%)"), default=75)
    started_at = models.DateTimeField(_("started"))
    ledger = models.JSONField(_("running intervals"), default=list)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.RUNNING)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("early warning"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    # A supervisor's extension: when set, it is the due moment (see `workflows.sla.schedule`).
    due_override = models.DateTimeField(_("extended due moment"), null=True, blank=True)
    # The escalation ladder: the next rung to fire (0 = early warning, 1 = overdue, 2 = next level up, …) and when;
    # empty while paused or stopped and after the last rung. Kept by `workflows.sla.schedule`, advanced by the sweep.
    next_rung = models.PositiveSmallIntegerField(_("next escalation rung"), default=0)
    next_rung_at = models.DateTimeField(_("next escalation rung due"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(kind="case"), name="one_case_clock_per_case"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="case", task__isnull=True) | models.Q(kind="step", task__isnull=False),
                name="step_clock_has_task",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["state", "next_rung_at"], name="sla_clock_due_rung"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} clock {self.budget} of case {self.case_id}"


# Escalation ladder (workflows/escalation.py fires the rungs; cases/services.py records the supervisors' decisions) --


class ClockRung(models.Model):
    """One rung of a clock's escalation ladder that has fired: the durable, exactly-once claim.

    Rung 0 is the early warning, rung 1 the first escalation level (by default: overdue, to the atasan langsung),
    rung 2 the next one (by default: the atasan berikutnya), and so on along the SOP's `escalation.levels`.
    """

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="rungs")
    rung = models.PositiveSmallIntegerField(_("rung"))
    fired_at = models.DateTimeField(_("fired"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation rung")
        verbose_name_plural = _("escalation rungs")
        ordering = ["clock", "rung"]
        constraints = [models.UniqueConstraint(fields=["clock", "rung"], name="one_firing_per_clock_rung")]

    def __str__(self) -> str:
        return f"rung {self.rung} of clock {self.clock_id}"


class Escalation(models.Model):
    """An overdue step (or case) put to a supervisor position to decide: an item of its escalation inbox."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DECIDED = "decided", _("decided")

    class Decision(models.TextChoices):
        APPROVE = "approve", _("accept the delay")
        REASSIGN = "reassign", _("reassign")
        EXTEND = "extend", _("extend the deadline")
        TAKE_OVER = "take_over", _("take over")
        RETURN = "return", _("return with instructions")

    rung = models.OneToOneField(ClockRung, on_delete=models.CASCADE, related_name="escalation")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="escalations")
    task = models.ForeignKey(
        "viewflow.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="escalations"
    )
    position = models.ForeignKey(
        "cases.Position", verbose_name=_("asked to decide"), on_delete=models.PROTECT, related_name="escalations"
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    new_due_at = models.DateTimeField(_("new due moment"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["position", "state"])]

    def __str__(self) -> str:
        return f"escalation of case {self.case_id} to position {self.position_id} ({self.state})"
