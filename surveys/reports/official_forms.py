"""The official forms' shape: columns, lines (sections I urban, II rural, the total), notes, and the rates form and
the two flows forms built from `official_data.OfficialData` (see that module for the layout's rules)."""

from __future__ import annotations

from dataclasses import dataclass

from households.models import AdminUnit
from surveys.reports.official_data import NUMBER_LABEL, SECTION_NAMES, SECTIONS, TOTAL_NAME, UNIT_LABEL, L, OfficialData
from surveys.selectors import rate, report_unit_of


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
            lines.append(
                {
                    "kind": line.kind,
                    "number": line.number,
                    "code": line.code,
                    "name": name,
                    "cells": cells,
                    "balanced": self.balanced(line),
                    "area": line.area,
                }
            )
        return {
            "key": self.key,
            "title": self.title[language],
            "top": top,
            "sub": sub,
            "lines": lines,
            "numbers": [str(i) for i in range(1, len(self.columns) + 1)],
            "notes": [n[language] for n in self.notes],
            "remarks": [n[language] for n in self.remarks],
            "total": self.lines[-1],
            "number_label": NUMBER_LABEL[language],
            "unit_label": UNIT_LABEL[language],
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
            parts.append(
                f"{survey_round.code}, Quyết định số {decision.number} ngày {decision.date:%d/%m/%Y}"
                if language == "vi"
                else f"{survey_round.code}, Decision No. {decision.number} of {decision.date:%d/%m/%Y}"
            )
        else:
            parts.append(
                f"{survey_round.code}, chưa ghi quyết định phê duyệt"
                if language == "vi"
                else f"{survey_round.code}, no approval decision recorded"
            )
    return "; ".join(parts)


def _start_note(data: OfficialData) -> dict:
    if not data.previous:
        return L(
            "Đầu kỳ: kỳ rà soát này không có kỳ trước, nên đầu kỳ bằng 0 và mọi hộ được tính là phát sinh.",
            "Start: this round has no previous round, so the start is 0 and every household counts as new.",
        )
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
    from surveys.reports.rates import coverage_text

    total = FormLine(
        kind="total",
        number="",
        code="",
        name="",
        counts={},
        communes=len(data.communes),
        communes_included=len(data.included & {c.pk for c in data.communes}),
    )
    remarks = [
        L(
            "Thành thị, nông thôn: loại địa bàn của xã trong kỳ rà soát (phường, thị trấn: thành thị; xã: nông thôn), "
            "như đã ghi cho kỳ.",
            "Urban, rural: the commune's area type in the round (wards and townships urban, communes rural), as recorded "
            "for the round.",
        ),
        L(
            "Số liệu: danh sách đã phê duyệt của từng xã (bản phê duyệt mới nhất), giữ nguyên từ lúc phê duyệt; tổng số hộ "
            "dân cư là số ghi cùng danh sách.",
            "Numbers: each commune's approved list (its latest approved revision), frozen at approval; total households "
            "are those recorded with the list.",
        ),
        L(
            f"Tỷ lệ = số hộ ÷ tổng số hộ dân cư × 100, {decimals} chữ số thập phân, làm tròn nửa lên.",
            f"Rate = households ÷ total households × 100, {decimals} decimals, rounded half up.",
        ),
        L(
            "Mẫu biểu theo khuôn các biểu tổng hợp của Thông tư 07/2021/TT-BLĐTBXH (phụ lục VII): chưa đối chiếu từng cột "
            "với văn bản gốc.",
            "The layout follows the pattern of Circular 07/2021/TT-BLĐTBXH's summary forms (annex VII): not checked column "
            "by column against the original.",
        ),
    ]
    coverage_vi = coverage_text(total, "vi", approved=True)
    if coverage_vi:
        remarks.insert(0, L(coverage_vi.upper(), coverage_text(total, "en", approved=True)))
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
        key="rates",
        sheet=L("Kết quả rà soát", "Review result"),
        title=L(
            f"KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {data.round.year}",
            f"RESULT OF THE REVIEW OF POOR AND NEAR-POOR HOUSEHOLDS, {data.round.year}",
        ),
        columns=columns,
        lines=form_lines(data),
        notes=[_start_note(data), _em_note()],
        remarks=_common_remarks(data, decimals),
        decimals=decimals,
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
    balance = L(
        'Đầu kỳ − giảm + tăng = cuối kỳ (cột "trong đó" đã nằm trong cột phát sinh mới).',
        'Start − out + in = end (the "of which" column is part of the newly-entered column).',
    )
    lines = form_lines(data)
    year = data.round.year
    return [
        OfficialForm(
            key="flows-poor",
            sheet=L("Biến động hộ nghèo", "Poor flows"),
            title=L(f"BIẾN ĐỘNG HỘ NGHÈO NĂM {year}", f"CHANGES IN POOR HOUSEHOLDS, {year}"),
            columns=poor_columns,
            lines=lines,
            notes=[
                _start_note(data),
                _em_note(),
                L(
                    "Thoát nghèo = hộ nghèo đầu kỳ nay là hộ cận nghèo + hộ nghèo đầu kỳ nay trên chuẩn cận nghèo.",
                    "Escaped = poor at the start now near-poor + poor at the start now above the near-poor line.",
                ),
                moves,
                L(
                    "Tái nghèo: hộ không nghèo ở kỳ trước nhưng là hộ nghèo ở một kỳ trước đó. Phát sinh mới: hộ chưa từng nghèo "
                    'trong các kỳ đã có, cộng hộ cận nghèo kỳ trước nay là hộ nghèo (ghi lại ở cột "trong đó"). Chưa xác minh: '
                    "định nghĩa các cột thoát nghèo, tái nghèo, phát sinh của biểu mẫu chưa được đối chiếu; hộ cận nghèo kỳ trước "
                    "từng nghèo ở kỳ xa hơn được tính là phát sinh, không phải tái nghèo.",
                    "Re-poor: not poor in the previous round but poor in an earlier one. Newly poor: never poor in the rounds on "
                    'record, plus the previous round\'s near-poor now poor (repeated in the "of which" column). Unverified: the '
                    "form's definitions of escaped, re-poor and newly poor have not been checked; a previous near-poor household "
                    "that was poor in an older round counts as newly poor, not re-poor.",
                ),
            ],
            remarks=[*_common_remarks(data, decimals), balance],
            balance=("poor_start", ("poor_escaped", "poor_other_out"), ("poor_re", "poor_new", "poor_other_in"), "poor_end"),
            decimals=decimals,
        ),
        OfficialForm(
            key="flows-near_poor",
            sheet=L("Biến động hộ cận nghèo", "Near-poor flows"),
            title=L(f"BIẾN ĐỘNG HỘ CẬN NGHÈO NĂM {year}", f"CHANGES IN NEAR-POOR HOUSEHOLDS, {year}"),
            columns=near_columns,
            lines=lines,
            notes=[
                _start_note(data),
                _em_note(),
                L(
                    "Thoát cận nghèo = hộ cận nghèo đầu kỳ nay trên chuẩn cận nghèo. Hộ cận nghèo đầu kỳ nay là hộ nghèo ghi ở cột "
                    '"trở thành hộ nghèo", không tính là thoát.',
                    "Escaped = near-poor at the start now above the near-poor line. Near-poor at the start now poor are in the "
                    '"became poor" column, not counted as escaped.',
                ),
                moves,
                L(
                    "Tái cận nghèo: hộ không cận nghèo ở kỳ trước nhưng là hộ cận nghèo ở một kỳ trước đó. Phát sinh mới: hộ chưa "
                    'từng cận nghèo trong các kỳ đã có, cộng hộ nghèo kỳ trước nay là hộ cận nghèo (ghi lại ở cột "trong đó"). '
                    "Chưa xác minh: định nghĩa các cột này của biểu mẫu chưa được đối chiếu.",
                    "Re-near-poor: not near-poor in the previous round but near-poor in an earlier one. Newly near-poor: never "
                    'near-poor in the rounds on record, plus the previous round\'s poor now near-poor (repeated in the "of which" '
                    "column). Unverified: the form's definitions of these columns have not been checked.",
                ),
            ],
            remarks=[*_common_remarks(data, decimals), balance],
            balance=(
                "near_poor_start",
                ("near_poor_escaped", "near_poor_to_poor", "near_poor_other_out"),
                ("near_poor_re", "near_poor_new", "near_poor_other_in"),
                "near_poor_end",
            ),
            decimals=decimals,
        ),
    ]
