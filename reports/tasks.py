"""Celery tasks of the printed documents."""

from celery import shared_task

from workflows.models import SopVersion

from .pdf_cache import sop_document_cached, sop_document_name


@shared_task(name="reports.tasks.sop_documents_render")
def sop_documents_render(paper: str = "A4") -> list[str]:
    """Render the SOP AP document of every current SOP version into the shared media storage (a no-op for those
    already there); run after `sop load` so that no user waits for the first rendering. Returns the stored names."""
    names = []
    for version in SopVersion.objects.filter(is_current=True).order_by("code"):
        sop_document_cached(version=version, paper=paper)
        names.append(sop_document_name(version=version, paper=paper))
    return names
