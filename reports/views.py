"""Report pages: dashboards, the monthly performance report PDF, the satisfaction index and its raw answers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cases.exports import as_csv

from .dashboards import Period
from .forms import PeriodForm
from .performance import dashboard_for, may_see_reports, performance_report_pdf
from .skm import ikm_table, raw_answer_rows


def _period(request: HttpRequest, *, default: str = "year") -> tuple[PeriodForm, Period]:
    if not may_see_reports(request.user):
        raise Http404
    form = PeriodForm(request.GET or None)
    return form, form.period(default=default)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    return render(request, "reports/dashboard.html", {"form": form, "dashboard": dashboard_for(period)})


@login_required
def performance_pdf(request: HttpRequest) -> HttpResponse:
    form, period = _period(request, default="month")
    pdf = performance_report_pdf(period=period, acting_user=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="laporan-kinerja-{period.start:%Y-%m-%d}.pdf"'
    return response


@login_required
def skm_report(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    by_sop, overall = ikm_table(start=period.start, end=period.end, by="sop")
    by_unit, _overall = ikm_table(start=period.start, end=period.end, by="unit")
    return render(
        request,
        "reports/skm.html",
        {
            "form": form,
            "period": period,
            "by_sop": by_sop,
            "by_unit": by_unit,
            "overall": overall,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def skm_answers_csv(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    header, rows = raw_answer_rows(start=period.start, end=period.end)
    response = HttpResponse(as_csv(header, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="skm-jawaban-{stamp}.csv"'
    return response
