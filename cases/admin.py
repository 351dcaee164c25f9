"""Admin: the org chart, users and calendar are configured here. Cases change only through the services."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, Case, Delegation, Position, PositionHolding, Role, Unit, User
from .services import unit_save


class PositionHoldingInline(admin.TabularInline):
    model = PositionHolding
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Civil servant"), {"fields": ("full_name", "nip", "pangkat_golongan", "language")}),
    )
    list_display = ("username", "full_name", "nip", "is_active", "is_staff")
    search_fields = ("username", "full_name", "nip")


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    fields = ("title", "is_head")
    show_change_link = True


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "time_zone")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    inlines = [PositionInline]

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        unit_save(unit=obj, acting_user=request.user)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "is_head")
    list_filter = ("unit", "is_head", "roles")
    search_fields = ("title", "unit__name")
    filter_horizontal = ("roles",)
    inlines = [PositionHoldingInline]


@admin.register(PositionHolding)
class PositionHoldingAdmin(admin.ModelAdmin):
    list_display = ("user", "position", "kind", "valid_from", "valid_until")
    list_filter = ("kind", "position__unit")
    autocomplete_fields = ["user", "position"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ("delegator", "substitute", "valid_from", "valid_until", "reason")
    autocomplete_fields = ["delegator", "substitute"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Cases and their audit trail are shown, never edited here: every change goes through a service."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("reference", "subject", "unit", "status", "created_at")
    list_filter = ("status", "sop_version__code", "unit")
    search_fields = ("reference", "nomor_agenda", "subject")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("global_seq", "at", "case", "actor", "on_behalf_of", "action", "step")
    list_filter = ("action",)
    search_fields = ("case__reference",)
