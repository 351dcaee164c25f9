import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.errors import ApplicationError

from . import calendar_services
from .calendar import OfficeHours
from .models import Holiday, SopVersion, UnitWorkSchedule, WorkHours, WorkSchedule, WorkScheduleVariant


@admin.register(SopVersion)
class SopVersionAdmin(admin.ModelAdmin):
    """SOP versions come from files (`manage.py sop load`); the admin shows them and nothing more."""

    list_display = ("code", "revision", "title", "service_area", "is_current", "loaded_at")
    list_filter = ("service_area", "is_current")
    readonly_fields = [f.name for f in SopVersion._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# Working calendar: every save and delete goes through workflows/calendar_services.py (audited) --------------------


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ("date", "name", "kind", "estimated", "active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("active") and not (cleaned.get("name") or "").strip():
            self.add_error("name", calendar_services.HOLIDAY_NAME_REQUIRED)
        return cleaned


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Deleting a holiday here makes the date a working day and keeps the row as a tombstone sync respects."""

    form = HolidayForm
    list_display = ("date", "name", "kind", "estimated", "active", "source", "updated_at")
    list_filter = ("kind", "active", "estimated", "source")
    search_fields = ("name",)
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return ("date", "source", "updated_at") if obj is not None else ("source", "updated_at")

    def save_model(self, request: HttpRequest, obj: Holiday, form: forms.ModelForm, change: bool) -> None:
        if obj.active:
            saved = calendar_services.calendar_day_add(
                date=obj.date, name=obj.name, kind=obj.kind, estimated=obj.estimated, acting_user=request.user
            )
        else:
            saved = calendar_services.calendar_day_remove(date=obj.date, name=obj.name, acting_user=request.user)
        obj.pk, obj.source, obj.updated_at = saved.pk, saved.source, saved.updated_at

    def delete_model(self, request: HttpRequest, obj: Holiday) -> None:
        calendar_services.calendar_day_remove(date=obj.date, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Holiday]) -> None:
        for date in queryset.values_list("date", flat=True):
            calendar_services.calendar_day_remove(date=date, acting_user=request.user)


class WorkHoursFormSet(BaseInlineFormSet):
    """Checks the week as the service will (one row per weekday, breaks inside the day)."""

    def week(self) -> dict[int, OfficeHours]:
        rows = [
            (
                f.cleaned_data["weekday"],
                f.cleaned_data["opens"],
                f.cleaned_data["closes"],
                f.cleaned_data.get("break_start"),
                f.cleaned_data.get("break_end"),
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        return calendar_services.week_validate(days=rows)

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            self.week()
        except ApplicationError as problem:
            raise ValidationError(problem.message) from None


class WorkHoursInline(admin.TabularInline):
    model = WorkHours
    formset = WorkHoursFormSet
    fields = ("weekday", "opens", "closes", "break_start", "break_end")
    extra = 0


class ScheduleHoursInline(WorkHoursInline):
    fk_name = "schedule"


class VariantHoursInline(WorkHoursInline):
    fk_name = "variant"


def _week_of_formsets(formsets: list[Any]) -> dict[int, OfficeHours]:
    (formset,) = [f for f in formsets if isinstance(f, WorkHoursFormSet)]
    # The service saved the hours; the admin's change message expects these lists.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    return formset.week()


class WorkScheduleForm(forms.ModelForm):
    class Meta:
        model = WorkSchedule
        fields = ("code", "name", "breaks_count", "is_default")

    def clean_is_default(self) -> bool:
        is_default = self.cleaned_data["is_default"]
        if self.instance.pk is not None and not is_default:
            if WorkSchedule.objects.filter(pk=self.instance.pk, is_default=True).exists():
                raise ValidationError(calendar_services.SCHEDULE_DEFAULT_UNSET)
        return is_default

    def _get_validation_exclusions(self) -> set[str]:
        # Ticking "default" moves the default here (the service unsets the old one), so the one-default
        # constraint is the service's to keep, not the form's.
        return {*super()._get_validation_exclusions(), "is_default"}


@admin.register(WorkSchedule)
class WorkScheduleAdmin(admin.ModelAdmin):
    """Office hours per weekday; the default (Perpres 21/2023) is used by units without a schedule of their own."""

    form = WorkScheduleForm
    list_display = ("name", "code", "breaks_count", "is_default")
    inlines = [ScheduleHoursInline]

    def save_model(self, request: HttpRequest, obj: WorkSchedule, form: forms.ModelForm, change: bool) -> None:
        pass  # saved with its hours in save_related, in one service call

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list[Any], change: bool) -> None:
        calendar_services.work_schedule_save(
            schedule=form.instance, week=_week_of_formsets(formsets), acting_user=request.user
        )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_default)

    def delete_model(self, request: HttpRequest, obj: WorkSchedule) -> None:
        calendar_services.work_schedule_delete(schedule=obj, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkSchedule]) -> None:
        for schedule in queryset:
            calendar_services.work_schedule_delete(schedule=schedule, acting_user=request.user)


class WorkScheduleVariantForm(forms.ModelForm):
    class Meta:
        model = WorkScheduleVariant
        fields = ("schedule", "name", "valid_from", "valid_until")
        help_texts = {
            "valid_from": _(
                "Ramadan (Perpres 21/2023, 32.5 hours a week): Monday–Thursday 08:00–15:00, break 12:00–12:30; "
                "Friday 08:00–15:30, break 11:30–12:30. `manage.py calendar ramadan` fills these in."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        schedule, start, end = cleaned.get("schedule"), cleaned.get("valid_from"), cleaned.get("valid_until")
        if schedule and isinstance(start, datetime.date) and isinstance(end, datetime.date):
            other = calendar_services.variant_overlapping(
                schedule=schedule, valid_from=start, valid_until=end, exclude_pk=self.instance.pk
            )
            if other is not None:
                raise ValidationError(
                    calendar_services.VARIANT_OVERLAP % {"name": cleaned.get("name", ""), "other": other}
                )
        return cleaned


@admin.register(WorkScheduleVariant)
class WorkScheduleVariantAdmin(admin.ModelAdmin):
    """Dated hours (Ramadan) that replace a schedule's weekly hours."""

    form = WorkScheduleVariantForm
    list_display = ("name", "schedule", "valid_from", "valid_until")
    list_filter = ("schedule",)
    inlines = [VariantHoursInline]

    def save_model(self, request: HttpRequest, obj: WorkScheduleVariant, form: forms.ModelForm, change: bool) -> None:
        pass  # saved with its hours in save_related, in one service call

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list[Any], change: bool) -> None:
        calendar_services.schedule_variant_save(
            variant=form.instance, week=_week_of_formsets(formsets), acting_user=request.user
        )

    def delete_model(self, request: HttpRequest, obj: WorkScheduleVariant) -> None:
        calendar_services.schedule_variant_delete(variant=obj, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkScheduleVariant]) -> None:
        for variant in queryset:
            calendar_services.schedule_variant_delete(variant=variant, acting_user=request.user)


@admin.register(UnitWorkSchedule)
class UnitWorkScheduleAdmin(admin.ModelAdmin):
    """Which schedule a unit works to (its time zone is set on the unit)."""

    list_display = ("unit", "schedule")
    list_filter = ("schedule",)
    search_fields = ("unit__code", "unit__name")
    autocomplete_fields = ["unit"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return ("unit",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: UnitWorkSchedule, form: forms.ModelForm, change: bool) -> None:
        calendar_services.unit_schedule_set(unit=obj.unit, schedule=obj.schedule, acting_user=request.user)
        obj.pk = UnitWorkSchedule.objects.get(unit=obj.unit).pk

    def delete_model(self, request: HttpRequest, obj: UnitWorkSchedule) -> None:
        calendar_services.unit_schedule_clear(unit=obj.unit, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UnitWorkSchedule]) -> None:
        for row in queryset.select_related("unit"):
            calendar_services.unit_schedule_clear(unit=row.unit, acting_user=request.user)
