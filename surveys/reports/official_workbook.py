"""An official form as a printable workbook (A4 landscape, title block, numbered columns, notes, signing block) and
as CSV: what `layout=official` exports write."""

from __future__ import annotations

import decimal

from households.models import AdminUnit
from surveys.models import SurveyRound
from surveys.reports.official_data import CODE_LABEL, NUMBER_LABEL, UNIT_LABEL
from surveys.reports.official_forms import OfficialForm


def title_block(*, round: SurveyRound, unit: AdminUnit, decision, form: OfficialForm, language: str) -> dict:
    """The lines above the table: issuer and motto side by side, the title, the decision it is attached to."""
    cs = round.criteria_set
    if language == "vi":
        attached = (
            f"(Kèm theo Quyết định số {decision.number} ngày {decision.date:%d/%m/%Y})"
            if decision
            else "(Kèm theo Quyết định số ……… ngày ………)"
        )
        return {
            "issuer": [f"UBND {unit.name.upper()}", "ĐƠN VỊ BÁO CÁO: ………………"],
            "motto": ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"],
            "title": form.title["vi"],
            "attached": attached,
            "decision": bool(decision),
            "details": f"Đơn vị: {unit.name} ({unit.code}) · Kỳ rà soát: {round.code} · Bộ tiêu chí: {cs.code} ({cs.legal_basis})",
            "unit_of_measure": "Đơn vị tính: hộ; tỷ lệ: %",
        }
    attached = (
        f"(Attached to Decision No. {decision.number} of {decision.date:%d/%m/%Y})"
        if decision
        else "(Attached to Decision No. ……… of ………)"
    )
    return {
        "issuer": [f"People's Committee of {unit.name}", "REPORTING UNIT: ………………"],
        "motto": ["SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness"],
        "title": form.title["en"],
        "attached": attached,
        "decision": bool(decision),
        "details": f"Unit: {unit.name} ({unit.code}) · Round: {round.code} · Criteria set: {cs.code} ({cs.legal_basis})",
        "unit_of_measure": "Unit: households; rates: %",
    }


def signing_block(language: str) -> dict:
    if language == "vi":
        return {
            "left": ["NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"],
            "right": ["………, ngày … tháng … năm ……", "THỦ TRƯỞNG ĐƠN VỊ", "(Ký tên, đóng dấu)"],
        }
    return {
        "left": ["PREPARED BY", "(Signature, full name)"],
        "right": ["………, date ……………", "HEAD OF THE UNIT", "(Signature and seal)"],
    }


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
        texts = [f"({n}) {text[language]}" for n, text in enumerate(form.notes, start=1)] + [
            f"– {r[language]}" for r in form.remarks
        ]
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
    columns = [
        Column("number", NUMBER_LABEL[language]),
        Column("code", CODE_LABEL[language]),
        Column("name", UNIT_LABEL[language]),
    ]
    columns += [
        Column(c.key, (f"{c.group[language]} – " if c.group else "") + form.header_label(c, language), c.kind)
        for c in form.columns
    ]
    rows = [
        [line.number, line.code, line.name[language] if isinstance(line.name, dict) else line.name, *form.line_values(line)]
        for line in form.lines
    ]
    notes = [f"({n}) {text[language]}" for n, text in enumerate(form.notes, start=1)] + [r[language] for r in form.remarks]
    return Table(
        sheet=form.sheet[language],
        title=block["title"],
        subtitles=[block["attached"], block["details"], *notes],
        columns=columns,
        rows=rows,
    )
