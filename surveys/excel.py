"""Spreadsheet output: write-only openpyxl workbooks and CSV, built from iterators so a 300k-row list
never sits in memory, with every text cell neutralised against formula injection.

A `Table` is a title, typed columns, an iterator of rows and an optional totals row; the same table
renders to .xlsx (merged title rows, bold headers, number formats, frozen panes) and to CSV.
"""

from __future__ import annotations

import csv
import decimal
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

NUMBER_FORMATS = {"int": "#,##0", "money": "#,##0", "rate": "0.00", "year": "0", "text": None, "any": None}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE_FONT = Font(bold=True, size=14)
SUBTITLE_FONT = Font(italic=True)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
TOTAL_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading single quote; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | money | rate | year | any (written as it is, text neutralised)
    width: float = 14


@dataclass
class Table:
    sheet: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    subtitles: Sequence[str] = ()
    total: Sequence | None = None
    notes: Sequence[str] = field(default=())


def _cell_value(kind: str, value):
    if value is None or value == "":
        return None
    if kind == "rate":
        return decimal.Decimal(value)  # the report's rounded string, written as the number it reads as
    if kind == "text":
        return neutralise(str(value))
    if kind == "any":
        return neutralise(value)
    return value


def _write_table(wb: Workbook, table: Table) -> int:
    ws = wb.create_sheet(title=table.sheet[:31])
    ncols = len(table.columns)
    for index, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    # A table without a title (a plain list such as the posting list) starts with its header row.
    header_row = 2 + len(table.subtitles) + 1 if table.title else 1
    ws.freeze_panes = f"B{header_row + 1}"
    last = get_column_letter(ncols)
    # Printed as offices print reports: A4 landscape, one page wide, the header row repeated on every page,
    # and a filter on the header row.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    if table.title:
        title = WriteOnlyCell(ws, value=neutralise(table.title))
        title.font = TITLE_FONT
        ws.append([title])
        ws.merged_cells.add(CellRange(f"A1:{last}1"))
        for offset, line in enumerate(table.subtitles, start=2):
            cell = WriteOnlyCell(ws, value=neutralise(line))
            cell.font = SUBTITLE_FONT
            ws.append([cell])
            ws.merged_cells.add(CellRange(f"A{offset}:{last}{offset}"))
        ws.append([])
    headers = []
    for column in table.columns:
        cell = WriteOnlyCell(ws, value=neutralise(column.header))
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        headers.append(cell)
    ws.append(headers)

    # One reusable styled cell per formatted column: the write-only sheet serialises a row as it is
    # appended, so a cell object can carry the next row's value afterwards.
    kinds = [c.kind for c in table.columns]
    styled: dict[int, WriteOnlyCell] = {}
    for index, kind in enumerate(kinds):
        if NUMBER_FORMATS.get(kind):
            cell = WriteOnlyCell(ws)
            cell.number_format = NUMBER_FORMATS[kind]
            styled[index] = cell
    count = 0
    for row in table.rows:
        out = []
        for index, value in enumerate(row):
            value = _cell_value(kinds[index], value)
            cell = styled.get(index)
            if cell is not None and value is not None:
                cell.value = value
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
        count += 1
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(count, 1)}"  # written with the sheet's tail
    if table.total is not None:
        out = []
        for index, value in enumerate(table.total):
            cell = WriteOnlyCell(ws, value=_cell_value(kinds[index], value))
            cell.font = TOTAL_FONT
            if NUMBER_FORMATS.get(kinds[index]):
                cell.number_format = NUMBER_FORMATS[kinds[index]]
            out.append(cell)
        ws.append(out)
    if table.notes:
        ws.append([])
        for note in table.notes:
            ws.append([neutralise(note)])
    return count


def write_workbook(tables: Iterable[Table], out) -> int:
    """Write the tables, one sheet each, to `out` (a path or binary file); returns the data rows written."""
    wb = Workbook(write_only=True)
    written = sum(_write_table(wb, table) for table in tables)
    wb.save(out)
    return written


def xlsx_response(tables: list[Table], filename: str):
    """The tables as an .xlsx download: built in a temporary file (rows streamed through openpyxl), then sent.
    Every spreadsheet the site sends goes through here and `write_workbook`."""
    import tempfile

    from django.http import FileResponse

    handle = tempfile.TemporaryFile(suffix=".xlsx")
    write_workbook(tables, handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def plain_table(sheet: str, header: Sequence[str], rows: Iterable[Sequence]) -> Table:
    """A list without a title block: the header row, then the rows, each value written as it is."""
    return Table(
        sheet=sheet,
        title="",
        columns=[Column(key=str(i), header=str(h), kind="any", width=18) for i, h in enumerate(header)],
        rows=rows,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(table: Table) -> Iterator[str]:
    """The table as CSV lines (UTF-8 with BOM so spreadsheet programs read Vietnamese), lazily."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([neutralise(table.title)])
    for line in table.subtitles:
        yield writer.writerow([neutralise(line)])
    yield writer.writerow([neutralise(c.header) for c in table.columns])
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        yield writer.writerow(["" if v is None else neutralise(v) if kinds[i] == "text" else v for i, v in enumerate(row)])
    if table.total is not None:
        yield writer.writerow(
            ["" if v is None else neutralise(v) if kinds[i] == "text" else v for i, v in enumerate(table.total)]
        )
