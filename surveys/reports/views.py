"""Report pages: rates (with charts and maps), flows, deprivation and breakdowns, the dashboard's charts, and the
official layout of each. Thin views over the report selectors (rates, breakdowns, flows, maps, official forms) and
the table builders of `surveys.reports.tables`; exports: views_export.py; the what-if simulation: views_simulation.py.
"""

from __future__ import annotations

from functools import cache, wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.routers import replica_reads
from households.ethnicity import MINORITY_DEFINITION
from households.models import AdminUnit, Level
from surveys.approval.selectors import round_decision
from surveys.models import SurveyRound
from surveys.reports import breakdowns, maps, official_data, official_forms, official_workbook
from surveys.reports import rates as report_rates
from surveys.reports.tables import (
    BREAKDOWN_COLUMNS,
    DEPRIVATION_COLUMNS,
    FLOW_LABELS,
    RATE_COLUMNS,
    category_label,
    flow_data,
    lang,
    row_values,
)

MAX_UPLOAD_BYTES = 60 * 1024 * 1024
PREVIEW_ISSUE_LIMIT = 2000


def report_access(view):
    """Signed in with some role; deny by default. Report pages read aggregates: from the read replica when one is
    configured (core.routers)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not report_rates.can_see_reports(request.user):
            raise PermissionDenied(_("Your account has no access to reports."))
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapper


def _rounds_with_approved_lists() -> set[int]:
    from surveys.models import CommuneList, ListStatus

    return set(CommuneList.objects.filter(status=ListStatus.APPROVED).values_list("round_id", flat=True).distinct())


def _selection(request) -> dict:
    """Round, unit and status from the query string (defaults: latest round, its province, approved)."""
    rounds = list(SurveyRound.objects.select_related("criteria_set", "province").order_by("-year", "-starts_on", "code"))
    if not rounds:
        raise Http404(_("There is no survey round yet."))
    code = request.GET.get("round")

    @cache
    def latest_with_data() -> SurveyRound | None:
        """The latest round with approved numbers: one query, run only when a page needs it."""
        with_approved = _rounds_with_approved_lists()
        return next((r for r in rounds if r.pk in with_approved), None)

    # No round asked for: the latest round that has approved numbers (a new round with nothing approved would
    # show a wall of zeros), else the latest round.
    survey_round = next((r for r in rounds if r.code == code), None) if code else (latest_with_data() or rounds[0])
    if survey_round is None:
        raise Http404("round")
    structure = report_rates.read_structure(survey_round, request.GET.get("structure"))
    decimals = report_rates.parse_decimals(request.GET.get("decimals"))
    unit = report_rates.unit_read_in(survey_round, request.GET.get("unit"), structure)
    if unit is None:
        raise Http404("unit")
    status = request.GET.get("status") or "approved"
    if status not in report_rates.STATUSES:
        status = "approved"
    can_see_live = report_rates.can_see_live(request.user, survey_round)
    if status == "all" and not can_see_live:
        raise PermissionDenied(_("Only the province's department staff can see unapproved numbers."))
    criteria_set = report_rates.read_criteria(survey_round, request.GET.get("criteria"), structure=structure)
    units = []
    for province in report_rates.provinces_read_in(survey_round, structure):
        units += list(
            AdminUnit.objects.under(province)
            .filter(structure=province.structure)
            .exclude(level=Level.COMMUNE)
            .order_by("level", "code")
        )
    if unit.level == Level.COMMUNE or unit.parent_id:
        units += list(
            AdminUnit.objects.filter(parent=unit if unit.level != Level.COMMUNE else unit.parent, level=Level.COMMUNE).order_by(
                "code"
            )
        )
    return {
        "rounds": rounds,
        "survey_round": survey_round,
        "unit": unit,
        "status": status,
        "units": units,
        "can_see_all": can_see_live,
        "lang": lang(),
        "breadcrumbs": _breadcrumbs(unit),
        "decimals": decimals,
        "structure": structure,
        "can_regroup": survey_round.province.structure == "legacy" and survey_round.province.successors.exists(),
        "latest_with_data": latest_with_data,  # (a template calls it, only for an empty report)
        "decision": round_decision(survey_round) if status == "approved" else None,
        "criteria_set": criteria_set,
        "standard": criteria_set or survey_round.criteria_set,
        "standards": survey_round.standards(),
    }


def _breadcrumbs(unit: AdminUnit) -> list[AdminUnit]:
    chain = [unit]
    while chain[0].parent_id is not None:
        chain.insert(0, chain[0].parent)
    return chain


def _query(ctx: dict, **extra) -> str:
    params = {
        "round": ctx["survey_round"].code,
        "unit": ctx["unit"].code,
        "status": ctx["status"],
        "structure": ctx.get("structure"),
        "criteria": ctx["criteria_set"].code if ctx.get("criteria_set") else None,
        "decimals": ctx.get("decimals") if ctx.get("decimals") not in (None, 2) else None,
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v is not None and v != ""})


def chart_data(report: report_rates.RateReport, trend: list[report_rates.TrendPoint]) -> dict:
    """What the charts draw (the page's tables hold the same numbers)."""
    provisional = _("provisional")
    return {
        "labels": [r.unit_name for r in report.rows],
        "poor_rate": [float(r.poor_rate or 0) for r in report.rows],
        "near_poor_rate": [float(r.near_poor_rate or 0) for r in report.rows],
        "poverty_reduction": [r.poverty_reduction for r in report.rows],
        "social_protection": [r.social_protection for r in report.rows],
        "near_poor": [r.near_poor for r in report.rows],
        # A provisional trend point says so on the axis: "BD-2026 (1/91, provisional)".
        "trend_labels": [
            f"{p.round_code} ({p.communes_included}/{p.communes}, {provisional})" if p.provisional else p.round_code
            for p in trend
        ],
        "coverage": report_rates.coverage_text(report.total, lang(), approved=True) if report.total else "",
        "trend_poor": [float(p.poor_rate) if p.poor_rate else None for p in trend],
        "trend_near_poor": [float(p.near_poor_rate) if p.near_poor_rate else None for p in trend],
        "text": {
            "poor_rate": _("Poor rate (%)"),
            "near_poor_rate": _("Near-poor rate (%)"),
            "poverty_reduction": _("Poor: poverty-reduction target"),
            "social_protection": _("Poor: social protection"),
            "near_poor": _("Near-poor"),
            "unit_axis": _("Unit"),
            "rate_axis": _("Rate (%)"),
            "households_axis": _("Households"),
            "round_axis": _("Round"),
        },
    }


@report_access
@require_GET
def dashboard_charts(request):
    """An HTML fragment for the dashboard: the charts of the user's province in the latest round, with a table."""
    units = AdminUnit.objects.filter(assignments__user=request.user).select_related("parent__parent")
    provinces = {u.province.pk for u in units}
    rounds = SurveyRound.objects.select_related("criteria_set", "province").order_by("-year", "-starts_on", "code")
    if not request.user.is_superuser:
        rounds = rounds.filter(province_id__in=provinces)
    survey_round = rounds.first()
    if survey_round is None:
        return render(request, "reports/_dashboard_fragment.html", {"survey_round": None})
    status = "all" if report_rates.can_see_live(request.user, survey_round) else "approved"
    unit = survey_round.province
    report = report_rates.rate_report(round=survey_round, unit=unit, status=status)
    trend = report_rates.trend(unit=unit, status=status)
    return render(
        request,
        "reports/_dashboard_fragment.html",
        {
            "survey_round": survey_round,
            "unit": unit,
            "status": status,
            "report": report,
            "chart_data": chart_data(report, trend),
            "query": urlencode({"round": survey_round.code, "status": status}),
        },
    )


def _rate_report(ctx: dict) -> report_rates.RateReport:
    return report_rates.rate_report(
        round=ctx["survey_round"],
        unit=ctx["unit"],
        status=ctx["status"],
        decimals=ctx["decimals"],
        structure=ctx["structure"],
        criteria_set=ctx["criteria_set"],
    )


def _report_maps(ctx: dict, report: report_rates.RateReport) -> list[maps.PovertyMap]:
    """The poor and near-poor maps of a report: its commune rows (computed once more, at commune level, when the
    report's rows are districts or a province); none for a single commune or an empty report."""
    if ctx["unit"].level == Level.COMMUNE or not report.total.communes_included:
        return []
    rows = report.rows
    if report.level != Level.COMMUNE:
        rows = report_rates.rate_report(
            round=ctx["survey_round"],
            unit=ctx["unit"],
            status=ctx["status"],
            level=Level.COMMUNE,
            decimals=ctx["decimals"],
            structure=ctx["structure"],
            criteria_set=ctx["criteria_set"],
        ).rows
    structure = ctx["structure"] or ctx["survey_round"].province.structure
    found = (
        maps.poverty_map(rows, structure=structure, kind=kind, href=lambda code: "?" + _query(ctx, unit=code))
        for kind in maps.KINDS
    )
    return [m for m in found if m is not None]


def _official_forms(ctx: dict, which: str) -> list[official_forms.OfficialForm]:
    """The rates form, or the two flows forms, of the selection in the official layout (approved numbers only)."""
    official_data.check_official(status=ctx["status"], structure=ctx["structure"], criteria_set=ctx["criteria_set"])
    data = official_data.official_data(round=ctx["survey_round"], unit=ctx["unit"], level=report_rates.child_level(ctx["unit"]))
    if which == "rates":
        return [official_forms.rates_form(data, decimals=ctx["decimals"])]
    return official_forms.flows_forms(data, decimals=ctx["decimals"])


def _official_page(request, ctx: dict, which: str):
    forms = _official_forms(ctx, which)
    language = ctx["lang"]
    ctx.update(
        which=which,
        query=_query(ctx),
        export_query=_query(ctx, layout="official"),
        forms=[
            {
                **form.render(language),
                "block": official_workbook.title_block(
                    round=ctx["survey_round"], unit=ctx["unit"], decision=ctx["decision"], form=form, language=language
                ),
            }
            for form in forms
        ],
        signing=official_workbook.signing_block(language),
    )
    return render(request, "reports/official.html", ctx)


def _official_links(ctx: dict) -> bool:
    """Whether the selection has an official layout to offer (approved numbers, own units, official standard)."""
    return ctx["status"] == "approved" and not ctx["structure"] and ctx["criteria_set"] is None


@report_access
@require_GET
def rates(request):
    ctx = _selection(request)
    if official_data.parse_layout(request.GET.get("layout")):
        return _official_page(request, ctx, "rates")
    report = _rate_report(ctx)
    trend = report_rates.trend(unit=ctx["unit"], status=ctx["status"], decimals=ctx["decimals"])
    language = ctx["lang"]
    ctx.update(
        report=report,
        trend=trend,
        headers=[labels[language] for *_x, labels in RATE_COLUMNS],
        query=_query(ctx),
        child_links=report.level != ctx["unit"].level,
        chart_data=chart_data(report, trend),
        show_standards=True,
        maps=_report_maps(ctx, report),
        official=_official_links(ctx),
        low_income=None
        if ctx["structure"]
        else report_rates.low_income_workers(
            round=ctx["survey_round"], unit=ctx["unit"], status=ctx["status"], criteria_set=ctx["criteria_set"]
        ),
    )
    return render(request, "reports/rates.html", ctx)


@report_access
@require_GET
def flows(request):
    ctx = _selection(request)
    if official_data.parse_layout(request.GET.get("layout")):
        return _official_page(request, ctx, "flows")
    data = flow_data(ctx)
    language = ctx["lang"]
    for kind in data:
        data[kind]["headers"] = [FLOW_LABELS[f][language] for f in data[kind]["fields"]]
        for row in [*data[kind]["rows"], data[kind]["total"]]:
            row["values"] = [row[f] for f in data[kind]["fields"]]
    ctx.update(flows=data, query=_query(ctx), previous_rounds=ctx["survey_round"].previous_list(), official=_official_links(ctx))
    return render(request, "reports/flows.html", ctx)


def _deprivation_ctx(request) -> dict:
    ctx = _selection(request)
    args = {"round": ctx["survey_round"], "unit": ctx["unit"], "status": ctx["status"], "structure": ctx["structure"]}
    ctx["deprivation"] = breakdowns.deprivation_table(**args, lang=ctx["lang"])
    ctx["breakdowns"] = breakdowns.breakdowns(**args)
    ctx["minority_definition"] = MINORITY_DEFINITION
    return ctx


@report_access
@require_GET
def deprivation(request):
    ctx = _deprivation_ctx(request)
    language = ctx["lang"]
    ctx.update(
        query=_query(ctx),
        dep_headers=[labels[language] for *_x, labels in DEPRIVATION_COLUMNS],
        brk_headers=[labels[language] for *_x, labels in BREAKDOWN_COLUMNS],
        brk_rows=[[category_label(r.category, language), *row_values(r, BREAKDOWN_COLUMNS)[1:]] for r in ctx["breakdowns"]],
    )
    return render(request, "reports/deprivation.html", ctx)


@report_access
@require_GET
def index(request):
    return redirect("reports:rates")
