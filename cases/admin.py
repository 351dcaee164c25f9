"""Admin: the org chart, users and calendar are configured here. Cases change only through the services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .access import CONFIDENTIAL_LEVELS
from .models import (
    ApiToken,
    AuditEvent,
    Case,
    Delegation,
    Disposition,
    DispositionInstruction,
    NumberRegister,
    NumberReservation,
    Position,
    PositionHolding,
    Role,
    Unit,
    User,
)
from .numbering import register_save
from .services import instruction_save, unit_save
from .tokens import api_token_create, api_token_revoke


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
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "parent", "time_zone")}),
        (_("Letterhead (kop) of printed documents"), {"fields": ("kop_lines", "kop_address", "logo")}),
    )
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
    """Cases for administrators, without the confidential ones (R/SR): those are for the positions they are addressed
    to and for auditors, on the case pages."""

    list_display = ("reference", "subject", "unit", "status", "created_at")
    list_filter = ("status", "sop_version__code", "unit")
    search_fields = ("reference", "nomor_agenda", "subject")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return super().get_queryset(request).exclude(tingkat_keamanan__in=CONFIDENTIAL_LEVELS)


@admin.register(DispositionInstruction)
class DispositionInstructionAdmin(admin.ModelAdmin):
    """The "Dengan hormat harap" checklist; a box no longer used is switched off, not deleted (old sheets show it)."""

    list_display = ("label", "code", "order", "active")
    list_editable = ("order", "active")
    list_filter = ("active",)

    def save_model(self, request: HttpRequest, obj: DispositionInstruction, form: Any, change: bool) -> None:
        instruction_save(instruction=obj, acting_user=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Disposition)
class DispositionAdmin(ReadOnlyAdmin):
    list_display = ("case", "level", "from_position", "given_by", "due_date", "initiative", "given_at")
    list_filter = ("initiative", "level")
    search_fields = ("case__reference", "note")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("global_seq", "at", "case", "actor", "on_behalf_of", "action", "step")
    list_filter = ("action",)
    search_fields = ("case__reference",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        # The notes and data of a confidential case's events are as confidential as the case.
        return super().get_queryset(request).exclude(case__tingkat_keamanan__in=CONFIDENTIAL_LEVELS)


# Numbering registers.


class NumberReservationInline(admin.TabularInline):
    """The numbers of a register, read-only: numbers are issued, recorded and cancelled through cases/numbering.py."""

    model = NumberReservation
    extra = 0
    can_delete = False
    fields = ("seq", "number", "manual", "state", "case", "reserved_by", "reserved_at", "cancel_reason")
    readonly_fields = fields
    ordering = ("-reserved_at", "-pk")
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(NumberRegister)
class NumberRegisterAdmin(admin.ModelAdmin):
    """Registers are configured here (KKA, template, unit code); the running number is never edited by hand."""

    list_display = ("unit", "kind", "year", "kka", "template", "unit_code", "last_seq")
    list_filter = ("year", "kind", "unit")
    search_fields = ("kind", "kka", "unit_code", "unit__name")
    readonly_fields = ("last_seq",)
    inlines = [NumberReservationInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        # Once a register has issued numbers, moving it to another unit, kind or year would rewrite history.
        if obj is not None and obj.pk is not None:
            return ("unit", "kind", "year", "last_seq")
        return ("last_seq",)

    def save_model(self, request: HttpRequest, obj: NumberRegister, form: Any, change: bool) -> None:
        register_save(register=obj, acting_user=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(NumberReservation)
class NumberReservationAdmin(ReadOnlyAdmin):
    list_display = ("number", "register", "seq", "manual", "state", "case", "reserved_by", "reserved_at")
    list_filter = ("state", "manual", "register__year", "register__kind", "register__unit")
    search_fields = ("number", "case__reference", "cancel_reason")


# API tokens. Made and revoked only through cases/tokens.py, so each act is audited; the secret is shown once.



class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("user") and cleaned.get("name"):
            # The form leaves out revoked_at, so Django would skip the one-active-name constraint: check it here.
            ApiToken(user=cleaned["user"], name=cleaned["name"].strip()).validate_constraints()
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Add a token (user and name; the secret is shown once), read tokens, revoke them with the list action."""

    list_display = ("name", "user", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "user__username", "user__full_name")
    autocomplete_fields = ["user"]
    actions = ["revoke"]
    fields = ("user", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by")

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return self.fields if obj is not None else ApiTokenAddForm.Meta.fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token, secret = api_token_create(user=obj.user, name=obj.name, acting_user=request.user)
        obj.pk = token.pk
        messages.warning(
            request,
            _("Token “%(name)s” for %(user)s: %(secret)s — copy it now, it will not be shown again.")
            % {"name": token.name, "user": token.user, "secret": secret},
        )

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a token is never edited: it is made, read and revoked

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cases.change_apitoken")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, acting_user=request.user)
            revoked += 1
        messages.success(request, _("%(count)d token(s) revoked.") % {"count": revoked})
