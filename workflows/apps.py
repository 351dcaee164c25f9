from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workflows"
    verbose_name = _("Workflow engine")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from viewflow.workflow.models import Task

        from . import checks  # noqa: F401  (registers the SOP library system check)
        from .calendar_services import CALENDAR_TABLES, calendar_table_changed
        from .routing import task_inserted

        # Bookkeeping of a case service's move: which tasks viewflow inserted (workflows.routing.tasks_inserted).
        post_save.connect(task_inserted, sender=Task, dispatch_uid="routing_task_inserted")
        # A cache chore: a change to the working calendar makes every process read it again.
        for model in CALENDAR_TABLES:
            post_save.connect(calendar_table_changed, sender=model, dispatch_uid=f"calendar_stamp_{model.__name__}")
            post_delete.connect(calendar_table_changed, sender=model, dispatch_uid=f"calendar_stamp_{model.__name__}")
