"""API views: thin. Reads through cases.access and cases.selectors, writes through cases.services, forms from
workflows.forms; refusals become the JSON error body in cases/api/errors.py."""

from __future__ import annotations

import json
import zoneinfo
from types import SimpleNamespace
from typing import Any

from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from viewflow.workflow.models import Task

from cases import services
from cases.access import acting_for_task, may_start_sop, visible_cases
from cases.dispositions import case_dispositions
from cases.models import Attachment, Case, Position, User
from cases.selectors import OPEN, case_view, catalogue_entry, open_escalations
from reports.case_history import case_history_pdf
from reports.lembar_disposisi import lembar_disposisi_pdf
from reports.models import PrintedDocument
from reports.sop_outputs import available_documents, sop_output_pdf
from workflows.forms import intake_form_class, step_form_class
from workflows.models import Escalation, SopVersion

from . import serializers as s
from .filters import CaseFilter

NOT_AN_OBJECT = _("Send the fields as a JSON object or as form data.")
NO_SUCH_USER = _("There is no user “%(username)s”.")
NO_SUCH_POSITION = _("No position has the id %(ids)s.")
NO_SUCH_OUTPUT = _("The SOP of this case names no document “%(output)s”.")


def _header_language(request: Request) -> str | None:
    """The first language of Accept-Language that CEPAT speaks, or None."""
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            return None
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class ApiView(APIView):
    # Speaks the language of Accept-Language, else the user's preferred language, else Bahasa Indonesia.

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        language = _header_language(request)
        if language is not None:
            translation.activate(language)
        super().initial(request, *args, **kwargs)  # authenticates
        if language is None and request.user.is_authenticated:
            translation.activate(request.user.language)


def form_data(request: Request) -> Any:
    """The request's fields as an HTML form would send them, so the SOP form validates exactly what the page gets:
    JSON scalars as text, lists as repeated values, files apart."""
    data = request.data
    if isinstance(data, QueryDict):
        result = data.copy()
        for name in request.FILES:
            result.pop(name, None)
        return result
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [NOT_AN_OBJECT]})
    result = QueryDict(mutable=True)
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        result.setlist(
            str(name),
            [json.dumps(v) if isinstance(v, dict | list) else str(v) for v in values if v is not None],
        )
    return result


def _case_detail(case: Case, user: User) -> Case:
    """The case with what the case page shows attached, for CaseDetailSerializer."""
    view = case_view(case=case, user=user)
    case.view_data = [{"label": label, "value": value} for label, value in view.data]
    case.case_clock = view.case_clock
    case.open_steps = []
    for task in view.tasks:
        if task.status not in OPEN:
            continue
        step = case.sop_version.step(task.flow_task.name)
        case.open_steps.append(
            {
                "task": task,
                "step": task.flow_task.name,
                "kegiatan": step["kegiatan"],
                "clock": getattr(task, "clock", None),
                "may_act": acting_for_task(user, task) is not None,
                "fields": s.describe_form(step_form_class(step)),
            }
        )
    case.available_documents = available_documents(case)
    case.can_cancel, case.can_close, case.read_only = view.can_cancel, view.can_close, view.read_only
    return case


def _visible_case(request: Request, pk: int) -> Case:
    return get_object_or_404(visible_cases(request.user).select_related("unit", "sop_version", "process"), pk=pk)


def _visible_task(request: Request, pk: int) -> Task:
    """An open or done human step of a case the user may see (404 otherwise, as for the case)."""
    task = get_object_or_404(Task.objects.select_related("process__case", "owner"), pk=pk, flow_task_type="HUMAN")
    case = getattr(task.process, "case", None)
    if case is None or not visible_cases(request.user).filter(pk=case.pk).exists():
        raise exceptions.NotFound()
    return task


# --- SOPs ----------------------------------------------------------------------------------------------------------


class SopList(ApiView):
    @extend_schema(summary="The SOP catalogue", responses=s.SopSerializer(many=True), tags=["SOPs"])
    def get(self, request: Request) -> Response:
        versions = SopVersion.objects.filter(is_current=True).order_by("code")
        startable = {v.code for v in versions if may_start_sop(request.user, v.definition)}
        entries = [catalogue_entry(v) for v in versions]
        return Response(s.SopSerializer(entries, many=True, context={"startable": startable}).data)


def _step_list(version: SopVersion) -> list[dict[str, Any]]:
    return [
        {
            "id": step["id"],
            "type": step.get("type", "task"),
            "actor": step.get("actor", ""),
            "kegiatan": step["kegiatan"],
            "output": step.get("output", ""),
            "waktu": step.get("waktu_text", ""),
            "decision_question": step.get("decision", {}).get("question", ""),
            "branches": step.get("decision", {}).get("branches", []),
            "fields": s.describe_form(step_form_class(step)) if step.get("type", "task") == "task" else [],
        }
        for step in version.definition["steps"]
    ]


class SopDetail(ApiView):
    @extend_schema(summary="One SOP with its intake form and its steps", responses=s.SopDetailSerializer, tags=["SOPs"])
    def get(self, request: Request, code: str) -> Response:
        version = get_object_or_404(SopVersion, code=code, is_current=True)
        entry = catalogue_entry(version)
        data = {
            "version": version,
            "steps": entry.steps,
            "requirements": entry.requirements,
            "time_standard": entry.time_standard,
            "intake_fields": s.describe_form(intake_form_class(version.definition)),
            "step_list": _step_list(version),
        }
        startable = {code} if may_start_sop(request.user, version.definition) else set()
        return Response(s.SopDetailSerializer(SimpleNamespace(**data), context={"startable": startable}).data)


# --- cases ---------------------------------------------------------------------------------------------------------

CASE_START_BODY = {
    **s.FORM_BODY,
    "required": ["sop"],
    "properties": {
        "sop": {"type": "string", "description": "Code of the SOP to start, e.g. BU-RT-01."},
        "subject": {"type": "string"},
        "requester_name": {"type": "string"},
        "derajat": {"type": "string", "enum": Case.Derajat.values},
        "tingkat_keamanan": {"type": "string", "enum": Case.Keamanan.values},
    },
}


class CaseList(ApiView, generics.ListAPIView):
    serializer_class = s.CaseSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the filters
            return Case.objects.none()
        return visible_cases(self.request.user).select_related("unit", "sop_version").order_by("-created_at", "-pk")

    @extend_schema(summary="Cases the user may see, filtered", tags=["Cases"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Start a case from an SOP with its intake data",
        request={"application/json": CASE_START_BODY, "multipart/form-data": CASE_START_BODY},
        responses={201: s.CaseDetailSerializer},
        tags=["Cases"],
    )
    def post(self, request: Request) -> Response:
        data = form_data(request)
        sop = s.SopCodeSerializer(data={"sop": data.pop("sop", [""])[-1]})
        sop.is_valid(raise_exception=True)
        code = sop.validated_data["sop"]
        version = SopVersion.objects.filter(code=code, is_current=True).first()
        if version is None:
            raise exceptions.ValidationError({"sop": [_("No current SOP has the code “%(code)s”.") % {"code": code}]})
        case = services.case_start(sop_version=version, acting_user=request.user, data=data, files=request.FILES)
        return Response(s.CaseDetailSerializer(_case_detail(case, request.user)).data, status=status.HTTP_201_CREATED)


class CaseDetail(ApiView):
    @extend_schema(
        summary="One case: its data, open steps (with their forms), attachments",
        tags=["Cases"],
        responses=s.CaseDetailSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        return Response(s.CaseDetailSerializer(_case_detail(case, request.user)).data)


class CaseTimeline(ApiView):
    @extend_schema(
        summary="The case's audit events, oldest first", responses=s.TimelineEventSerializer(many=True), tags=["Cases"]
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        timeline = case_view(case=case, user=request.user).timeline
        return Response(s.TimelineEventSerializer(timeline, many=True).data)


class CaseComment(ApiView):
    @extend_schema(
        summary="Comment on a case",
        request=s.CommentSerializer,
        responses={201: s.CaseDetailSerializer},
        tags=["Cases"],
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.case_comment(case_id=case.pk, acting_user=request.user, body=body.validated_data["body"])
        case.refresh_from_db()
        return Response(s.CaseDetailSerializer(_case_detail(case, request.user)).data, status=status.HTTP_201_CREATED)


class CaseDispositions(ApiView):
    @extend_schema(
        summary="The case's dispositions in the order given (a tree by `parent`)",
        tags=["Dispositions"],
        responses=s.DispositionSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        return Response(s.DispositionSerializer(case_dispositions(case), many=True).data)

    @extend_schema(
        summary="Give a disposisi inisiatif: pass the case down the org chart",
        tags=["Dispositions"],
        request=s.DispositionGiveSerializer,
        responses={201: s.DispositionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        body = s.DispositionGiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = body.validated_data["recipients"]
        positions = Position.objects.in_bulk(wanted)
        unknown = [str(pk) for pk in wanted if pk not in positions]
        if unknown:
            raise exceptions.ValidationError({"recipients": [NO_SUCH_POSITION % {"ids": ", ".join(unknown)}]})
        disposition = services.disposition_give(
            case_id=case.pk,
            acting_user=request.user,
            recipients=[positions[pk] for pk in wanted],
            instructions=body.validated_data["instructions"],
            note=body.validated_data["note"],
            due_date=body.validated_data["due_date"],
        )
        given = case_dispositions(case).get(pk=disposition.pk)
        return Response(s.DispositionSerializer(given).data, status=status.HTTP_201_CREATED)


# --- steps ---------------------------------------------------------------------------------------------------------


class TaskComplete(ApiView):
    @extend_schema(
        summary="Complete a step with its form (fields, attachments, decision)",
        request={"application/json": s.FORM_BODY, "multipart/form-data": s.FORM_BODY},
        responses=s.CaseDetailSerializer,
        tags=["Steps"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = _visible_task(request, pk)
        case = services.task_complete(
            task_id=task.pk, acting_user=request.user, data=form_data(request), files=request.FILES
        )
        return Response(s.CaseDetailSerializer(_case_detail(_visible_case(request, case.pk), request.user)).data)


class TaskClaim(ApiView):
    @extend_schema(
        summary="Take a step from the unit queue", request=None, responses=s.CaseDetailSerializer, tags=["Steps"]
    )
    def post(self, request: Request, pk: int) -> Response:
        task = _visible_task(request, pk)
        services.task_claim(task_id=task.pk, acting_user=request.user)
        return Response(s.CaseDetailSerializer(_case_detail(task.process.case, request.user)).data)


class TaskRelease(ApiView):
    @extend_schema(
        summary="Put a step one holds back in the unit queue",
        request=None,
        responses=s.CaseDetailSerializer,
        tags=["Steps"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = _visible_task(request, pk)
        services.task_release(task_id=task.pk, acting_user=request.user)
        return Response(s.CaseDetailSerializer(_case_detail(task.process.case, request.user)).data)


# --- escalations ---------------------------------------------------------------------------------------------------


class EscalationList(ApiView):
    @extend_schema(
        summary="Escalations waiting for the user's decision",
        responses=s.EscalationSerializer(many=True),
        tags=["Escalations"],
    )
    def get(self, request: Request) -> Response:
        return Response(s.EscalationSerializer(open_escalations(user=request.user), many=True).data)


class EscalationDecide(ApiView):
    @extend_schema(
        summary="Decide an escalation: reassign, extend, take over or return",
        tags=["Escalations"],
        request=s.EscalationDecisionSerializer,
        responses=s.EscalationSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        escalation = get_object_or_404(Escalation.objects.select_related("case__unit"), pk=pk)
        body = s.EscalationDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data.get("to_user", "").strip()
        to_user = User.objects.filter(username=username).first() if username else None
        if username and to_user is None:
            raise exceptions.ValidationError({"to_user": [NO_SUCH_USER % {"username": username}]})
        new_due = body.validated_data.get("new_due")
        if new_due is not None and timezone.is_naive(new_due):
            new_due = new_due.replace(tzinfo=zoneinfo.ZoneInfo(escalation.case.unit.time_zone))
        decided = services.escalation_decide(
            escalation_id=escalation.pk,
            acting_user=request.user,
            decision=body.validated_data["decision"],
            reason=body.validated_data["reason"],
            to_user=to_user,
            new_due=new_due,
        )
        return Response(s.EscalationSerializer(decided).data)


# --- documents -----------------------------------------------------------------------------------------------------

PDF = OpenApiResponse(response=OpenApiTypes.BINARY, description="The PDF.")


class CaseDocuments(ApiView):
    @extend_schema(
        summary="Documents printed from a case (their records)",
        tags=["Documents"],
        responses=s.PrintedDocumentSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        case = _visible_case(request, pk)
        documents = case.printed_documents.select_related("printed_by")
        return Response(s.PrintedDocumentSerializer(documents, many=True).data)

    @extend_schema(
        summary="Print a document of the case as PDF (case history, lembar disposisi or an SOP output); each print "
        "is recorded and audited",
        request=s.DocumentPrintSerializer,
        responses={(201, "application/pdf"): PDF},
        tags=["Documents"],
    )
    def post(self, request: Request, pk: int) -> HttpResponse:
        case = _visible_case(request, pk)
        body = s.DocumentPrintSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        kind, output = body.validated_data["kind"], body.validated_data["output"]
        base_url = request.build_absolute_uri("/")
        if kind == PrintedDocument.Kind.CASE_HISTORY:
            pdf, document = case_history_pdf(case=case, acting_user=request.user, base_url=base_url)
        elif kind == PrintedDocument.Kind.LEMBAR_DISPOSISI:
            pdf, document = lembar_disposisi_pdf(
                case=case, acting_user=request.user, paper=body.validated_data["paper"], base_url=base_url
            )
        else:
            if not any(d["id"] == output for d in case.sop_version.definition.get("documents", [])):
                raise exceptions.ValidationError({"output": [NO_SUCH_OUTPUT % {"output": output}]})
            pdf, document = sop_output_pdf(case=case, output=output, acting_user=request.user, base_url=base_url)
        response = HttpResponse(pdf, content_type="application/pdf", status=status.HTTP_201_CREATED)
        filename = f"{document.output or document.kind}-{case.reference}-{document.code}.pdf".replace("/", "-")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Document-Code"] = document.code
        response["X-Content-SHA256"] = document.content_sha256
        return response


class DocumentDetail(ApiView):
    @extend_schema(
        summary="The record of one printed document, by its verification code",
        tags=["Documents"],
        responses=s.PrintedDocumentSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        document = get_object_or_404(
            PrintedDocument.objects.select_related("printed_by"), code=code, case__in=visible_cases(request.user)
        )
        return Response(s.PrintedDocumentSerializer(document).data)


class AttachmentDownload(ApiView):
    @extend_schema(
        summary="Download an attachment of a case",
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file as uploaded.")},
        tags=["Cases"],
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        attachment = get_object_or_404(Attachment, pk=pk, case__in=visible_cases(request.user))
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)
