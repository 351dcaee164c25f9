"""Printing in the background: a `PrintJob` is queued for Celery (`reports.tasks.print_case_history`), which renders
the case history, stores the PDF in MEDIA_ROOT and records it. A failed attempt is recorded on the job (attempts,
last error) and retried by Celery with backoff; after the last retry the job is marked failed. The print itself is
recorded (PrintedDocument and the `document_printed` audit event) only by the attempt that succeeds, in one
transaction, so a failed attempt leaves no half-recorded print.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases import errors
from cases.access import can_view_case
from cases.models import Case, User

from .models import PrintJob

ERROR_LIMIT = 2000


@transaction.atomic
def print_job_request(*, case: Case, acting_user: User, queue: str | None = None) -> PrintJob:
    """Queue a case-history print for `acting_user`; the Celery task is sent once the request commits."""
    from .tasks import print_case_history

    if not can_view_case(acting_user, case):
        raise errors.PermissionDenied(errors.NOT_ALLOWED)
    job = PrintJob.objects.create(case=case, requested_by=acting_user)
    options = {"queue": queue} if queue else {}
    transaction.on_commit(lambda: print_case_history.apply_async((job.pk,), **options))
    return job


def print_job_run(*, job_id: int, final_attempt: bool) -> PrintJob:
    """One attempt at a queued job. Raises what made it fail (for Celery to retry) after recording it."""
    from .case_history import case_history_pdf

    PrintJob.objects.filter(pk=job_id).update(attempts=F("attempts") + 1)  # counted even if the attempt dies
    job = PrintJob.objects.select_related("case", "requested_by").get(pk=job_id)
    if job.state != PrintJob.State.QUEUED:
        return job  # a duplicate delivery of a job already finished
    try:
        with transaction.atomic():
            pdf, document = case_history_pdf(case=job.case, acting_user=job.requested_by)
            job.document = document
            job.file.save(f"{document.code}.pdf", ContentFile(pdf), save=False)
            job.state = PrintJob.State.DONE
            job.finished_at = timezone.now()
            job.save(update_fields=["document", "file", "state", "finished_at"])
    except Exception as exc:
        failed = {"last_error": f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT]}
        if final_attempt:
            failed.update(state=PrintJob.State.FAILED, finished_at=timezone.now())
        PrintJob.objects.filter(pk=job_id).update(**failed)
        raise
    return job
