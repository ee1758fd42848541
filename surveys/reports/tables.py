"""The reports' tables: column specs in both languages and the builders of the rate, flow, deprivation and household
tables, shared by the report pages, their Excel/CSV exports, the `export_report` command and the export jobs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.audit import audit_export
from households.ethnicity import MINORITY_DEFINITION
from households.models import communes_visible_to
from surveys import classification as cl
from surveys import excel
from surveys.filters import AssessmentFilterSet
from surveys.models import Assessment, SurveyRound
from surveys.reports import rates
from surveys.reports.flows import FLOW_FIELDS, flows_for, flows_total


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


STATUS_LABELS = {
    "approved": L("số liệu đã phê duyệt", "approved lists only"),
    "all": L("tất cả số liệu (chưa phê duyệt)", "all data (not yet approved)"),
}


def columns(spec, language: str) -> list[excel.Column]:
    return [excel.Column(key, labels[language], kind, width) for key, kind, width, labels in spec]


def title_lines(ctx: dict, language: str, what: str) -> tuple[str, list[str]]:
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


def row_values(obj, spec) -> list:
    get = obj.get if isinstance(obj, dict) else lambda k: getattr(obj, k)
    return [get(key) for key, *_rest in spec]


def structure_notes(ctx: dict, language: str) -> list[str]:
    if not ctx.get("structure"):
        return []
    if language == "vi":
        return [
            "Kỳ rà soát trước 01/7/2025 được trình bày theo đơn vị hành chính hiện nay: mỗi hộ được tính vào xã/phường "
            "mà hộ được chuyển đến khi sắp xếp lại; tổng số hộ dân cư của xã cũ bị chia tách được phân bổ theo tỷ lệ số hộ."
        ]
    return [
        "A round before 1 July 2025 shown in today's units: each household counts in the commune it was re-homed to; "
        "a split commune's total households are shared out in proportion to its households."
    ]


def rate_table(ctx: dict, language: str) -> excel.Table:
    report = ctx["report"]
    title, subtitles = title_lines(
        ctx, language, "Báo cáo kết quả rà soát hộ nghèo, hộ cận nghèo" if language == "vi" else "Poor and near-poor households"
    )
    total = row_values(report.total, RATE_COLUMNS)
    total[0], total[1] = "", ("Tổng cộng" if language == "vi" else "Total")
    covered = rates.coverage_text(report.total, language, approved=ctx["status"] == "approved")
    if covered:
        subtitles = [*subtitles, covered.upper() if language == "vi" else covered]
    if ctx.get("decision"):
        d = ctx["decision"]
        subtitles = [
            *subtitles,
            f"Theo Quyết định số {d.number} ngày {d.date:%d/%m/%Y}"
            if language == "vi"
            else f"As approved by Decision No. {d.number} of {d.date:%d/%m/%Y}",
        ]
    return excel.Table(
        sheet="Tỷ lệ" if language == "vi" else "Rates",
        title=title,
        subtitles=subtitles,
        columns=columns(RATE_COLUMNS, language),
        rows=(row_values(r, RATE_COLUMNS) for r in report.rows),
        total=total,
        notes=[
            f"Tỷ lệ = số hộ / tổng số hộ dân cư × 100 (tỷ lệ nhân khẩu = số nhân khẩu / tổng số nhân khẩu × 100), "
            f"làm tròn {report.decimals} chữ số thập phân (làm tròn lên từ 5)."
            if language == "vi"
            else "Rate = households / total households × 100 (persons rate = persons / total persons × 100), "
            f"{report.decimals} decimals, rounded half up.",
            *structure_notes(ctx, language),
        ],
    )


def flow_data(ctx: dict) -> dict:
    r, unit = ctx["survey_round"], ctx["unit"]
    level = rates.child_level(unit)
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
        what = {
            "poor": L("Biến động hộ nghèo", "Poor household flows"),
            "near_poor": L("Biến động hộ cận nghèo", "Near-poor household flows"),
        }[kind][language]
        title, subtitles = title_lines(ctx, language, what)
        prev = ", ".join(p.code for p in ctx["survey_round"].previous_list())
        subtitles.insert(
            1,
            (f"Kỳ trước: {prev}" if language == "vi" else f"Previous rounds: {prev}")
            if prev
            else ("Không có kỳ trước" if language == "vi" else "No previous round"),
        )
        total = row_values(data[kind]["total"], spec)
        total[0], total[1] = "", ("Tổng cộng" if language == "vi" else "Total")
        tables.append(
            excel.Table(
                sheet=what[:31],
                title=title,
                subtitles=subtitles,
                columns=columns(spec, language),
                rows=[row_values(r, spec) for r in data[kind]["rows"]],
                total=total,
                notes=[
                    "Đầu kỳ − tổng giảm + tổng tăng = cuối kỳ." if language == "vi" else "Start − total out + total in = end.",
                    *structure_notes(ctx, language),
                ],
            )
        )
    return tables


def category_label(category: str, language: str) -> str:
    return cl.CATEGORY_LABELS[language][cl.Category(category)]


def deprivation_tables(ctx: dict, language: str) -> list[excel.Table]:
    table, rows = ctx["deprivation"], ctx["breakdowns"]
    title, subtitles = title_lines(
        ctx, language, "Tình trạng thiếu hụt dịch vụ xã hội cơ bản" if language == "vi" else "Deprivation by indicator"
    )
    dep = excel.Table(
        sheet="Thiếu hụt" if language == "vi" else "Deprivation",
        title=title,
        subtitles=subtitles,
        columns=columns(DEPRIVATION_COLUMNS, language),
        rows=[row_values(r, DEPRIVATION_COLUMNS) for r in table.rows],
        notes=[
            (
                f"Số hộ nghèo: {table.poor_total}; số hộ cận nghèo: {table.near_poor_total}."
                if language == "vi"
                else f"Poor households: {table.poor_total}; near-poor households: {table.near_poor_total}."
            )
        ],
    )
    title, subtitles = title_lines(
        ctx, language, "Đặc điểm hộ nghèo, hộ cận nghèo" if language == "vi" else "Breakdowns of poor and near-poor households"
    )
    brk_rows = []
    for r in rows:
        values = row_values(r, BREAKDOWN_COLUMNS)
        values[0] = category_label(r.category, language)
        brk_rows.append(values)
    brk = excel.Table(
        sheet="Đặc điểm" if language == "vi" else "Breakdowns",
        title=title,
        subtitles=subtitles,
        columns=columns(BREAKDOWN_COLUMNS, language),
        rows=brk_rows,
        notes=[
            minority_definition(language),
            "Theo thông tin thành viên lúc đánh giá." if language == "vi" else "From the member facts recorded at assessment.",
        ],
    )
    return [dep, brk]


def minority_definition(language: str) -> str:
    """The one definition of an ethnic-minority household (households.ethnicity), in the export's language."""
    with translation.override(language):
        return str(MINORITY_DEFINITION)


def household_rows(queryset, language: str):
    cats, groups = cl.CATEGORY_LABELS[language], cl.GROUP_LABELS[language]
    values = queryset.order_by("commune__code", "household__code").values_list(
        "household__code",
        "commune__code",
        "commune__name",
        "hamlet__name",
        "household__head_name",
        "household__address",
        "category",
        "group",
        "income_per_capita",
        "score_a",
        "score_b",
        "deprived_count",
        "member_count",
        "able_to_work_count",
    )
    for row in values.iterator(chunk_size=5000):
        row = list(row)
        row[6] = cats[cl.Category(row[6])]
        row[7] = groups[cl.Group(row[7])] if row[7] else ""
        yield row


def household_filterset(user, query) -> tuple[SurveyRound, AssessmentFilterSet]:
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


def household_table(*, user, survey_round, filterset, query, language: str, fmt: str) -> tuple[excel.Table, str]:
    """The filtered households as a table, audited as an export; and the file's name."""
    ctx = {"survey_round": survey_round, "unit": rates.unit_in_round(survey_round, query.get("unit")), "status": "all"}
    title, subtitles = title_lines(ctx, language, "Danh sách hộ" if language == "vi" else "Household list")
    filters = {k: v for k, v in query.items() if v and k not in ("lang",)}
    audit_export(actor=user, what="household_list", target=survey_round, count=None, fmt=fmt, filters=filters)
    table = excel.Table(
        sheet="Danh sách hộ" if language == "vi" else "Households",
        title=title,
        subtitles=subtitles,
        columns=columns(HOUSEHOLD_COLUMNS, language),
        rows=household_rows(filterset.qs, language),
    )
    return table, f"households-{survey_round.code}-{ctx['unit'].code}.{fmt}"


def household_export_table(*, user, query, language: str, fmt: str) -> tuple[excel.Table, str, int]:
    """The round's assessed households filtered by `query` (like the lists) and scoped to what `user` may see, as a
    table; audited as an export. Returns (table, file name, rows): what the export job writes."""
    survey_round, filterset = household_filterset(user, query)
    rows = filterset.qs.count()
    table, name = household_table(
        user=user, survey_round=survey_round, filterset=filterset, query=query, language=language, fmt=fmt
    )
    return table, name, rows
