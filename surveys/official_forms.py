"""The official layout of the rate and flow reports (`layout=official`): the shape of the forms a department
sends to the Ministry (LAW.md "Report columns": the pattern of Circular 07/2021's annex VII forms).

Rows: section I urban, section II rural, then the total; within each section the report's units (districts
under a legacy province, else communes), each counting only its communes of that area type. A commune's area
type is the one it has in the round (`surveys.services.areas_in_round`: RoundArea, else the unit's).
Columns: households, and "of which ethnic-minority households" (trong đó hộ DTTS), read from the flag frozen on
each approved entry (`ListEntry.head_ethnic_minority`; the flag's definition lives where the entry is frozen).
Numbers: the frozen entries of each commune's latest approved list (`ListEntry.objects.approved`), the
denominators frozen with the list, and the flows of `surveys.flows.flows_for` at commune level (its `start`
is the previous round's approved entries: the figure of the previous provincial decision). The flows' own
fields are mapped to the form's columns here and the mapping is written in the form's notes.

Each form renders to the page (`OfficialForm.render`) and to a workbook (`write_workbook`): a title block
(issuer, national motto, title, "Kèm theo Quyết định số … ngày …"), two header rows, numbered columns, the
rows, numbered notes and the signing block, set up for A4 landscape. Form text is bilingual data like the
exports' column labels (`views_reports.L`), so an export reads the same whatever the server's catalogue.
Approved numbers only, in the round's own units, under its official standard; anything else is refused
naming `layout`.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from households.models import AdminUnit, AreaType, Level
from surveys.flows import flows_for
from surveys.models import Category, ListEntry, SurveyRound
from surveys.selectors import approved_commune_counts, rate, report_unit_of

LAYOUTS = ("official",)
SECTIONS = ((AreaType.URBAN, "I"), (AreaType.RURAL, "II"))


def L(vi: str, en: str) -> dict[str, str]:  # noqa: N802 (a text in both languages)
    return {"vi": vi, "en": en}


SECTION_NAMES = {AreaType.URBAN: L("Thành thị", "Urban"), AreaType.RURAL: L("Nông thôn", "Rural")}
TOTAL_NAME = L("Tổng cộng", "Total")
NUMBER_LABEL, CODE_LABEL, UNIT_LABEL = L("TT", "No."), L("Mã", "Code"), L("Đơn vị", "Unit")


def parse_layout(value) -> str | None:
    """The `layout` parameter: empty for the ordinary report, or "official"; anything else is a 400 naming it."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text not in LAYOUTS:
        raise ValidationError({"layout": _("layout is official, or empty for the ordinary report.")})
    return text


def check_official(*, status: str, structure: str | None, criteria_set) -> None:
    """The official layout is of approved numbers, in the round's own units, under its official standard."""
    if status != "approved":
        raise ValidationError({"layout": _("The official layout shows approved numbers only (status=approved).")})
    if structure:
        raise ValidationError({"layout": _("The official layout reads a round in its own units (no structure).")})
    if criteria_set is not None:
        raise ValidationError({"layout": _("The official layout is of the round's official standard (no criteria).")})


# ---------------------------------------------------------------- the numbers, per commune


@dataclass
class OfficialData:
    round: SurveyRound
    unit: AdminUnit
    level: str
    communes: list[AdminUnit]
    areas: dict[int, str]
    values: dict[int, dict[str, int]]  # commune id → counts (see `official_data`)
    included: set[int]  # communes with an approved list
    previous: list[tuple[SurveyRound, object]]  # previous rounds, each with its decision (or None)


def _flow_values(row: dict, kind: str) -> dict[str, int]:
    """A flows_for row mapped to the form's columns (the mapping the notes state)."""
    if kind == "poor":
        return {
            "poor_start": row["start"],
            "poor_escaped": row["escaped_to_near_poor"] + row["escaped_above_near_poor"],
            "poor_other_out": row["other_out"],
            "poor_re": row["re_poor"],
            "poor_new": row["newly_poor"] + row["near_poor_to_poor"],
            "poor_new_from_other": row["near_poor_to_poor"],
            "poor_other_in": row["other_in"],
            "poor_end": row["end"],
        }
    return {
        "near_poor_start": row["start"],
        "near_poor_escaped": row["escaped_above_near_poor"],
        "near_poor_to_poor": row["near_poor_to_poor"],
        "near_poor_other_out": row["other_out"],
        "near_poor_re": row["re_near_poor"],
        "near_poor_new": row["newly_near_poor"] + row["poor_to_near_poor"],
        "near_poor_new_from_other": row["poor_to_near_poor"],
        "near_poor_other_in": row["other_in"],
        "near_poor_end": row["end"],
    }


def official_data(*, round: SurveyRound, unit: AdminUnit, level: str) -> OfficialData:
    """Per commune under `unit`: total households (frozen with the approved list), poor and near-poor households
    and those of them with an ethnic-minority head (approved entries), and the flows of both kinds mapped to the
    form's columns. A fixed number of queries, whatever the number of communes or households."""
    from surveys.approval import round_decision
    from surveys.services import areas_in_round

    communes = list(AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).select_related("parent").order_by("code"))
    ids = [c.pk for c in communes]
    areas = areas_in_round(round=round, commune_ids=ids)
    frozen = approved_commune_counts(round=round, commune_ids=ids)
    values: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cid, row in frozen.items():
        values[cid]["total_households"] = row["total_households"]
    poor, near = Q(category=Category.POOR), Q(category=Category.NEAR_POOR)
    em = Q(head_ethnic_minority=True)
    for row in (
        ListEntry.objects.approved(round_ids=[round.pk]).filter(commune_id__in=ids, category__in=[Category.POOR, Category.NEAR_POOR])
        .values("commune_id")
        .annotate(poor=Count("id", filter=poor), poor_em=Count("id", filter=poor & em),
                  near_poor=Count("id", filter=near), near_poor_em=Count("id", filter=near & em))
        .order_by()
    ):
        values[row.pop("commune_id")].update(row)
    by_code = {c.code: c.pk for c in communes}
    for kind in ("poor", "near_poor"):
        for row in flows_for(round=round, unit=unit, level=Level.COMMUNE, status="approved", kind=kind):
            if row["unit_code"] in by_code:
                values[by_code[row["unit_code"]]].update(_flow_values(row, kind))
    previous = [(r, round_decision(r)) for r in round.previous_list()]
    return OfficialData(
        round=round, unit=unit, level=level, communes=communes, areas=areas,
        values={cid: dict(v) for cid, v in values.items()}, included=set(frozen), previous=previous,
    )


# ---------------------------------------------------------------- forms: columns, lines, notes


@dataclass(frozen=True)
class FormColumn:
    key: str
    label: dict
    kind: str = "int"  # int | rate
    width: float = 10
    group: dict | None = None
    note: int | None = None  # the number of the note that defines it
    ratio: tuple[str, str] | None = None  # a rate: (numerator key, denominator key)


@dataclass
class FormLine:
    kind: str  # section | unit | total
    number: str
    code: str
    name: dict | str
    counts: dict[str, int]
    communes: int = 0
    communes_included: int = 0
    area: str = ""  # urban | rural (sections and their units); "" for the total


@dataclass
class OfficialForm:
    key: str  # rates | flows-poor | flows-near_poor
    sheet: dict
    title: dict
    columns: list[FormColumn]
    lines: list[FormLine]
    notes: list[dict]  # numbered notes (the columns' `note` points here, 1-based)
    remarks: list[dict]  # unnumbered notes
    balance: tuple[str, tuple[str, ...], tuple[str, ...], str] | None = None  # start, outs, ins, end keys
    decimals: int = 2

    def value(self, line: FormLine, column: FormColumn):
        if column.ratio:
            numerator, denominator = column.ratio
            return rate(line.counts.get(numerator, 0), line.counts.get(denominator, 0), self.decimals)
        return line.counts.get(column.key, 0)

    def balanced(self, line: FormLine) -> bool:
        if self.balance is None:
            return True
        start, outs, ins, end = self.balance
        c = line.counts
        return c.get(start, 0) - sum(c.get(k, 0) for k in outs) + sum(c.get(k, 0) for k in ins) == c.get(end, 0)

    def line_values(self, line: FormLine) -> list:
        return [self.value(line, column) for column in self.columns]

    def header_label(self, column: FormColumn, language: str) -> str:
        return column.label[language] + (f" ({column.note})" if column.note else "")

    def render(self, language: str) -> dict:
        """Plain data for a template: two header rows, the column numbers, the lines with their values."""
        top, sub = [], []
        index = 0
        while index < len(self.columns):
            column = self.columns[index]
            if column.group is None:
                top.append({"label": self.header_label(column, language), "colspan": 1, "rowspan": 2})
                index += 1
                continue
            end = index
            while end < len(self.columns) and self.columns[end].group == column.group:
                end += 1
            span = self.columns[index:end]
            top.append({"label": column.group[language], "colspan": len(span), "rowspan": 1})
            sub += [{"label": self.header_label(c, language)} for c in span]
            index += len(span)
        lines = []
        for line in self.lines:
            name = line.name[language] if isinstance(line.name, dict) else line.name
            cells = [{"key": c.key, "kind": c.kind, "value": self.value(line, c)} for c in self.columns]
            lines.append({"kind": line.kind, "number": line.number, "code": line.code, "name": name, "cells": cells,
                          "balanced": self.balanced(line), "area": line.area})
        return {
            "key": self.key, "title": self.title[language], "top": top, "sub": sub, "lines": lines,
            "numbers": [str(i) for i in range(1, len(self.columns) + 1)],
            "notes": [n[language] for n in self.notes], "remarks": [n[language] for n in self.remarks],
            "total": self.lines[-1], "number_label": NUMBER_LABEL[language], "unit_label": UNIT_LABEL[language],
        }


def _sum(target: dict[str, int], source: dict[str, int]) -> None:
    for key, value in source.items():
        target[key] = target.get(key, 0) + value


def form_lines(data: OfficialData) -> list[FormLine]:
    """I urban (its units), II rural (its units), total. A unit appears in a section when it has communes of that
    area type, and counts only those; the sections add up to the total."""
    lines: list[FormLine] = []
    total = FormLine(kind="total", number="", code="", name=TOTAL_NAME, counts={})
    for area, numeral in SECTIONS:
        section = FormLine(kind="section", number=numeral, code="", name=SECTION_NAMES[area], counts={}, area=area)
        units: dict[int, FormLine] = {}
        order: list[AdminUnit] = []
        for commune in data.communes:
            if data.areas.get(commune.pk) != area:
                continue
            key = report_unit_of(commune, unit=data.unit, level=data.level)
            if key.pk not in units:
                units[key.pk] = FormLine(kind="unit", number="", code=key.code, name=key.name, counts={}, area=area)
                order.append(key)
            line = units[key.pk]
            line.communes += 1
            if commune.pk in data.included:
                line.communes_included += 1
                _sum(line.counts, data.values.get(commune.pk, {}))
        lines.append(section)
        for n, key in enumerate(sorted(order, key=lambda u: u.code), start=1):
            line = units[key.pk]
            line.number = str(n)
            _sum(section.counts, line.counts)
            section.communes += line.communes
            section.communes_included += line.communes_included
            lines.append(line)
        _sum(total.counts, section.counts)
        total.communes += section.communes
        total.communes_included += section.communes_included
    lines.append(total)
    return lines


def _previous_text(data: OfficialData, language: str) -> str:
    parts = []
    for survey_round, decision in data.previous:
        if decision is not None:
            parts.append(f"{survey_round.code}, Quyết định số {decision.number} ngày {decision.date:%d/%m/%Y}" if language == "vi"
                         else f"{survey_round.code}, Decision No. {decision.number} of {decision.date:%d/%m/%Y}")
        else:
            parts.append(f"{survey_round.code}, chưa ghi quyết định phê duyệt" if language == "vi"
                         else f"{survey_round.code}, no approval decision recorded")
    return "; ".join(parts)


def _start_note(data: OfficialData) -> dict:
    if not data.previous:
        return L("Đầu kỳ: kỳ rà soát này không có kỳ trước, nên đầu kỳ bằng 0 và mọi hộ được tính là phát sinh.",
                 "Start: this round has no previous round, so the start is 0 and every household counts as new.")
    return L(
        f"Đầu kỳ: hộ trong danh sách đã phê duyệt của kỳ trước ({_previous_text(data, 'vi')}), tính theo xã của kỳ này, "
        "chỉ cho các xã đã có danh sách phê duyệt kỳ này. Tỷ lệ đầu kỳ không ghi ở đây vì mẫu số là tổng số hộ của kỳ trước "
        "(xem báo cáo của kỳ trước).",
        f"Start: households on the previous round's approved lists ({_previous_text(data, 'en')}), placed in this round's "
        "communes, for the communes whose list is approved in this round. The start rate is not shown here: its "
        "denominator is the previous round's total households (see that round's report).",
    )


def _em_note() -> dict:
    """What "of which DTTS" counts: the one definition (households.ethnicity), read from the approved entries' flag."""
    from django.utils import translation

    from households.ethnicity import MINORITY_DEFINITION

    definition = {}
    for language in ("vi", "en"):
        with translation.override(language):
            definition[language] = str(MINORITY_DEFINITION)
    return L(
        f"Trong đó hộ DTTS: {definition['vi']} Đếm theo cờ ghi trên danh sách đã phê duyệt (từ thông tin thành viên lúc "
        "đánh giá). Cột này có trên biểu mẫu (đã xác minh); định nghĩa hộ DTTS chưa được xác minh trong văn bản pháp luật.",
        f"Of which ethnic-minority households: {definition['en']} Counted from the flag frozen on the approved list (from "
        "the member facts at assessment). The column is on the form (confirmed); the definition of an ethnic-minority "
        "household is not verified in a legal text.",
    )


def _common_remarks(data: OfficialData, decimals: int) -> list[dict]:
    from surveys import reports

    total = FormLine(kind="total", number="", code="", name="", counts={},
                     communes=len(data.communes), communes_included=len(data.included & {c.pk for c in data.communes}))
    remarks = [
        L("Thành thị, nông thôn: loại địa bàn của xã trong kỳ rà soát (phường, thị trấn: thành thị; xã: nông thôn), "
          "như đã ghi cho kỳ.",
          "Urban, rural: the commune's area type in the round (wards and townships urban, communes rural), as recorded "
          "for the round."),
        L("Số liệu: danh sách đã phê duyệt của từng xã (bản phê duyệt mới nhất), giữ nguyên từ lúc phê duyệt; tổng số hộ "
          "dân cư là số ghi cùng danh sách.",
          "Numbers: each commune's approved list (its latest approved revision), frozen at approval; total households "
          "are those recorded with the list."),
        L(f"Tỷ lệ = số hộ ÷ tổng số hộ dân cư × 100, {decimals} chữ số thập phân, làm tròn nửa lên.",
          f"Rate = households ÷ total households × 100, {decimals} decimals, rounded half up."),
        L("Mẫu biểu theo khuôn các biểu tổng hợp của Thông tư 07/2021/TT-BLĐTBXH (phụ lục VII): chưa đối chiếu từng cột "
          "với văn bản gốc.",
          "The layout follows the pattern of Circular 07/2021/TT-BLĐTBXH's summary forms (annex VII): not checked column "
          "by column against the original."),
    ]
    coverage_vi = reports.coverage_text(total, "vi", approved=True)
    if coverage_vi:
        remarks.insert(0, L(coverage_vi.upper(), reports.coverage_text(total, "en", approved=True)))
    return remarks


HH = L("Số hộ", "Households")
RATE = L("Tỷ lệ (%)", "Rate (%)")
EM = L("Trong đó hộ DTTS", "Of which ethnic-minority households")


def rates_form(data: OfficialData, *, decimals: int = 2) -> OfficialForm:
    poor, near = L("Hộ nghèo", "Poor households"), L("Hộ cận nghèo", "Near-poor households")
    columns = [
        FormColumn("total_households", L("Tổng số hộ dân cư", "Total households"), width=12),
        FormColumn("poor_start", L("Đầu kỳ", "Start"), group=poor, note=1),
        FormColumn("poor", L("Cuối kỳ", "End"), group=poor),
        FormColumn("poor_rate", RATE, kind="rate", group=poor, ratio=("poor", "total_households")),
        FormColumn("poor_em", EM, group=poor, note=2, width=12),
        FormColumn("near_poor_start", L("Đầu kỳ", "Start"), group=near, note=1),
        FormColumn("near_poor", L("Cuối kỳ", "End"), group=near),
        FormColumn("near_poor_rate", RATE, kind="rate", group=near, ratio=("near_poor", "total_households")),
        FormColumn("near_poor_em", EM, group=near, note=2, width=12),
    ]
    return OfficialForm(
        key="rates", sheet=L("Kết quả rà soát", "Review result"),
        title=L(f"KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {data.round.year}",
                f"RESULT OF THE REVIEW OF POOR AND NEAR-POOR HOUSEHOLDS, {data.round.year}"),
        columns=columns, lines=form_lines(data), notes=[_start_note(data), _em_note()],
        remarks=_common_remarks(data, decimals), decimals=decimals,
    )


def flows_forms(data: OfficialData, *, decimals: int = 2) -> list[OfficialForm]:
    out, into, end = L("Giảm trong kỳ", "Out during the period"), L("Tăng trong kỳ", "In during the period"), L("Cuối kỳ", "End")
    other_out = L("Giảm khác (chuyển đi, …)", "Other out (moved away, …)")
    other_in = L("Tăng khác (chuyển đến, …)", "Other in (moved in, …)")
    moves = L(
        "Giảm khác, tăng khác: hộ chuyển đi hoặc chuyển đến xã khác, nhập, tách, giải thể hoặc không được rà soát lại. "
        "Ghi riêng ở các cột này, không gộp vào thoát nghèo, tái nghèo hay phát sinh.",
        "Other out, other in: households that moved to or from another commune, merged, split, dissolved or were not "
        "reassessed. Shown apart in these columns, never folded into escaped, re-poor or newly poor.",
    )
    poor_columns = [
        FormColumn("total_households", L("Tổng số hộ dân cư", "Total households"), width=12),
        FormColumn("poor_start", L("Số hộ nghèo đầu kỳ", "Poor at the start"), note=1, width=11),
        FormColumn("poor_escaped", L("Thoát nghèo", "Escaped poverty"), group=out, note=3),
        FormColumn("poor_other_out", other_out, group=out, note=4),
        FormColumn("poor_re", L("Tái nghèo", "Re-poor"), group=into, note=5),
        FormColumn("poor_new", L("Phát sinh mới", "Newly poor"), group=into, note=5),
        FormColumn("poor_new_from_other", L("trong đó: từ hộ cận nghèo", "of which: from near-poor"), group=into),
        FormColumn("poor_other_in", other_in, group=into, note=4),
        FormColumn("poor_end", HH, group=end),
        FormColumn("poor_end_rate", RATE, kind="rate", group=end, ratio=("poor_end", "total_households")),
        FormColumn("poor_em", EM, group=end, note=2, width=12),
    ]
    near_columns = [
        FormColumn("total_households", L("Tổng số hộ dân cư", "Total households"), width=12),
        FormColumn("near_poor_start", L("Số hộ cận nghèo đầu kỳ", "Near-poor at the start"), note=1, width=11),
        FormColumn("near_poor_escaped", L("Thoát cận nghèo", "Escaped near-poverty"), group=out, note=3),
        FormColumn("near_poor_to_poor", L("Trở thành hộ nghèo", "Became poor"), group=out, note=3),
        FormColumn("near_poor_other_out", other_out, group=out, note=4),
        FormColumn("near_poor_re", L("Tái cận nghèo", "Re-near-poor"), group=into, note=5),
        FormColumn("near_poor_new", L("Phát sinh mới", "Newly near-poor"), group=into, note=5),
        FormColumn("near_poor_new_from_other", L("trong đó: từ hộ nghèo", "of which: from poor"), group=into),
        FormColumn("near_poor_other_in", other_in, group=into, note=4),
        FormColumn("near_poor_end", HH, group=end),
        FormColumn("near_poor_end_rate", RATE, kind="rate", group=end, ratio=("near_poor_end", "total_households")),
        FormColumn("near_poor_em", EM, group=end, note=2, width=12),
    ]
    balance = L("Đầu kỳ − giảm + tăng = cuối kỳ (cột \"trong đó\" đã nằm trong cột phát sinh mới).",
                "Start − out + in = end (the \"of which\" column is part of the newly-entered column).")
    lines = form_lines(data)
    year = data.round.year
    return [
        OfficialForm(
            key="flows-poor", sheet=L("Biến động hộ nghèo", "Poor flows"),
            title=L(f"BIẾN ĐỘNG HỘ NGHÈO NĂM {year}", f"CHANGES IN POOR HOUSEHOLDS, {year}"),
            columns=poor_columns, lines=lines,
            notes=[
                _start_note(data), _em_note(),
                L("Thoát nghèo = hộ nghèo đầu kỳ nay là hộ cận nghèo + hộ nghèo đầu kỳ nay trên chuẩn cận nghèo.",
                  "Escaped = poor at the start now near-poor + poor at the start now above the near-poor line."),
                moves,
                L("Tái nghèo: hộ không nghèo ở kỳ trước nhưng là hộ nghèo ở một kỳ trước đó. Phát sinh mới: hộ chưa từng nghèo "
                  "trong các kỳ đã có, cộng hộ cận nghèo kỳ trước nay là hộ nghèo (ghi lại ở cột \"trong đó\"). Chưa xác minh: "
                  "định nghĩa các cột thoát nghèo, tái nghèo, phát sinh của biểu mẫu chưa được đối chiếu; hộ cận nghèo kỳ trước "
                  "từng nghèo ở kỳ xa hơn được tính là phát sinh, không phải tái nghèo.",
                  "Re-poor: not poor in the previous round but poor in an earlier one. Newly poor: never poor in the rounds on "
                  "record, plus the previous round's near-poor now poor (repeated in the \"of which\" column). Unverified: the "
                  "form's definitions of escaped, re-poor and newly poor have not been checked; a previous near-poor household "
                  "that was poor in an older round counts as newly poor, not re-poor."),
            ],
            remarks=[*_common_remarks(data, decimals), balance],
            balance=("poor_start", ("poor_escaped", "poor_other_out"), ("poor_re", "poor_new", "poor_other_in"), "poor_end"),
            decimals=decimals,
        ),
        OfficialForm(
            key="flows-near_poor", sheet=L("Biến động hộ cận nghèo", "Near-poor flows"),
            title=L(f"BIẾN ĐỘNG HỘ CẬN NGHÈO NĂM {year}", f"CHANGES IN NEAR-POOR HOUSEHOLDS, {year}"),
            columns=near_columns, lines=lines,
            notes=[
                _start_note(data), _em_note(),
                L("Thoát cận nghèo = hộ cận nghèo đầu kỳ nay trên chuẩn cận nghèo. Hộ cận nghèo đầu kỳ nay là hộ nghèo ghi ở cột "
                  "\"trở thành hộ nghèo\", không tính là thoát.",
                  "Escaped = near-poor at the start now above the near-poor line. Near-poor at the start now poor are in the "
                  "\"became poor\" column, not counted as escaped."),
                moves,
                L("Tái cận nghèo: hộ không cận nghèo ở kỳ trước nhưng là hộ cận nghèo ở một kỳ trước đó. Phát sinh mới: hộ chưa "
                  "từng cận nghèo trong các kỳ đã có, cộng hộ nghèo kỳ trước nay là hộ cận nghèo (ghi lại ở cột \"trong đó\"). "
                  "Chưa xác minh: định nghĩa các cột này của biểu mẫu chưa được đối chiếu.",
                  "Re-near-poor: not near-poor in the previous round but near-poor in an earlier one. Newly near-poor: never "
                  "near-poor in the rounds on record, plus the previous round's poor now near-poor (repeated in the \"of which\" "
                  "column). Unverified: the form's definitions of these columns have not been checked."),
            ],
            remarks=[*_common_remarks(data, decimals), balance],
            balance=("near_poor_start", ("near_poor_escaped", "near_poor_to_poor", "near_poor_other_out"),
                     ("near_poor_re", "near_poor_new", "near_poor_other_in"), "near_poor_end"),
            decimals=decimals,
        ),
    ]


# ---------------------------------------------------------------- title and signing blocks


def title_block(*, round: SurveyRound, unit: AdminUnit, decision, form: OfficialForm, language: str) -> dict:
    """The lines above the table: issuer and motto side by side, the title, the decision it is attached to."""
    cs = round.criteria_set
    if language == "vi":
        attached = (f"(Kèm theo Quyết định số {decision.number} ngày {decision.date:%d/%m/%Y})" if decision
                    else "(Kèm theo Quyết định số ……… ngày ………)")
        return {
            "issuer": [f"UBND {unit.name.upper()}", "ĐƠN VỊ BÁO CÁO: ………………"],
            "motto": ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"],
            "title": form.title["vi"], "attached": attached, "decision": bool(decision),
            "details": f"Đơn vị: {unit.name} ({unit.code}) · Kỳ rà soát: {round.code} · Bộ tiêu chí: {cs.code} ({cs.legal_basis})",
            "unit_of_measure": "Đơn vị tính: hộ; tỷ lệ: %",
        }
    attached = (f"(Attached to Decision No. {decision.number} of {decision.date:%d/%m/%Y})" if decision
                else "(Attached to Decision No. ……… of ………)")
    return {
        "issuer": [f"People's Committee of {unit.name}", "REPORTING UNIT: ………………"],
        "motto": ["SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness"],
        "title": form.title["en"], "attached": attached, "decision": bool(decision),
        "details": f"Unit: {unit.name} ({unit.code}) · Round: {round.code} · Criteria set: {cs.code} ({cs.legal_basis})",
        "unit_of_measure": "Unit: households; rates: %",
    }


def signing_block(language: str) -> dict:
    if language == "vi":
        return {"left": ["NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"],
                "right": ["………, ngày … tháng … năm ……", "THỦ TRƯỞNG ĐƠN VỊ", "(Ký tên, đóng dấu)"]}
    return {"left": ["PREPARED BY", "(Signature, full name)"],
            "right": ["………, date ……………", "HEAD OF THE UNIT", "(Signature and seal)"]}


# ---------------------------------------------------------------- workbook and CSV


def write_workbook(forms: list[OfficialForm], *, round: SurveyRound, unit: AdminUnit, decision, language: str, out) -> None:
    """One sheet per form, as offices print it: A4 landscape, one page wide, the header rows repeated."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from surveys.excel import HEADER_FILL, NUMBER_FORMATS, neutralise

    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left_wrap = Alignment(horizontal="left", vertical="top", wrap_text=True)
    section_fill = PatternFill("solid", fgColor="F2F4F7")
    wb = Workbook()
    wb.remove(wb.active)
    for form in forms:
        ws = wb.create_sheet(title=form.sheet[language][:31])
        fixed = [(NUMBER_LABEL[language], 5), (CODE_LABEL[language], 8), (UNIT_LABEL[language], 28)]
        ncols = len(fixed) + len(form.columns)
        half = max(3, ncols // 2)
        for i, (_label, width) in enumerate(fixed, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for i, column in enumerate(form.columns, start=len(fixed) + 1):
            ws.column_dimensions[get_column_letter(i)].width = column.width

        def put(row: int, first: int, last_col: int, value, *, font=None, align=centre, ws=ws):
            cell = ws.cell(row=row, column=first, value=neutralise(value))
            if last_col > first:
                ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last_col)
            cell.alignment = align
            if font:
                cell.font = font

        block = title_block(round=round, unit=unit, decision=decision, form=form, language=language)
        put(1, 1, half, block["issuer"][0], font=Font(bold=True))
        put(1, half + 1, ncols, block["motto"][0], font=Font(bold=True))
        put(2, 1, half, block["issuer"][1])
        put(2, half + 1, ncols, block["motto"][1], font=Font(bold=True, underline="single"))
        put(4, 1, ncols, block["title"], font=Font(bold=True, size=14))
        put(5, 1, ncols, block["attached"], font=Font(italic=True))
        put(6, 1, ncols, block["details"], font=Font(italic=True))
        put(7, 1, ncols, block["unit_of_measure"], font=Font(italic=True), align=Alignment(horizontal="right"))

        # Two header rows (groups over their columns), then the column numbers.
        h1, h2, h3 = 8, 9, 10
        for i, (label, _w) in enumerate(fixed, start=1):
            put(h1, i, i, label, font=Font(bold=True))
            ws.merge_cells(start_row=h1, start_column=i, end_row=h2, end_column=i)
        rendered = form.render(language)
        col = len(fixed) + 1
        sub = iter(rendered["sub"])
        for head in rendered["top"]:
            if head["rowspan"] == 2:
                put(h1, col, col, head["label"], font=Font(bold=True))
                ws.merge_cells(start_row=h1, start_column=col, end_row=h2, end_column=col)
                col += 1
            else:
                put(h1, col, col + head["colspan"] - 1, head["label"], font=Font(bold=True))
                for c in range(col, col + head["colspan"]):
                    put(h2, c, c, next(sub)["label"], font=Font(bold=True))
                col += head["colspan"]
        for i, label in enumerate(["A", "B", "C", *rendered["numbers"]], start=1):
            put(h3, i, i, label, font=Font(italic=True))
        for r in (h1, h2, h3):
            for c in range(1, ncols + 1):
                ws.cell(row=r, column=c).border = box
                ws.cell(row=r, column=c).fill = HEADER_FILL
        ws.row_dimensions[h2].height = 58

        row = h3 + 1
        for line in form.lines:
            name = line.name[language] if isinstance(line.name, dict) else line.name
            bold = line.kind in ("section", "total")
            cells = [line.number, line.code, name, *form.line_values(line)]
            kinds = ["text", "text", "text", *[c.kind for c in form.columns]]
            for c, (value, kind) in enumerate(zip(cells, kinds, strict=True), start=1):
                if kind == "rate" and value is not None:
                    value = decimal.Decimal(value)
                cell = ws.cell(row=row, column=c, value=neutralise(value) if kind == "text" else value)
                cell.border = box
                if NUMBER_FORMATS.get(kind):
                    cell.number_format = "0." + "0" * form.decimals if kind == "rate" and form.decimals else NUMBER_FORMATS[kind]
                if bold:
                    cell.font = Font(bold=True)
                    cell.fill = section_fill
            row += 1
        ws.freeze_panes = ws.cell(row=h3 + 1, column=len(fixed) + 1)

        row += 1
        put(row, 1, ncols, "Ghi chú:" if language == "vi" else "Notes:", font=Font(bold=True), align=Alignment(horizontal="left"))
        row += 1
        chars_per_line = max(60, int(sum(ws.column_dimensions[get_column_letter(i)].width for i in range(1, ncols + 1)) * 1.1))
        texts = [f"({n}) {text[language]}" for n, text in enumerate(form.notes, start=1)] + [f"– {r[language]}" for r in form.remarks]
        for text in texts:
            put(row, 1, ncols, text, align=left_wrap)
            ws.row_dimensions[row].height = 15 * (len(text) // chars_per_line + 1)
            row += 1

        row += 1
        sign = signing_block(language)
        for offset in range(3):
            if offset < len(sign["left"]):
                put(row + offset, 1, half, sign["left"][offset], font=Font(bold=offset == 0, italic=offset > 0))
            put(row + offset, half + 1, ncols, sign["right"][offset], font=Font(bold=offset == 1, italic=offset != 1))

        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = f"{h1}:{h3}"
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.5
    wb.save(out)


def csv_table(form: OfficialForm, *, round: SurveyRound, unit: AdminUnit, decision, language: str):
    """The form as an `excel.Table` for CSV: one header row (group – column), the lines, the notes as subtitles."""
    from surveys.excel import Column, Table

    block = title_block(round=round, unit=unit, decision=decision, form=form, language=language)
    columns = [Column("number", NUMBER_LABEL[language]), Column("code", CODE_LABEL[language]), Column("name", UNIT_LABEL[language])]
    columns += [Column(c.key, (f"{c.group[language]} – " if c.group else "") + form.header_label(c, language), c.kind)
                for c in form.columns]
    rows = [[line.number, line.code, line.name[language] if isinstance(line.name, dict) else line.name, *form.line_values(line)]
            for line in form.lines]
    notes = [f"({n}) {text[language]}" for n, text in enumerate(form.notes, start=1)] + [r[language] for r in form.remarks]
    return Table(sheet=form.sheet[language], title=block["title"], subtitles=[block["attached"], block["details"], *notes],
                 columns=columns, rows=rows)
