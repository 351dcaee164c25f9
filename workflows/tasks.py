"""Celery tasks of the workflow engine."""

from celery import shared_task

from . import escalation


@shared_task(name="workflows.tasks.dispatch_timers", ignore_result=True)
def dispatch_timers() -> dict[str, int]:
    """The dispatcher round, as `manage.py dispatch_timers --once` runs it: due timers, then due escalation rungs."""
    timers, rungs = escalation.dispatch()
    return {"timers": timers, "rungs": rungs}
