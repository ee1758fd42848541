"""The downloadable template, the annotated error copy of an uploaded workbook, and writing rows as a survey
workbook (tests, benchmarks, round copies)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from django.utils.translation import gettext as _

from households.models import AdminUnit, Level, Relation
from surveys.imports.workbook import SHEETS, Issue
from surveys.models import SurveyRound

INSTRUCTIONS_VI = [
    "HƯỚNG DẪN NHẬP KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO",
    "",
    "1. Sheet 'households': mỗi dòng một hộ. Sheet 'members': mỗi dòng một thành viên (mã hộ trùng với sheet households).",
    "   Sheet 'denominators': tổng số hộ dân cư của từng xã (mẫu số để tính tỷ lệ; chỉ cán bộ Sở nhập).",
    "2. Không sửa dòng tiêu đề (dòng 1). Có thể ghi mã cột (household_code, ...) hoặc tên cột tiếng Việt.",
    "3. Thu nhập là số nguyên, đồng/người/tháng (ví dụ 1500000). Không dùng công thức, không định dạng ngày.",
    "4. Chỉ số thiếu hụt: ghi mã chỉ số cách nhau bằng dấu phẩy (xem sheet 'codes'); để trống nếu không thiếu hụt.",
    "5. Các cột có/không ghi 1 (có) hoặc 0 (không). Giới tính: M (nam) hoặc F (nữ). Số CCCD 12 chữ số, định dạng Văn bản.",
    "6. Mã hộ đã có trong sổ: hộ đó được cập nhật và danh sách thành viên được thay bằng danh sách trong tệp.",
    "7. Tên ấp/khu phố chưa có sẽ được tạo mới. Bản xem trước cho biết những gì sẽ được tạo và cập nhật.",
    "8. Có bất kỳ lỗi nào thì không dữ liệu nào được ghi; tải bản sao tệp có cột lỗi để sửa.",
    "",
    "Survey import workbook: see docs/import-format.md for the English description of every column.",
]


def import_template(*, survey_round: SurveyRound | None = None):
    """The downloadable template: instructions, the three data sheets with dropdowns, and a codes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    info = wb.active
    info.title = "instructions"
    for line in INSTRUCTIONS_VI:
        info.append([line])
    info["A1"].font = Font(bold=True, size=13)
    info.column_dimensions["A"].width = 120

    codes = wb.create_sheet("codes")
    codes.append(["commune_code", "Tên xã", "area", "", "indicator", "Chỉ số", "", "relation", "", "flag", "", "sex"])
    communes: list[AdminUnit] = []
    indicators = []
    if survey_round is not None:
        province = survey_round.province
        communes = list(
            AdminUnit.objects.under(province).filter(structure=province.structure, level=Level.COMMUNE).order_by("code")
        )
        indicators = list(survey_round.criteria_set.indicators.order_by("position"))
    length = max(len(communes), len(indicators), len(Relation.values), 2)
    for i in range(length):
        c = communes[i] if i < len(communes) else None
        ind = indicators[i] if i < len(indicators) else None
        codes.append(
            [
                c.code if c else None,
                c.name if c else None,
                c.area_type if c else None,
                None,
                ind.code if ind else None,
                ind.name_vi if ind else None,
                None,
                Relation.values[i] if i < len(Relation.values) else None,
                None,
                ["1", "0"][i] if i < 2 else None,
                None,
                ["M", "F"][i] if i < 2 else None,
            ]
        )
    for col, width in zip("ABCEFH", (14, 30, 8, 18, 40, 14), strict=True):
        codes.column_dimensions[col].width = width

    lists = {
        "commune_code": f"codes!$A$2:$A${max(len(communes), 1) + 1}",
        "flag": "codes!$J$2:$J$3",
        "sex": "codes!$L$2:$L$3",
        "relation": f"codes!$H$2:$H${len(Relation.values) + 1}",
    }
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for sheet, specs in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append([f"{s.label} ({s.key})" for s in specs])
        ws.freeze_panes = "A2"
        for index, spec in enumerate(specs, start=1):
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = max(16, len(spec.label) + len(spec.key) + 4)
            cell = ws.cell(row=1, column=index)
            cell.font, cell.fill = Font(bold=True), header_fill
            source = lists.get(spec.key if spec.key == "commune_code" else spec.kind)
            if spec.kind in ("text", "code", "citizen_id", "codes"):
                for row in range(2, 2001):
                    ws.cell(row=row, column=index).number_format = "@"
            if source and (spec.key != "commune_code" or communes):
                dv = DataValidation(type="list", formula1=f"={source}", allow_blank=not spec.required)
                dv.error, dv.errorTitle = _("Choose a value from the list."), _("Invalid value")
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}50000")
    wb.move_sheet("codes", offset=len(wb.sheetnames))
    return wb


def write_error_copy(path: Path, issues: list[Issue], out) -> None:
    """A copy of the uploaded workbook's data sheets with an 'errors' column, plus a sheet listing every issue (errors
    and warnings, each marked)."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from surveys.excel import neutralise

    by_row: dict[tuple[str, int | None], list[str]] = defaultdict(list)
    for issue in issues:
        text = f"{issue.column}: {issue.message}" if issue.column else issue.message
        by_row[(issue.sheet, issue.row)].append(_("Warning: %(text)s") % {"text": text} if issue.severity == "warning" else text)
    out_wb = Workbook(write_only=True)
    summary = out_wb.create_sheet("errors")
    summary.append([_("Sheet"), _("Row"), _("Column"), _("Problem"), _("Severity")])
    for issue in issues:
        summary.append(
            [
                issue.sheet,
                issue.row,
                issue.column,
                neutralise(issue.message),
                _("warning") if issue.severity == "warning" else _("error"),
            ]
        )
    try:
        src = load_workbook(path, read_only=True, data_only=False)
    except Exception:
        src = None
    if src is not None:
        try:
            for name in src.sheetnames:
                key = name.strip().lower()
                ws = out_wb.create_sheet(name[:31])
                width = 0
                for number, values in enumerate(src[name].iter_rows(values_only=True), start=1):
                    values = [neutralise(v) if isinstance(v, str) else v for v in values]
                    if number == 1:
                        width = len(values)
                        cell = WriteOnlyCell(ws, value=_("errors"))
                        cell.font = Font(bold=True, color="B42318")
                        ws.append([*values, cell])
                        continue
                    problems = by_row.get((key, number))
                    if problems:
                        values = [*values[:width], *[None] * (width - len(values)), neutralise("; ".join(problems))]
                    ws.append(values)
        finally:
            src.close()
    out_wb.save(out)


def write_survey_workbook(
    out, *, households: Iterable[dict], members: Iterable[dict], denominators: Iterable[dict] = (), labels: bool = False
) -> None:
    """Write rows (dicts keyed by column key) as a survey workbook, streaming (tests, benchmarks, round copies)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for sheet, rows in (("households", households), ("members", members), ("denominators", denominators)):
        specs = SHEETS[sheet]
        ws = wb.create_sheet(sheet)
        ws.append([s.label if labels else s.key for s in specs])
        for row in rows:
            ws.append([row.get(s.key) for s in specs])
    wb.save(out)
