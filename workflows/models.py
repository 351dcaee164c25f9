"""The SOP library as loaded, and where each open human step is offered."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SopVersion(models.Model):
    """One loaded version of an SOP file: code + revision + content hash. Cases pin the version they started on."""

    code = models.CharField(_("code"), max_length=32, db_index=True)
    revision = models.PositiveIntegerField(_("revision"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    service_area = models.CharField(_("service area"), max_length=40)
    definition = models.JSONField(_("definition"))
    source_path = models.CharField(_("source file"), max_length=500)
    is_current = models.BooleanField(_("current"), default=True)
    loaded_at = models.DateTimeField(_("loaded"), default=timezone.now)

    class Meta:
        verbose_name = _("SOP version")
        verbose_name_plural = _("SOP versions")
        ordering = ["code", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["code", "revision", "content_hash"], name="one_row_per_sop_content"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(is_current=True), name="one_current_per_sop"),
        ]

    def __str__(self) -> str:
        return f"{self.code} rev {self.revision} ({self.content_hash[:8]})"

    def step(self, step_id: str) -> dict:
        """The definition of one step (KeyError for an unknown id)."""
        for step in self.definition["steps"]:
            if step["id"] == step_id:
                return step
        raise KeyError(step_id)

    @property
    def flow_class_name(self) -> str:
        """The attribute of `workflows.compiled` this version compiles to; unique per content."""
        return f"{self.code.replace('-', '_')}_r{self.revision}_{self.content_hash[:12]}"


class TaskOffer(models.Model):
    """An open human task offered to one position (the unit queue is the set of offers to a user's positions)."""

    task = models.ForeignKey("viewflow.Task", on_delete=models.CASCADE, related_name="offers")
    position = models.ForeignKey("cases.Position", on_delete=models.CASCADE, related_name="offers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "position"], name="one_offer_per_task_position")]
        indexes = [models.Index(fields=["position", "task"])]

    def __str__(self) -> str:
        return f"task {self.task_id} → position {self.position_id}"
