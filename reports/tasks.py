"""Celery tasks of the printed documents."""

from celery import shared_task

from workflows.models import SopVersion

from .jobs import print_job_run
from .pdf_cache import sop_document_cached, sop_document_name

MAX_RETRIES = 3


@shared_task(name="reports.tasks.sop_documents_render")
def sop_documents_render(paper: str = "A4") -> list[str]:
    """Render the SOP AP document of every current SOP version into the shared media storage (a no-op for those
    already there); run after `sop load` so that no user waits for the first rendering. Returns the stored names."""
    names = []
    for version in SopVersion.objects.filter(is_current=True).order_by("code"):
        sop_document_cached(version=version, paper=paper)
        names.append(sop_document_name(version=version, paper=paper))
    return names


@shared_task(
    bind=True,
    name="reports.tasks.print_case_history",
    autoretry_for=(Exception,),
    max_retries=MAX_RETRIES,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=False,
    acks_late=True,
)
def print_case_history(self, job_id: int) -> int:  # noqa: ANN001 - Celery's bound task
    """Render and record one queued case-history print (reports.jobs); retried with backoff when it fails."""
    print_job_run(job_id=job_id, final_attempt=self.request.retries >= self.max_retries)
    return job_id
