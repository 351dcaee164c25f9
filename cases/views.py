"""Pages for staff, supervisors, auditors and requesters. Thin: they call selectors and services."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from workflows.forms import intake_form_class, step_form_class
from workflows.models import Escalation, SopVersion

from . import errors, requesters, security, services
from .access import acting_for_task, can_view_case, may_start_sop, supervised_unit_ids
from .errors import ApplicationError, PermissionDenied
from .filters import CaseFilter, TaskFilter
from .forms import DispositionForm, SurveyForm
from .models import Attachment, Case, SatisfactionSurvey, User
from .notifications import notifications_mark_read
from .org import acting_positions
from .selectors import (
    case_search,
    case_view,
    disposition_panel,
    inbox_tasks,
    open_escalations,
    queue_tasks,
    sop_catalogue,
    team_open_tasks,
    team_workload,
)
from .services import ESCALATION_DECISIONS
from .skm import survey_answer as answer_survey


def _denied(request: HttpRequest, case: Case | None = None) -> Http404:
    """Record a refused page in the audit trail; the caller raises the 404 returned (nothing is revealed)."""
    security.audit_denial(user=request.user, what=request.path, case=case, request=request)
    return Http404()


def _refused(request: HttpRequest, error: ApplicationError, case: Case | None = None) -> None:
    """Show a refusal; a permission refusal is also recorded in the audit trail."""
    if isinstance(error, PermissionDenied):
        security.audit_denial(user=request.user, what=request.path, case=case, request=request)
    messages.error(request, error.message)


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    case = get_object_or_404(Case.objects.select_related("unit", "sop_version", "process"), pk=pk)
    if not can_view_case(request.user, case):
        raise _denied(request, case)
    return case


def _task_or_404(pk: int) -> Task:
    return get_object_or_404(Task.objects.select_related("process__case", "owner"), pk=pk, flow_task_type="HUMAN")


PAGE_SIZE = 25


def _task_page(request: HttpRequest, tasks: QuerySet[Task], *, title: str, queue: bool) -> HttpResponse:
    filters = TaskFilter(request.GET, queryset=tasks)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "title": title, "queue": queue, "filters": filters, "query": _query_without_page(request)}
    return render(request, "cases/task_list.html", context)


def _query_without_page(request: HttpRequest) -> str:
    """The query string of the current filters, for pagination and export links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _task_page(request, inbox_tasks(user=request.user), title=_("My inbox"), queue=False)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return _task_page(request, queue_tasks(user=request.user), title=_("Unit queue"), queue=True)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Search across the cases the user may read (for auditors: all cases), with CSV and XLSX exports."""
    filters = CaseFilter(request.GET, queryset=case_search(user=request.user))
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {
        "page": page, "filters": filters, "query": _query_without_page(request),
    })


@login_required
def case_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The search result as CSV or XLSX (same filters as the list, every row, not one page)."""
    from .exports import as_csv, as_xlsx, case_export_header, case_export_rows

    if fmt not in ("csv", "xlsx"):
        raise Http404
    filters = CaseFilter(request.GET, queryset=case_search(user=request.user))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    header, rows = case_export_header(), case_export_rows(filters.qs)
    if fmt == "xlsx":
        response = HttpResponse(
            as_xlsx(header, rows, title=_("Cases")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(as_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kasus-{stamp}.{fmt}"'
    return response


@login_required
def workload(request: HttpRequest) -> HttpResponse:
    """A supervisor's team: open and overdue steps per person, and every open step with a bulk reassign form."""
    if not supervised_unit_ids(acting_positions(request.user)):
        raise Http404
    results = None
    if request.method == "POST":
        username = request.POST.get("to_user", "").strip()
        to_user = User.objects.filter(username=username).first() if username else None
        if username and to_user is None:
            messages.error(request, _("There is no user “%(username)s”.") % {"username": username})
        else:
            try:
                results = services.tasks_reassign_bulk(
                    task_ids=[int(pk) for pk in request.POST.getlist("task") if pk.isdigit()],
                    acting_user=request.user, to_user=to_user, note=request.POST.get("note", ""),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
    filters = TaskFilter(request.GET, queryset=team_open_tasks(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(request, "cases/workload.html", {
        "team": team_workload(user=request.user), "page": page, "filters": filters, "results": results,
        "query": _query_without_page(request),
    })


@login_required
def escalation_list(request: HttpRequest) -> HttpResponse:
    escalations = open_escalations(user=request.user)
    return render(request, "cases/escalations.html", {"escalations": escalations, "decisions": ESCALATION_DECISIONS})


@login_required
@require_POST
def escalation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    escalation = get_object_or_404(Escalation.objects.select_related("case__unit"), pk=pk)
    username = request.POST.get("to_user", "").strip()
    to_user = User.objects.filter(username=username).first() if username else None
    new_due = None
    if request.POST.get("new_due"):
        try:
            naive = datetime.datetime.fromisoformat(request.POST["new_due"])
        except ValueError:
            messages.error(request, _("The new due moment is not a valid date and time."))
            return redirect("cases:escalations")
        new_due = naive.replace(tzinfo=zoneinfo.ZoneInfo(escalation.case.unit.time_zone))
    if username and to_user is None:
        messages.error(request, _("There is no user “%(username)s”.") % {"username": username})
        return redirect("cases:escalations")
    try:
        services.escalation_decide(
            escalation_id=escalation.pk, acting_user=request.user, decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""), to_user=to_user, new_due=new_due,
        )
    except ApplicationError as error:
        _refused(request, error, escalation.case)
    else:
        messages.success(request, _("Decision recorded for %(case)s.") % {"case": escalation.case.reference})
    return redirect("cases:escalations")


@login_required
def survey(request: HttpRequest, pk: int) -> HttpResponse:
    """The SKM questionnaire of a finished case, for its requester."""
    survey = get_object_or_404(SatisfactionSurvey.objects.select_related("case"), pk=pk, respondent=request.user)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answer_survey(survey_id=survey.pk, acting_user=request.user, scores=form.scores(),
                          suggestion=form.cleaned_data["suggestion"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you: your answers have been recorded."))
            return redirect("cases:inbox")
    return render(request, "cases/survey.html", {"survey": survey, "form": form})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("cases:notifications")
    notes = request.user.notifications.select_related("case__unit", "case__survey")
    page = Paginator(notes, 25).get_page(request.GET.get("page"))
    return render(request, "cases/notifications.html", {"page": page})


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/catalogue.html", {
        "areas": sop_catalogue(user=request.user), "complaint_sop": requesters.COMPLAINT_SOP,
    })


@login_required
def sop_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The SOP as its team and its users read it: identity, steps, diagram, printable document."""
    from workflows.export import flow_svg, split_svg_style

    version = get_object_or_404(SopVersion, code=code, is_current=True)
    diagram, _css = split_svg_style(flow_svg(version=version))
    context = {
        "version": version,
        "definition": version.definition,
        "diagram": mark_safe(diagram),  # noqa: S308 - SVG built by our exporter, text escaped
        "may_start": may_start_sop(request.user, version.definition),
    }
    return render(request, "cases/sop_detail.html", context)


@login_required
def sop_diagram_css(request: HttpRequest, code: str) -> HttpResponse:
    """The diagram's own stylesheet, served apart so that the SOP page needs no inline style."""
    from workflows.export import flow_svg, split_svg_style

    version = get_object_or_404(SopVersion, code=code, is_current=True)
    return HttpResponse(split_svg_style(flow_svg(version=version))[1], content_type="text/css; charset=utf-8")


@login_required
def sop_document(request: HttpRequest, code: str) -> HttpResponse:
    """The official SOP AP document as PDF (landscape A4, or F4 with ?kertas=F4)."""
    from reports.pdf_cache import sop_document_cached

    version = get_object_or_404(SopVersion, code=code, is_current=True)
    paper = "F4" if request.GET.get("kertas") == "F4" else "A4"
    response = HttpResponse(sop_document_cached(version=version, paper=paper), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{code}-rev{version.revision}-{paper}.pdf"'
    return response


@login_required
def case_start(request: HttpRequest, code: str) -> HttpResponse:
    version = get_object_or_404(SopVersion, code=code, is_current=True)
    if not may_start_sop(request.user, version.definition):
        raise _denied(request)
    form_class = intake_form_class(version.definition)
    if request.method == "POST":
        try:
            case = services.case_start(
                sop_version=version, acting_user=request.user, data=request.POST, files=request.FILES
            )
        except ApplicationError as error:
            _refused(request, error)
            form = form_class(request.POST, request.FILES)
            form.is_valid()
        else:
            messages.success(request, _("Case %(reference)s has been started.") % {"reference": case.reference})
            if case.requester_id == request.user.pk:
                return redirect("cases:request_receipt", pk=case.pk)
            return redirect("cases:case_detail", pk=case.pk)
    else:
        form = form_class(initial={"requester_name": str(request.user)})
    return render(request, "cases/case_start.html", {"version": version, "form": form})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    return render(request, "cases/case_detail.html", {
        "view": case_view(case=case, user=request.user),
        "dispositions": disposition_panel(case=case, user=request.user),
        "disposition_form": DispositionForm(),
    })


@login_required
def task_execute(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    case = task.process.case
    if acting_for_task(request.user, task) is None:
        security.audit_denial(user=request.user, what=request.path, case=case, request=request)
        messages.error(request, _("This step is not offered to you."))
        if can_view_case(request.user, case):
            return redirect("cases:case_detail", pk=case.pk)
        return redirect("cases:inbox")
    step = case.sop_version.step(task.flow_task.name)
    form_class = step_form_class(step)
    if request.method == "POST":
        try:
            services.task_complete(task_id=task.pk, acting_user=request.user, data=request.POST, files=request.FILES)
        except ApplicationError as error:
            _refused(request, error, case)
            form = form_class(request.POST, request.FILES)
            form.is_valid()
        else:
            messages.success(request, _("Step “%(step)s” completed.") % {"step": step["kegiatan"]})
            return redirect("cases:case_detail", pk=case.pk)
    else:
        form = form_class()
    return render(request, "cases/task_form.html", {"task": task, "case": case, "step": step, "form": form})


def _act(request: HttpRequest, case_pk: int, action: Callable[[], object], success: str) -> HttpResponseRedirect:
    try:
        action()
    except ApplicationError as error:
        _refused(request, error, Case.objects.filter(pk=case_pk).first())
    else:
        messages.success(request, success)
    return redirect("cases:case_detail", pk=case_pk)


@login_required
@require_POST
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    return _act(request, task.process.case.pk,
                lambda: services.task_claim(task_id=task.pk, acting_user=request.user), _("Step taken."))


@login_required
@require_POST
def task_release(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    return _act(request, task.process.case.pk,
                lambda: services.task_release(task_id=task.pk, acting_user=request.user),
                _("Step returned to the unit queue."))


@login_required
@require_POST
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    username = request.POST.get("to_user", "").strip()
    to_user = User.objects.filter(username=username).first() if username else None
    if username and to_user is None:
        messages.error(request, _("There is no user “%(username)s”.") % {"username": username})
        return redirect("cases:case_detail", pk=task.process.case.pk)
    return _act(request, task.process.case.pk,
                lambda: services.task_reassign(task_id=task.pk, acting_user=request.user, to_user=to_user,
                                               note=request.POST.get("note", "")),
                _("Step reassigned."))


@login_required
@require_POST
def case_comment(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    return _act(request, case.pk,
                lambda: services.case_comment(case_id=case.pk, acting_user=request.user,
                                              body=request.POST.get("body", "")),
                _("Comment added."))


@login_required
@require_POST
def case_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    return _act(request, case.pk,
                lambda: services.case_cancel(case_id=case.pk, acting_user=request.user,
                                             reason=request.POST.get("reason", "")),
                _("Case cancelled."))


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    return _act(request, case.pk,
                lambda: services.case_close(case_id=case.pk, acting_user=request.user), _("Case closed."))


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("case"), pk=pk)
    if not can_view_case(request.user, attachment.case):
        raise _denied(request, attachment.case)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    try:
        services.user_set_language(user=request.user, language=request.POST.get("language", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    translation.activate(request.user.language)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


def _printed(request: HttpRequest, case: Case, make: Callable[[], tuple[bytes, object]], prefix: str) -> HttpResponse:
    """The PDF of a recorded print, shown inline; a refusal goes back to the case page with its message."""
    try:
        pdf, document = make()
    except ApplicationError as error:
        _refused(request, error, case)
        return redirect("cases:case_detail", pk=case.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{prefix}-{case.reference}-{document.code}.pdf".replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@require_POST
def case_history_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The case history for auditors as PDF; each print is recorded and appended to the case's trail."""
    from reports.case_history import case_history_pdf

    case = _case_or_404(request, pk)
    return _printed(request, case, lambda: case_history_pdf(
        case=case, acting_user=request.user, base_url=request.build_absolute_uri("/")), "riwayat")


@login_required
@require_POST
def disposition_sheet_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The lembar disposisi (half-folio or A4, `kertas`) as PDF, recorded like every print."""
    from reports.lembar_disposisi import PAPERS, lembar_disposisi_pdf

    case = _case_or_404(request, pk)
    paper = request.POST.get("kertas", "setengah_folio")
    if paper not in PAPERS:
        messages.error(request, _("Unknown paper size."))
        return redirect("cases:case_detail", pk=case.pk)
    return _printed(request, case, lambda: lembar_disposisi_pdf(
        case=case, acting_user=request.user, paper=paper, base_url=request.build_absolute_uri("/")),
        "lembar-disposisi")


@login_required
@require_POST
def sop_output_print(request: HttpRequest, pk: int, output: str) -> HttpResponse:
    """A document the case's SOP names as an output (surat izin, berita acara), recorded like every print."""
    from reports.sop_outputs import sop_output_pdf

    case = _case_or_404(request, pk)
    if not any(d["id"] == output for d in case.sop_version.definition.get("documents", [])):
        raise Http404
    return _printed(request, case, lambda: sop_output_pdf(
        case=case, output=output, acting_user=request.user, base_url=request.build_absolute_uri("/")), output)


@login_required
@require_POST
def disposition_give(request: HttpRequest, pk: int) -> HttpResponse:
    """A disposisi inisiatif from the case page."""
    case = _case_or_404(request, pk)
    form = DispositionForm(request.POST)
    if not form.is_valid():
        for field, problems in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(problems)}" if label else " ".join(problems))
        return redirect("cases:case_detail", pk=case.pk)
    data = form.cleaned_data
    return _act(request, case.pk, lambda: services.disposition_give(
        case_id=case.pk, acting_user=request.user, recipients=data["recipients"], instructions=data["instructions"],
        note=data["note"], due_date=data["due_date"]), _("Disposition given."))


def document_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public check of a printed document's QR code; the content only for a user who may view the case."""
    from reports.verification import document_verify as verify
    from reports.verification import sha256_of

    upload = None
    if request.method == "POST" and request.FILES.get("file"):
        upload = sha256_of(request.FILES["file"].chunks())
    result = verify(code=code, user=request.user, upload_sha256=upload)
    return render(request, "reports/verify.html", {"result": result}, status=200 if result.on_record else 404)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up TOTP two-factor sign-in: scan the QR code (or type the key) into an authenticator app, enter a code."""
    from reports.case_history import qr_svg_data_uri

    if not security.two_factor_offered(request.user):
        messages.error(request, str(errors.TWO_FACTOR_NOT_OFFERED))
        return redirect("cases:inbox")
    if request.method == "POST":
        try:
            security.totp_enrol_confirm(user=request.user, token=request.POST.get("token", ""), request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Two-factor sign-in is on: from now on you will be asked for a code."))
            return redirect("cases:inbox")
    device = security.totp_pending_device(user=request.user)
    context = {
        "qr": qr_svg_data_uri(device.config_url),
        "secret": security.totp_secret_base32(device),
        "enrolled": security.two_factor_required(request.user),
    }
    return render(request, "cases/two_factor_setup.html", context)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in for a user with two-factor sign-in set up."""
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    if request.method == "POST":
        try:
            security.totp_verify(request=request, token=request.POST.get("token", ""))
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            return redirect(target)
    return render(request, "cases/two_factor_verify.html", {"next": target})


# Requesters: their own requests, the receipt, complaints, and the public tracking page ------------------------------


def _own_request_or_404(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(Case.objects.select_related("unit", "sop_version"), pk=pk, requester=request.user)


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    cases = requesters.requester_cases(user=request.user)
    return render(request, "cases/my_requests.html", {
        "rows": [(case, requesters.PHASES[requesters.phase_of(case)]) for case in cases],
    })


@login_required
def my_request(request: HttpRequest, pk: int) -> HttpResponse:
    case = _own_request_or_404(request, pk)
    return render(request, "cases/my_request.html", {"status": requesters.request_status(case=case, public=False)})


@login_required
def request_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    case = _own_request_or_404(request, pk)
    return render(request, "cases/request_receipt.html", {
        "case": case, "status": requesters.request_status(case=case, public=False),
        "tracking_url": request.build_absolute_uri(reverse("cases:track", args=[case.tracking_code]))
        if case.tracking_code else "",
    })


@login_required
def complaint_new(request: HttpRequest) -> HttpResponse:
    """A complaint about a service (or, with ?kasus=<pk>, about one of the user's requests)."""
    about = _own_request_or_404(request, int(request.GET["kasus"])) if request.GET.get("kasus", "").isdigit() else None
    services_open = requesters.services_open_to_requesters()
    if request.method == "POST":
        try:
            complaint = services.complaint_file(
                acting_user=request.user, body=request.POST.get("isi_pengaduan", ""),
                about_case_id=about.pk if about else None, sop_code=request.POST.get("layanan", ""),
                files=request.FILES,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Complaint %(reference)s has been filed.") % {"reference": complaint.reference})
            return redirect("cases:request_receipt", pk=complaint.pk)
    return render(request, "cases/complaint_new.html", {"about": about, "services_open": services_open})


def track(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the status of a case by its tracking code, without logging in and without names or notes."""
    case = get_object_or_404(Case.objects.select_related("unit", "sop_version"), tracking_code=code)
    return render(request, "cases/track.html", {"status": requesters.request_status(case=case, public=True)})
