"""Printed documents on record: each print of a case document, so that its QR code can be checked later."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_document_code() -> str:
    """A random URL-safe code (16 characters, 96 bits): unguessable, so a code proves someone held the document."""
    return secrets.token_urlsafe(12)


class PrintedDocument(models.Model):
    """One print of a document: who printed what, when, the SHA-256 of the PDF, and the case's chain head then."""

    class Kind(models.TextChoices):
        CASE_HISTORY = "case_history", _("case history")
        LEMBAR_DISPOSISI = "lembar_disposisi", _("disposition sheet")
        SOP_OUTPUT = "sop_output", _("SOP output document")

    code = models.CharField(_("verification code"), max_length=32, unique=True, default=new_document_code)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="printed_documents"
    )
    output = models.CharField(
        _("SOP output"), max_length=64, blank=True, help_text=_("Which of the SOP's output documents, by its id.")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_at = models.DateTimeField(_("printed"), default=timezone.now)
    content_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    chain_head = models.CharField(_("case chain head when printed"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("printed document")
        verbose_name_plural = _("printed documents")
        ordering = ["-printed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"


class PrintJob(models.Model):
    """A print run in the background (Celery): retried when it fails, and every attempt's outcome kept here."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="print_jobs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    document = models.OneToOneField(
        PrintedDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="print_job"
    )
    file = models.FileField(_("file"), upload_to="printed/%Y/%m/", blank=True, max_length=200)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="done") | models.Q(document__isnull=False), name="done_print_job_has_document"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_state_display()} ({self.attempts})"
