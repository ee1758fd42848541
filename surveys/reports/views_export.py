"""The reports' Excel/CSV exports (rates, flows, deprivation, each also in the official layout) and the household list
export (personal data: scoped, audited, and written by a background job when long)."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from surveys import excel
from surveys.reports import official_data, official_workbook
from surveys.reports.tables import deprivation_tables, flow_data, flow_tables, household_filterset, household_table, rate_table
from surveys.reports.views import _deprivation_ctx, _official_forms, _rate_report, _selection, report_access


def _export_language(request) -> str:
    return "en" if request.GET.get("lang") == "en" else "vi"


def _filename(ctx: dict, kind: str, ext: str) -> str:
    return f"{kind}-{ctx['survey_round'].code}-{ctx['unit'].code}.{ext}"


def _csv_response(table: excel.Table, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(excel.csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _official_export(request, ctx: dict, which: str, fmt: str):
    forms = _official_forms(ctx, which)
    language = _export_language(request)
    args = {"round": ctx["survey_round"], "unit": ctx["unit"], "decision": ctx["decision"], "language": language}
    if fmt == "csv":
        form = forms[1 if which == "flows" and request.GET.get("kind") == "near_poor" else 0]
        return _csv_response(official_workbook.csv_table(form, **args), _filename(ctx, f"{which}-official", "csv"))
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    official_workbook.write_workbook(forms, out=handle, **args)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=_filename(ctx, f"{which}-official", "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@report_access
@require_GET
def rates_export(request, fmt: str):
    ctx = _selection(request)
    if official_data.parse_layout(request.GET.get("layout")):
        return _official_export(request, ctx, "rates", fmt)
    ctx["report"] = _rate_report(ctx)
    table = rate_table(ctx, _export_language(request))
    if fmt == "csv":
        return _csv_response(table, _filename(ctx, "rates", "csv"))
    return excel.xlsx_response([table], _filename(ctx, "rates", "xlsx"))


@report_access
@require_GET
def flows_export(request, fmt: str):
    ctx = _selection(request)
    if official_data.parse_layout(request.GET.get("layout")):
        return _official_export(request, ctx, "flows", fmt)
    tables = flow_tables(ctx, flow_data(ctx), _export_language(request))
    if fmt == "csv":
        kind = 1 if request.GET.get("kind") == "near_poor" else 0
        return _csv_response(tables[kind], _filename(ctx, "flows", "csv"))
    return excel.xlsx_response(tables, _filename(ctx, "flows", "xlsx"))


@report_access
@require_GET
def deprivation_export(request, fmt: str):
    ctx = _deprivation_ctx(request)
    tables = deprivation_tables(ctx, _export_language(request))
    if fmt == "csv":
        return _csv_response(tables[1 if request.GET.get("table") == "breakdowns" else 0], _filename(ctx, "deprivation", "csv"))
    return excel.xlsx_response(tables, _filename(ctx, "deprivation", "xlsx"))


@login_required
@require_GET
def households_export(request, fmt: str):
    """The round's assessed households (filtered like the lists), scoped to what the user may see; audited. A list
    longer than POVREG_EXPORT_INLINE_ROWS is written by a background job (surveys.reports.export_jobs) and downloaded from
    "My jobs", so no request is held open for minutes."""
    language = _export_language(request)
    survey_round, filterset = household_filterset(request.user, request.GET)
    if filterset.qs.count() > settings.POVREG_EXPORT_INLINE_ROWS:
        from core.jobs import job_start

        job = job_start(
            owner=request.user,
            kind="export",
            label=_("Household list %(round)s (%(fmt)s)") % {"round": survey_round.code, "fmt": fmt.upper()},
            params={
                "round": survey_round.code,
                "query": {k: request.GET.getlist(k) for k in request.GET},
                "fmt": fmt,
                "exported_language": language,
            },
        )
        messages.info(
            request, _("The list is long: it is being written in the background. Download it from My jobs when it is done.")
        )
        return redirect(f"{reverse('jobs')}#job-{job.pk}")
    table, name = household_table(
        user=request.user, survey_round=survey_round, filterset=filterset, query=request.GET, language=language, fmt=fmt
    )
    if fmt == "csv":
        return _csv_response(table, name)
    return excel.xlsx_response([table], name)
