"""What the API returns and accepts. Output only describes objects read by selectors; input serializers check the
shape of a request (types, required keys) and leave every rule of the domain to the services and SOP forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Attachment, Case, Disposition
from cases.selectors import CatalogueEntry
from reports.lembar_disposisi import PAPERS
from reports.models import PrintedDocument
from workflows.forms import DECISION_FIELD, NOTE_FIELD, LinesField
from workflows.models import Escalation

# --- forms the SOP asks for, described so that a system knows what to send ---------------------------------------


def _field_type(name: str, field: forms.Field) -> str:
    if name == DECISION_FIELD:
        return "decision"
    if name == NOTE_FIELD:
        return "note"
    if isinstance(field, forms.FileField):
        return "file"
    if isinstance(field, LinesField):
        return "lines"
    if isinstance(field, forms.ModelChoiceField):
        return "position"
    if isinstance(field, forms.MultipleChoiceField):
        return "multichoice"
    if isinstance(field, forms.ChoiceField):
        return "choice"
    if isinstance(field, forms.BooleanField):
        return "boolean"
    if isinstance(field, forms.IntegerField):
        return "integer"
    if isinstance(field, forms.DateTimeField):
        return "datetime"
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field.widget, forms.Textarea):
        return "textarea"
    return "text"


def describe_form(form_class: type[forms.Form]) -> list[dict[str, Any]]:
    """The fields of an SOP form (the same class the service validates with) as plain data."""
    result = []
    for name, field in form_class().fields.items():
        kind = _field_type(name, field)
        choices = []
        if kind in ("choice", "multichoice", "decision", "position"):
            choices = [{"value": str(value), "label": str(label)} for value, label in field.choices if value != ""]
        result.append(
            {
                "name": name,
                "label": str(field.label or name),
                "type": kind,
                "required": field.required,
                "help": str(field.help_text or ""),
                "choices": choices,
            }
        )
    return result


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FormFieldSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The key to send (multipart for type file).")
    label = serializers.CharField()
    type = serializers.ChoiceField(
        choices=[
            "text",
            "textarea",
            "lines",
            "integer",
            "date",
            "datetime",
            "choice",
            "multichoice",
            "boolean",
            "position",
            "file",
            "decision",
            "note",
        ]
    )
    required = serializers.BooleanField()
    help = serializers.CharField(allow_blank=True)
    choices = ChoiceSerializer(many=True)


# --- SOPs ----------------------------------------------------------------------------------------------------------


class SopSerializer(serializers.Serializer):
    code = serializers.CharField(source="version.code")
    revision = serializers.IntegerField(source="version.revision")
    title = serializers.CharField(source="version.title")
    service_area = serializers.CharField(source="version.service_area")
    content_hash = serializers.CharField(source="version.content_hash")
    steps = serializers.IntegerField(help_text="Number of steps (ends excluded).")
    requirements = serializers.ListField(child=serializers.CharField(), help_text="Required intake items.")
    time_standard = serializers.CharField(help_text="The quickest and the longest way through, in office time.")
    may_start = serializers.SerializerMethodField()

    def get_may_start(self, entry: CatalogueEntry) -> bool:
        return entry.version.code in self.context["startable"]


class DecisionBranchSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class SopStepSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    actor = serializers.CharField(allow_blank=True)
    kegiatan = serializers.CharField()
    output = serializers.CharField(allow_blank=True)
    waktu = serializers.CharField(allow_blank=True)
    decision_question = serializers.CharField(allow_blank=True)
    branches = DecisionBranchSerializer(many=True)
    fields = FormFieldSerializer(many=True)


class SopDetailSerializer(SopSerializer):
    purpose = serializers.CharField(source="version.definition.purpose", default="")
    identity = serializers.DictField(source="version.definition.identity")
    intake_fields = FormFieldSerializer(many=True)
    steps_detail = SopStepSerializer(many=True, source="step_list")


# --- cases ---------------------------------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    sop = serializers.CharField(source="sop_version.code")
    sop_revision = serializers.IntegerField(source="sop_version.revision")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    status_label = serializers.CharField(source="get_status_display")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "nomor_agenda",
            "subject",
            "requester_name",
            "sop",
            "sop_revision",
            "unit",
            "unit_name",
            "status",
            "status_label",
            "derajat",
            "tingkat_keamanan",
            "parent",
            "created_at",
            "closed_at",
            "url",
        ]

    def get_url(self, case: Case) -> str:
        return reverse("api:case_detail", args=[case.pk])


class DataRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class ClockSerializer(serializers.Serializer):
    state = serializers.CharField()
    budget = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)


class StepSerializer(serializers.Serializer):
    """An open step of a case: who holds it, whether the viewer may act on it, and its form."""

    id = serializers.IntegerField(source="task.pk")
    step = serializers.CharField()
    kegiatan = serializers.CharField()
    status = serializers.CharField(source="task.status")
    owner = serializers.CharField(source="task.owner.username", default=None, allow_null=True)
    clock = ClockSerializer(allow_null=True)
    may_act = serializers.BooleanField()
    fields = FormFieldSerializer(many=True)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "step", "kind", "original_name", "size", "sha256", "uploaded_at", "url"]

    def get_url(self, attachment: Attachment) -> str:
        return reverse("api:attachment_download", args=[attachment.pk])


class CaseLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()


class AvailableDocumentSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class CaseDetailSerializer(CaseSerializer):
    data = DataRowSerializer(many=True, source="view_data", help_text="The case data, labelled as the SOP names it.")
    values = serializers.DictField(source="data", help_text="The case data by field name, as stored.")
    outcome_note = serializers.CharField()
    case_clock = ClockSerializer(allow_null=True)
    open_steps = StepSerializer(many=True)
    children = CaseLinkSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    available_documents = AvailableDocumentSerializer(
        many=True, help_text="The SOP's output documents this case can print now (kind sop_output)."
    )
    can_cancel = serializers.BooleanField()
    can_close = serializers.BooleanField()
    read_only = serializers.BooleanField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "data",
            "values",
            "outcome_note",
            "case_clock",
            "open_steps",
            "children",
            "attachments",
            "available_documents",
            "can_cancel",
            "can_close",
            "read_only",
        ]


class TimelineEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField(source="event.case_seq")
    at = serializers.DateTimeField(source="event.at")
    action = serializers.CharField(source="event.action")
    action_label = serializers.CharField(source="event.get_action_display")
    actor = serializers.CharField(source="event.actor.username", default=None, allow_null=True)
    actor_name = serializers.CharField(source="event.actor", default=None, allow_null=True)
    on_behalf_of = serializers.CharField(source="event.on_behalf_of.username", default=None, allow_null=True)
    step = serializers.CharField(source="event.step")
    step_title = serializers.CharField()
    decision = serializers.CharField()
    note = serializers.CharField(source="event.note")
    attachment_hashes = serializers.ListField(child=serializers.CharField(), source="event.attachment_hashes")
    hash = serializers.CharField(source="event.hash")


class PrintedDocumentSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")
    printed_by = serializers.CharField(source="printed_by.username")
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = PrintedDocument
        fields = [
            "code",
            "kind",
            "output",
            "title",
            "case",
            "printed_by",
            "printed_at",
            "content_sha256",
            "chain_head",
            "verify_url",
        ]

    def get_verify_url(self, document: PrintedDocument) -> str:
        return reverse("cases:document_verify", args=[document.code])


class EscalationSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id")
    case_reference = serializers.CharField(source="case.reference")
    task = serializers.IntegerField(source="task_id", allow_null=True)
    holder = serializers.CharField(source="task.owner.username", default=None, allow_null=True)
    due_at = serializers.DateTimeField(source="rung.clock.due_at", allow_null=True)
    rung = serializers.IntegerField(source="rung.rung")

    class Meta:
        model = Escalation
        fields = ["id", "case", "case_reference", "task", "holder", "due_at", "rung", "state", "created_at"]


class PositionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    unit = serializers.CharField(source="unit.code")


class InstructionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class DispositionSerializer(serializers.ModelSerializer):
    from_position = PositionSerializer()
    given_by = serializers.CharField(source="given_by.username")
    on_behalf_of = serializers.CharField(source="on_behalf_of.username", default=None, allow_null=True)
    recipients = serializers.SerializerMethodField()
    instructions = InstructionSerializer(many=True)

    class Meta:
        model = Disposition
        fields = [
            "id",
            "parent",
            "level",
            "from_position",
            "given_by",
            "on_behalf_of",
            "recipients",
            "instructions",
            "note",
            "due_date",
            "step",
            "initiative",
            "paraf",
            "given_at",
        ]

    @extend_schema_field(PositionSerializer(many=True))
    def get_recipients(self, disposition: Disposition) -> list[dict[str, Any]]:
        """In the order given: the first carries the SOP's follow-up steps."""
        return PositionSerializer([r.position for r in disposition.addressed.all()], many=True).data


# --- input ---------------------------------------------------------------------------------------------------------

FORM_BODY = {
    "type": "object",
    "additionalProperties": True,
    "description": "The SOP form's fields by name (see `fields` of the step or `intake_fields` of the SOP); "
    "files as multipart/form-data parts.",
}


class SopCodeSerializer(serializers.Serializer):
    sop = serializers.CharField(max_length=32)


class CommentSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, allow_blank=True, trim_whitespace=False)


class EscalationDecisionSerializer(serializers.Serializer):
    decision = serializers.CharField(max_length=16, help_text="reassign, extend, take_over or return.")
    reason = serializers.CharField(max_length=5000, allow_blank=True, trim_whitespace=False)
    to_user = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Username (reassign); empty: the unit queue."
    )
    new_due = serializers.DateTimeField(
        required=False, allow_null=True, help_text="New due moment (extend); without an offset, the unit's time zone."
    )


class DispositionGiveSerializer(serializers.Serializer):
    recipients = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), help_text="Position ids, first the lead."
    )
    instructions = serializers.ListField(
        child=serializers.SlugField(max_length=40), required=False, default=list, help_text="Instruction codes."
    )
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="Batas waktu.")


class DocumentPrintSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PrintedDocument.Kind.choices, default=PrintedDocument.Kind.CASE_HISTORY)
    paper = serializers.ChoiceField(
        choices=list(PAPERS), default="setengah_folio", help_text="Paper of the lembar disposisi."
    )
    output = serializers.SlugField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="For kind sop_output: the id of one of the case's `available_documents`.",
    )
