from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import SopVersion


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
