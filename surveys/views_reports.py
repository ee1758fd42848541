"""Report pages and their Excel/CSV exports, and the
what-if simulation. Thin views over `surveys.reports`, `surveys.flows`,
`surveys.simulation` and `surveys.excel`.
"""

from __future__ import annotations

import tempfile
from functools import cache, wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.audit import audit
from core.routers import replica_reads
from households.ethnicity import MINORITY_DEFINITION
from households.models import AdminUnit, Level, communes_visible_to
from surveys import classification as cl
from surveys import excel, maps, official_forms, reports
from surveys.approval import round_decision
from surveys.filters import AssessmentFilterSet
from surveys.flows import FLOW_FIELDS, flows_for, flows_total
from surveys.models import Assessment, CriteriaSet, SurveyRound
from surveys.simulation import criteria_set_copy_as_draft, simulate

MAX_UPLOAD_BYTES = 60 * 1024 * 1024
PREVIEW_ISSUE_LIMIT = 2000


def lang() -> str:
    return "vi" if (get_language() or "vi").startswith("vi") else "en"


def L(vi: str, en: str) -> dict[str, str]:  # noqa: N802 (a label in both languages)
    return {"vi": vi, "en": en}


# Column labels in both languages: exports are official forms (Vietnamese by default), the page follows
# the user's language. Plain data like classification.CATEGORY_LABELS, so they hold without .po files.
RATE_COLUMNS = [
    ("unit_code", "text", 9, L("Mã", "Code")),
    ("unit_name", "text", 30, L("Đơn vị", "Unit")),
    ("total_households", "int", 14, L("Tổng số hộ dân cư", "Total households")),
    ("poor", "int", 11, L("Số hộ nghèo", "Poor households")),
    ("poor_rate", "rate", 10, L("Tỷ lệ hộ nghèo (%)", "Poor rate (%)")),
    ("poverty_reduction", "int", 14, L("Hộ nghèo thuộc đối tượng giảm nghèo", "Poor: poverty-reduction target")),
    ("poverty_reduction_rate", "rate", 10, L("Tỷ lệ (%)", "Rate (%)")),
    ("social_protection", "int", 14, L("Hộ nghèo thuộc diện bảo trợ xã hội", "Poor: social protection")),
    ("social_protection_rate", "rate", 10, L("Tỷ lệ (%)", "Rate (%)")),
    ("near_poor", "int", 11, L("Số hộ cận nghèo", "Near-poor households")),
    ("near_poor_rate", "rate", 10, L("Tỷ lệ hộ cận nghèo (%)", "Near-poor rate (%)")),
    ("total_persons", "int", 14, L("Tổng số nhân khẩu", "Total persons")),
    ("poor_persons", "int", 12, L("Số nhân khẩu hộ nghèo", "Persons in poor households")),
    ("poor_persons_rate", "rate", 10, L("Tỷ lệ nhân khẩu hộ nghèo (%)", "Poor persons rate (%)")),
    ("near_poor_persons", "int", 12, L("Số nhân khẩu hộ cận nghèo", "Persons in near-poor households")),
    ("near_poor_persons_rate", "rate", 10, L("Tỷ lệ nhân khẩu hộ cận nghèo (%)", "Near-poor persons rate (%)")),
    ("communes_included", "int", 10, L("Số xã đã có số liệu", "Communes included")),
]
FLOW_LABELS = {
    "start": L("Đầu kỳ", "Start"),
    "escaped_to_near_poor": L("Thoát nghèo thành cận nghèo", "Escaped to near-poor"),
    "escaped_above_near_poor": L("Thoát lên trên chuẩn cận nghèo", "Escaped above near-poor"),
    "other_out": L("Giảm khác (chuyển đi, ...)", "Other decreases (moved, ...)"),
    "out_total": L("Tổng giảm", "Total out"),
    "near_poor_to_poor": L("Cận nghèo thành nghèo", "Near-poor who became poor"),
    "poor_to_near_poor": L("Nghèo thành cận nghèo", "Poor who became near-poor"),
    "re_poor": L("Tái nghèo", "Re-poor"),
    "re_near_poor": L("Tái cận nghèo", "Re-near-poor"),
    "newly_poor": L("Nghèo phát sinh", "Newly poor"),
    "newly_near_poor": L("Cận nghèo phát sinh", "Newly near-poor"),
    "other_in": L("Tăng khác (chuyển đến, ...)", "Other increases (moved in, ...)"),
    "in_total": L("Tổng tăng", "Total in"),
    "end": L("Cuối kỳ", "End"),
}
DEPRIVATION_COLUMNS = [
    ("code", "text", 18, L("Mã chỉ số", "Indicator code")),
    ("name", "text", 40, L("Chỉ số thiếu hụt", "Indicator")),
    ("poor", "int", 12, L("Số hộ nghèo thiếu hụt", "Poor households deprived")),
    ("poor_rate", "rate", 12, L("% hộ nghèo", "% of poor")),
    ("near_poor", "int", 12, L("Số hộ cận nghèo thiếu hụt", "Near-poor households deprived")),
    ("near_poor_rate", "rate", 12, L("% hộ cận nghèo", "% of near-poor")),
]
BREAKDOWN_COLUMNS = [
    ("category", "text", 22, L("Loại hộ", "Category")),
    ("households", "int", 12, L("Số hộ", "Households")),
    ("ethnic_minority", "int", 12, L("Chủ hộ dân tộc thiểu số", "Ethnic-minority head")),
    ("ethnic_minority_rate", "rate", 9, L("%", "%")),
    ("no_working_capacity", "int", 12, L("Không có khả năng lao động", "No working capacity")),
    ("no_working_capacity_rate", "rate", 9, L("%", "%")),
    ("merit", "int", 12, L("Gia đình có công", "Merit families")),
    ("merit_rate", "rate", 9, L("%", "%")),
    ("female_head", "int", 12, L("Chủ hộ là nữ", "Female head")),
    ("female_head_rate", "rate", 9, L("%", "%")),
    ("disability", "int", 12, L("Có người khuyết tật", "With a disabled member")),
    ("disability_rate", "rate", 9, L("%", "%")),
]
HOUSEHOLD_COLUMNS = [
    ("household_code", "text", 16, L("Mã hộ", "Household code")),
    ("commune_code", "text", 9, L("Mã xã", "Commune code")),
    ("commune_name", "text", 24, L("Xã/phường", "Commune")),
    ("hamlet", "text", 18, L("Ấp/khu phố", "Hamlet")),
    ("head_name", "text", 24, L("Họ tên chủ hộ", "Head of household")),
    ("address", "text", 28, L("Địa chỉ", "Address")),
    ("category", "text", 20, L("Phân loại", "Category")),
    ("group", "text", 22, L("Nhóm", "Group")),
    ("income_per_capita", "money", 14, L("Thu nhập bình quân (đồng/người/tháng)", "Income per person per month (VND)")),
    ("score_a", "int", 9, L("Điểm A", "Score A")),
    ("score_b", "int", 9, L("Điểm B", "Score B")),
    ("deprived_count", "int", 10, L("Số chỉ số thiếu hụt", "Deprived indicators")),
    ("member_count", "int", 10, L("Số nhân khẩu", "Members")),
    ("able_to_work_count", "int", 10, L("Số người có khả năng lao động", "Able to work")),
]
STATUS_LABELS = {"approved": L("số liệu đã phê duyệt", "approved lists only"), "all": L("tất cả số liệu (chưa phê duyệt)", "all data (not yet approved)")}


def columns(spec, language: str) -> list[excel.Column]:
    return [excel.Column(key, labels[language], kind, width) for key, kind, width, labels in spec]


def report_access(view):
    """Signed in with some role; deny by default. Report pages read aggregates: from the read replica when one is
    configured (core.routers)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not reports.can_see_reports(request.user):
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
    structure = reports.read_structure(survey_round, request.GET.get("structure"))
    decimals = reports.parse_decimals(request.GET.get("decimals"))
    unit = reports.unit_read_in(survey_round, request.GET.get("unit"), structure)
    if unit is None:
        raise Http404("unit")
    status = request.GET.get("status") or "approved"
    if status not in reports.STATUSES:
        status = "approved"
    can_see_live = reports.can_see_live(request.user, survey_round)
    if status == "all" and not can_see_live:
        raise PermissionDenied(_("Only the province's department staff can see unapproved numbers."))
    criteria_set = reports.read_criteria(survey_round, request.GET.get("criteria"), structure=structure)
    units = []
    for province in reports.provinces_read_in(survey_round, structure):
        units += list(AdminUnit.objects.under(province).filter(structure=province.structure).exclude(level=Level.COMMUNE).order_by("level", "code"))
    if unit.level == Level.COMMUNE or unit.parent_id:
        units += list(AdminUnit.objects.filter(parent=unit if unit.level != Level.COMMUNE else unit.parent, level=Level.COMMUNE).order_by("code"))
    return {
        "rounds": rounds, "survey_round": survey_round, "unit": unit, "status": status, "units": units,
        "can_see_all": can_see_live, "lang": lang(),
        "breadcrumbs": _breadcrumbs(unit), "decimals": decimals, "structure": structure,
        "can_regroup": survey_round.province.structure == "legacy" and survey_round.province.successors.exists(),
        "latest_with_data": latest_with_data,  # (a template calls it, only for an empty report)
        "decision": round_decision(survey_round) if status == "approved" else None,
        "criteria_set": criteria_set, "standard": criteria_set or survey_round.criteria_set,
        "standards": survey_round.standards(),
    }


def _breadcrumbs(unit: AdminUnit) -> list[AdminUnit]:
    chain = [unit]
    while chain[0].parent_id is not None:
        chain.insert(0, chain[0].parent)
    return chain


def _query(ctx: dict, **extra) -> str:
    params = {
        "round": ctx["survey_round"].code, "unit": ctx["unit"].code, "status": ctx["status"], "structure": ctx.get("structure"),
        "criteria": ctx["criteria_set"].code if ctx.get("criteria_set") else None,
        "decimals": ctx.get("decimals") if ctx.get("decimals") not in (None, 2) else None, **extra,
    }
    return urlencode({k: v for k, v in params.items() if v is not None and v != ""})


def _title_lines(ctx: dict, language: str, what: str) -> tuple[str, list[str]]:
    r, unit = ctx["survey_round"], ctx["unit"]
    cs = ctx.get("standard") or r.criteria_set
    if language == "vi":
        title = f"{what} – {unit.name} – năm {r.year}"
        subtitles = [
            f"Đơn vị: {unit.name} ({unit.code}) · Kỳ rà soát: {r.code} ({r.get_kind_display()}, năm {r.year})",
            f"Bộ tiêu chí: {cs.code} – {cs.name_vi} ({cs.legal_basis}) · Phạm vi: {STATUS_LABELS[ctx['status']]['vi']}",
            f"Ngày xuất: {timezone.localtime():%d/%m/%Y %H:%M}",
        ]
    else:
        title = f"{what} – {unit.name} – {r.year}"
        subtitles = [
            f"Unit: {unit.name} ({unit.code}) · Round: {r.code} ({r.get_kind_display()}, {r.year})",
            f"Criteria set: {cs.code} – {cs.name_en} ({cs.legal_basis}) · Scope: {STATUS_LABELS[ctx['status']]['en']}",
            f"Exported: {timezone.localtime():%d/%m/%Y %H:%M}",
        ]
    return title, subtitles


def _export_language(request) -> str:
    return "en" if request.GET.get("lang") == "en" else "vi"


def _filename(ctx: dict, kind: str, ext: str) -> str:
    return f"{kind}-{ctx['survey_round'].code}-{ctx['unit'].code}.{ext}"


def _xlsx_response(tables: list[excel.Table], filename: str) -> FileResponse:
    """Build the workbook in a temporary file (rows streamed through openpyxl), then send that file."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    excel.write_workbook(tables, handle)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _csv_response(table: excel.Table, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(excel.csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _row_values(obj, spec) -> list:
    get = obj.get if isinstance(obj, dict) else lambda k: getattr(obj, k)
    return [get(key) for key, *_rest in spec]


# ---------------------------------------------------------------- rate report


def rate_table(ctx: dict, language: str) -> excel.Table:
    report = ctx["report"]
    title, subtitles = _title_lines(ctx, language, "Báo cáo kết quả rà soát hộ nghèo, hộ cận nghèo" if language == "vi" else "Poor and near-poor households")
    total = _row_values(report.total, RATE_COLUMNS)
    total[0], total[1] = "", ("Tổng cộng" if language == "vi" else "Total")
    covered = reports.coverage_text(report.total, language, approved=ctx["status"] == "approved")
    if covered:
        subtitles = [*subtitles, covered.upper() if language == "vi" else covered]
    if ctx.get("decision"):
        d = ctx["decision"]
        subtitles = [*subtitles, f"Theo Quyết định số {d.number} ngày {d.date:%d/%m/%Y}" if language == "vi"
                     else f"As approved by Decision No. {d.number} of {d.date:%d/%m/%Y}"]
    return excel.Table(
        sheet="Tỷ lệ" if language == "vi" else "Rates", title=title, subtitles=subtitles, columns=columns(RATE_COLUMNS, language),
        rows=(_row_values(r, RATE_COLUMNS) for r in report.rows), total=total,
        notes=[f"Tỷ lệ = số hộ / tổng số hộ dân cư × 100 (tỷ lệ nhân khẩu = số nhân khẩu / tổng số nhân khẩu × 100), "
               f"làm tròn {report.decimals} chữ số thập phân (làm tròn lên từ 5)." if language == "vi"
               else "Rate = households / total households × 100 (persons rate = persons / total persons × 100), "
               f"{report.decimals} decimals, rounded half up.", *_structure_notes(ctx, language)],
    )


def _structure_notes(ctx: dict, language: str) -> list[str]:
    if not ctx.get("structure"):
        return []
    if language == "vi":
        return ["Kỳ rà soát trước 01/7/2025 được trình bày theo đơn vị hành chính hiện nay: mỗi hộ được tính vào xã/phường "
                "mà hộ được chuyển đến khi sắp xếp lại; tổng số hộ dân cư của xã cũ bị chia tách được phân bổ theo tỷ lệ số hộ."]
    return ["A round before 1 July 2025 shown in today's units: each household counts in the commune it was re-homed to; "
            "a split commune's total households are shared out in proportion to its households."]


def chart_data(report: reports.RateReport, trend: list[reports.TrendPoint]) -> dict:
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
            f"{p.round_code} ({p.communes_included}/{p.communes}, {provisional})" if p.provisional else p.round_code for p in trend
        ],
        "coverage": reports.coverage_text(report.total, lang(), approved=True) if report.total else "",
        "trend_poor": [float(p.poor_rate) if p.poor_rate else None for p in trend],
        "trend_near_poor": [float(p.near_poor_rate) if p.near_poor_rate else None for p in trend],
        "text": {
            "poor_rate": _("Poor rate (%)"), "near_poor_rate": _("Near-poor rate (%)"),
            "poverty_reduction": _("Poor: poverty-reduction target"), "social_protection": _("Poor: social protection"),
            "near_poor": _("Near-poor"), "unit_axis": _("Unit"), "rate_axis": _("Rate (%)"), "households_axis": _("Households"),
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
    status = "all" if reports.can_see_live(request.user, survey_round) else "approved"
    unit = survey_round.province
    report = reports.rate_report(round=survey_round, unit=unit, status=status)
    trend = reports.trend(unit=unit, status=status)
    return render(request, "reports/_dashboard_fragment.html", {
        "survey_round": survey_round, "unit": unit, "status": status, "report": report,
        "chart_data": chart_data(report, trend), "query": urlencode({"round": survey_round.code, "status": status}),
    })


def _rate_report(ctx: dict) -> reports.RateReport:
    return reports.rate_report(
        round=ctx["survey_round"], unit=ctx["unit"], status=ctx["status"], decimals=ctx["decimals"], structure=ctx["structure"],
        criteria_set=ctx["criteria_set"],
    )


def _report_maps(ctx: dict, report: reports.RateReport) -> list[maps.PovertyMap]:
    """The poor and near-poor maps of a report: its commune rows (computed once more, at commune level, when the
    report's rows are districts or a province); none for a single commune or an empty report."""
    if ctx["unit"].level == Level.COMMUNE or not report.total.communes_included:
        return []
    rows = report.rows
    if report.level != Level.COMMUNE:
        rows = reports.rate_report(
            round=ctx["survey_round"], unit=ctx["unit"], status=ctx["status"], level=Level.COMMUNE, decimals=ctx["decimals"],
            structure=ctx["structure"], criteria_set=ctx["criteria_set"],
        ).rows
    structure = ctx["structure"] or ctx["survey_round"].province.structure
    found = (maps.poverty_map(rows, structure=structure, kind=kind, href=lambda code: "?" + _query(ctx, unit=code))
             for kind in maps.KINDS)
    return [m for m in found if m is not None]


def _official_forms(ctx: dict, which: str) -> list[official_forms.OfficialForm]:
    """The rates form, or the two flows forms, of the selection in the official layout (approved numbers only)."""
    official_forms.check_official(status=ctx["status"], structure=ctx["structure"], criteria_set=ctx["criteria_set"])
    data = official_forms.official_data(round=ctx["survey_round"], unit=ctx["unit"], level=reports.child_level(ctx["unit"]))
    if which == "rates":
        return [official_forms.rates_form(data, decimals=ctx["decimals"])]
    return official_forms.flows_forms(data, decimals=ctx["decimals"])


def _official_page(request, ctx: dict, which: str):
    forms = _official_forms(ctx, which)
    language = ctx["lang"]
    ctx.update(
        which=which, query=_query(ctx), export_query=_query(ctx, layout="official"),
        forms=[{**form.render(language), "block": official_forms.title_block(
            round=ctx["survey_round"], unit=ctx["unit"], decision=ctx["decision"], form=form, language=language)} for form in forms],
        signing=official_forms.signing_block(language),
    )
    return render(request, "reports/official.html", ctx)


def _official_export(request, ctx: dict, which: str, fmt: str):
    forms = _official_forms(ctx, which)
    language = _export_language(request)
    args = {"round": ctx["survey_round"], "unit": ctx["unit"], "decision": ctx["decision"], "language": language}
    if fmt == "csv":
        form = forms[1 if which == "flows" and request.GET.get("kind") == "near_poor" else 0]
        return _csv_response(official_forms.csv_table(form, **args), _filename(ctx, f"{which}-official", "csv"))
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    official_forms.write_workbook(forms, out=handle, **args)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=_filename(ctx, f"{which}-official", "xlsx"),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _official_links(ctx: dict) -> bool:
    """Whether the selection has an official layout to offer (approved numbers, own units, official standard)."""
    return ctx["status"] == "approved" and not ctx["structure"] and ctx["criteria_set"] is None


@report_access
@require_GET
def rates(request):
    ctx = _selection(request)
    if official_forms.parse_layout(request.GET.get("layout")):
        return _official_page(request, ctx, "rates")
    report = _rate_report(ctx)
    trend = reports.trend(unit=ctx["unit"], status=ctx["status"], decimals=ctx["decimals"])
    language = ctx["lang"]
    ctx.update(
        report=report, trend=trend, headers=[labels[language] for *_x, labels in RATE_COLUMNS],
        query=_query(ctx), child_links=report.level != ctx["unit"].level,
        chart_data=chart_data(report, trend), show_standards=True, maps=_report_maps(ctx, report),
        official=_official_links(ctx),
        low_income=None if ctx["structure"] else reports.low_income_workers(
            round=ctx["survey_round"], unit=ctx["unit"], status=ctx["status"], criteria_set=ctx["criteria_set"]
        ),
    )
    return render(request, "reports/rates.html", ctx)


@report_access
@require_GET
def rates_export(request, fmt: str):
    ctx = _selection(request)
    if official_forms.parse_layout(request.GET.get("layout")):
        return _official_export(request, ctx, "rates", fmt)
    ctx["report"] = _rate_report(ctx)
    table = rate_table(ctx, _export_language(request))
    if fmt == "csv":
        return _csv_response(table, _filename(ctx, "rates", "csv"))
    return _xlsx_response([table], _filename(ctx, "rates", "xlsx"))


# ---------------------------------------------------------------- flows


def _flow_data(ctx: dict) -> dict:
    r, unit = ctx["survey_round"], ctx["unit"]
    level = reports.child_level(unit)
    out = {}
    for kind in ("poor", "near_poor"):
        rows = flows_for(round=r, unit=unit, level=level, status=ctx["status"], kind=kind, structure=ctx["structure"])
        if unit.level == level:
            rows = [row for row in rows if row["unit_code"] == unit.code]
        total = flows_total(rows, unit=unit, kind=kind)
        for row in [*rows, total]:
            row["balanced"] = row["start"] - row["out_total"] + row["in_total"] == row["end"]
        out[kind] = {"rows": rows, "total": total, "fields": FLOW_FIELDS[kind]}
    return out


def flow_tables(ctx: dict, data: dict, language: str) -> list[excel.Table]:
    tables = []
    for kind in ("poor", "near_poor"):
        spec = [("unit_code", "text", 9, L("Mã", "Code")), ("unit_name", "text", 28, L("Đơn vị", "Unit"))]
        spec += [(f, "int", 12, FLOW_LABELS[f]) for f in data[kind]["fields"]]
        what = {"poor": L("Biến động hộ nghèo", "Poor household flows"), "near_poor": L("Biến động hộ cận nghèo", "Near-poor household flows")}[kind][language]
        title, subtitles = _title_lines(ctx, language, what)
        prev = ", ".join(p.code for p in ctx["survey_round"].previous_list())
        subtitles.insert(1, (f"Kỳ trước: {prev}" if language == "vi" else f"Previous rounds: {prev}") if prev else
                         ("Không có kỳ trước" if language == "vi" else "No previous round"))
        total = _row_values(data[kind]["total"], spec)
        total[0], total[1] = "", ("Tổng cộng" if language == "vi" else "Total")
        tables.append(excel.Table(
            sheet=what[:31], title=title, subtitles=subtitles, columns=columns(spec, language),
            rows=[_row_values(r, spec) for r in data[kind]["rows"]], total=total,
            notes=["Đầu kỳ − tổng giảm + tổng tăng = cuối kỳ." if language == "vi" else "Start − total out + total in = end.",
                   *_structure_notes(ctx, language)],
        ))
    return tables


@report_access
@require_GET
def flows(request):
    ctx = _selection(request)
    if official_forms.parse_layout(request.GET.get("layout")):
        return _official_page(request, ctx, "flows")
    data = _flow_data(ctx)
    language = ctx["lang"]
    for kind in data:
        data[kind]["headers"] = [FLOW_LABELS[f][language] for f in data[kind]["fields"]]
        for row in [*data[kind]["rows"], data[kind]["total"]]:
            row["values"] = [row[f] for f in data[kind]["fields"]]
    ctx.update(flows=data, query=_query(ctx), previous_rounds=ctx["survey_round"].previous_list(), official=_official_links(ctx))
    return render(request, "reports/flows.html", ctx)


@report_access
@require_GET
def flows_export(request, fmt: str):
    ctx = _selection(request)
    if official_forms.parse_layout(request.GET.get("layout")):
        return _official_export(request, ctx, "flows", fmt)
    tables = flow_tables(ctx, _flow_data(ctx), _export_language(request))
    if fmt == "csv":
        kind = 1 if request.GET.get("kind") == "near_poor" else 0
        return _csv_response(tables[kind], _filename(ctx, "flows", "csv"))
    return _xlsx_response(tables, _filename(ctx, "flows", "xlsx"))


# ---------------------------------------------------------------- deprivation and breakdowns


def _category_label(category: str, language: str) -> str:
    return cl.CATEGORY_LABELS[language][cl.Category(category)]


def deprivation_tables(ctx: dict, language: str) -> list[excel.Table]:
    table, rows = ctx["deprivation"], ctx["breakdowns"]
    title, subtitles = _title_lines(ctx, language, "Tình trạng thiếu hụt dịch vụ xã hội cơ bản" if language == "vi" else "Deprivation by indicator")
    dep = excel.Table(
        sheet="Thiếu hụt" if language == "vi" else "Deprivation", title=title, subtitles=subtitles,
        columns=columns(DEPRIVATION_COLUMNS, language), rows=[_row_values(r, DEPRIVATION_COLUMNS) for r in table.rows],
        notes=[(f"Số hộ nghèo: {table.poor_total}; số hộ cận nghèo: {table.near_poor_total}." if language == "vi"
                else f"Poor households: {table.poor_total}; near-poor households: {table.near_poor_total}.")],
    )
    title, subtitles = _title_lines(ctx, language, "Đặc điểm hộ nghèo, hộ cận nghèo" if language == "vi" else "Breakdowns of poor and near-poor households")
    brk_rows = []
    for r in rows:
        values = _row_values(r, BREAKDOWN_COLUMNS)
        values[0] = _category_label(r.category, language)
        brk_rows.append(values)
    brk = excel.Table(
        sheet="Đặc điểm" if language == "vi" else "Breakdowns", title=title, subtitles=subtitles,
        columns=columns(BREAKDOWN_COLUMNS, language), rows=brk_rows,
        notes=[minority_definition(language),
               "Theo thông tin thành viên lúc đánh giá." if language == "vi" else "From the member facts recorded at assessment."],
    )
    return [dep, brk]


def _deprivation_ctx(request) -> dict:
    ctx = _selection(request)
    args = {"round": ctx["survey_round"], "unit": ctx["unit"], "status": ctx["status"], "structure": ctx["structure"]}
    ctx["deprivation"] = reports.deprivation_table(**args, lang=ctx["lang"])
    ctx["breakdowns"] = reports.breakdowns(**args)
    ctx["minority_definition"] = MINORITY_DEFINITION
    return ctx


def minority_definition(language: str) -> str:
    """The one definition of an ethnic-minority household (households.ethnicity), in the export's language."""
    with translation.override(language):
        return str(MINORITY_DEFINITION)


@report_access
@require_GET
def deprivation(request):
    ctx = _deprivation_ctx(request)
    language = ctx["lang"]
    ctx.update(
        query=_query(ctx),
        dep_headers=[labels[language] for *_x, labels in DEPRIVATION_COLUMNS],
        brk_headers=[labels[language] for *_x, labels in BREAKDOWN_COLUMNS],
        brk_rows=[[_category_label(r.category, language), *_row_values(r, BREAKDOWN_COLUMNS)[1:]] for r in ctx["breakdowns"]],
    )
    return render(request, "reports/deprivation.html", ctx)


@report_access
@require_GET
def deprivation_export(request, fmt: str):
    ctx = _deprivation_ctx(request)
    tables = deprivation_tables(ctx, _export_language(request))
    if fmt == "csv":
        return _csv_response(tables[1 if request.GET.get("table") == "breakdowns" else 0], _filename(ctx, "deprivation", "csv"))
    return _xlsx_response(tables, _filename(ctx, "deprivation", "xlsx"))


# ---------------------------------------------------------------- household list export (personal data)


def household_rows(queryset, language: str):
    cats, groups = cl.CATEGORY_LABELS[language], cl.GROUP_LABELS[language]
    values = queryset.order_by("commune__code", "household__code").values_list(
        "household__code", "commune__code", "commune__name", "hamlet__name", "household__head_name", "household__address",
        "category", "group", "income_per_capita", "score_a", "score_b", "deprived_count", "member_count", "able_to_work_count",
    )
    for row in values.iterator(chunk_size=5000):
        row = list(row)
        row[6] = cats[cl.Category(row[6])]
        row[7] = groups[cl.Group(row[7])] if row[7] else ""
        yield row


def _household_filterset(user, query) -> tuple[SurveyRound, AssessmentFilterSet]:
    """The round and the validated filters of a household list export, scoped to what `user` may see."""
    if not communes_visible_to(user).exists():
        raise PermissionDenied(_("Your account has no access to household data."))
    survey_round = get_object_or_404(SurveyRound.objects.select_related("criteria_set", "province"), code=query.get("round", ""))
    data = query.copy()
    data.pop("status", None)
    filterset = AssessmentFilterSet(data=data, queryset=Assessment.objects.visible_to(user).filter(round=survey_round), user=user)
    if not filterset.is_valid():
        raise ValidationError({field: list(errors) for field, errors in filterset.errors.items()})
    return survey_round, filterset


def _household_table(*, user, survey_round, filterset, query, language: str, fmt: str) -> tuple[excel.Table, str]:
    """The filtered households as a table, audited as an export; and the file's name."""
    ctx = {"survey_round": survey_round, "unit": reports.unit_in_round(survey_round, query.get("unit")), "status": "all"}
    title, subtitles = _title_lines(ctx, language, "Danh sách hộ" if language == "vi" else "Household list")
    filters = {k: v for k, v in query.items() if v and k not in ("lang",)}
    audit(actor=user, action="export.household_list", target=survey_round, reason=fmt, changes={"filters": [None, filters]})
    table = excel.Table(
        sheet="Danh sách hộ" if language == "vi" else "Households", title=title, subtitles=subtitles,
        columns=columns(HOUSEHOLD_COLUMNS, language), rows=household_rows(filterset.qs, language),
    )
    return table, f"households-{survey_round.code}-{ctx['unit'].code}.{fmt}"


def household_export_table(*, user, query, language: str, fmt: str) -> tuple[excel.Table, str, int]:
    """The round's assessed households filtered by `query` (like the lists) and scoped to what `user` may see, as a
    table; audited as an export. Returns (table, file name, rows): what the export job writes."""
    survey_round, filterset = _household_filterset(user, query)
    rows = filterset.qs.count()
    table, name = _household_table(user=user, survey_round=survey_round, filterset=filterset, query=query, language=language, fmt=fmt)
    return table, name, rows


@login_required
@require_GET
def households_export(request, fmt: str):
    """The round's assessed households (filtered like the lists), scoped to what the user may see; audited. A list
    longer than POVREG_EXPORT_INLINE_ROWS is written by a background job (surveys.export_jobs) and downloaded from
    "My jobs", so no request is held open for minutes."""
    language = _export_language(request)
    survey_round, filterset = _household_filterset(request.user, request.GET)
    if filterset.qs.count() > settings.POVREG_EXPORT_INLINE_ROWS:
        from core.jobs import job_start

        job = job_start(
            owner=request.user, kind="export",
            label=_("Household list %(round)s (%(fmt)s)") % {"round": survey_round.code, "fmt": fmt.upper()},
            params={"round": survey_round.code, "query": {k: request.GET.getlist(k) for k in request.GET},
                    "fmt": fmt, "exported_language": language},
        )
        messages.info(request, _("The list is long: it is being written in the background. Download it from My jobs when it is done."))
        return redirect(f"{reverse('jobs')}#job-{job.pk}")
    table, name = _household_table(user=request.user, survey_round=survey_round, filterset=filterset, query=request.GET,
                                   language=language, fmt=fmt)
    if fmt == "csv":
        return _csv_response(table, name)
    return _xlsx_response([table], name)


# ---------------------------------------------------------------- what-if simulation


def staff_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not reports.can_see_all(request.user):
            raise PermissionDenied(_("Only department staff can run simulations."))
        return view(request, *args, **kwargs)

    return wrapper


def _compared(official, draft) -> tuple:
    """(official, draft, difference) for one cell of the comparison: the difference is draft − official, signed,
    for counts and for rates (strings such as "9.80"); None when either side has no value."""
    import decimal

    if official in (None, "") or draft in (None, ""):
        return official, draft, None
    difference = decimal.Decimal(str(draft)) - decimal.Decimal(str(official))
    return official, draft, difference


@staff_only
def simulation(request):
    drafts = list(CriteriaSet.objects.filter(is_official=False).order_by("code"))
    officials = list(CriteriaSet.objects.filter(is_official=True).order_by("code"))
    rounds = [
        r for r in SurveyRound.objects.select_related("criteria_set", "province").order_by("-year", "code")
        if reports.can_see_live(request.user, r)
    ]
    ctx = {"drafts": drafts, "officials": officials, "rounds": rounds, "result": None, "copy_errors": {}}
    if request.method == "POST":
        source = next((c for c in officials if c.code == request.POST.get("source")), None)
        try:
            if source is None:
                raise ValidationError({"source": _("Choose an official criteria set to copy.")})
            draft = criteria_set_copy_as_draft(actor=request.user, source=source, code=request.POST.get("code", ""))
        except ValidationError as exc:
            ctx["copy_errors"] = exc.message_dict
        else:
            messages.success(request, _("Draft %(code)s created: edit its lines and rules in the admin, then simulate.") % {"code": draft.code})
            return redirect(reverse("reports:simulation") + "?" + urlencode({"draft": draft.code}))
    draft = next((d for d in drafts if d.code == request.GET.get("draft")), None)
    survey_round = next((r for r in rounds if r.code == request.GET.get("round")), None)
    ctx.update(selected_draft=draft, selected_round=survey_round or (rounds[0] if rounds else None))
    if draft is not None and survey_round is not None:
        if not reports.can_see_live(request.user, survey_round):
            raise PermissionDenied(_("Only the province's department staff can simulate on its round."))
        unit = reports.unit_in_round(survey_round, request.GET.get("unit"))
        level = reports.child_level(unit)
        result = simulate(actor=request.user, round=survey_round, draft=draft, unit=unit, level=level)
        language = lang()
        keys = [key for key, *_x in RATE_COLUMNS[2:11]]
        ctx.update(
            result=result, unit=unit, headers=[labels[language] for *_x, labels in RATE_COLUMNS[2:11]],
            compare_rows=[
                (o.unit_name, [_compared(getattr(o, key), getattr(d, key)) for key in keys], False)
                for o, d in zip(result.official, result.draft_rows, strict=True)
            ] + [(_("Total"), [_compared(getattr(result.official_total, key), getattr(result.draft_total, key)) for key in keys], True)],
            transitions=sorted(((_category_label(a, language), _category_label(b, language), n) for (a, b), n in result.transitions.items()), key=lambda t: -t[2]),
            admin_url=reverse("admin:surveys_criteriaset_change", args=[draft.pk]),
        )
    return render(request, "reports/simulation.html", ctx)


@report_access
@require_GET
def index(request):
    return redirect("reports:rates")
