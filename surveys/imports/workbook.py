"""Reading a survey workbook (docs/import-format.md): the file checks, the sheets and their columns, and every
cell coerced to a Python value. Nothing here reads the registry; `surveys.imports.checks` does."""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from households.models import MEMBER_FIELDS, Member, Relation, citizen_id_validator
from surveys.imports.words import AREA_WORDS, RELATION_WORDS, SEX_WORDS

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str  # the Vietnamese label the template shows; accepted in place of the key
    kind: str
    required: bool = True
    help: str = ""
    # Columns added after the format was published may be left out of a workbook altogether.
    optional_column: bool = False


# Sheet name -> columns. Keys are the contract of DESIGN.md §3: extend, never rename.
SHEETS: dict[str, list[ColumnSpec]] = {
    "households": [
        ColumnSpec("household_code", "Mã hộ", "code", help="Mã hộ duy nhất; mã đã có trong sổ thì cập nhật hộ đó"),
        ColumnSpec("commune_code", "Mã xã", "code", help="Mã đơn vị hành chính cấp xã (5 chữ số, mã Tổng cục Thống kê)"),
        ColumnSpec("hamlet", "Ấp/khu phố", "text", required=False, help="Tên ấp, thôn, khu phố; tên mới sẽ được tạo"),
        ColumnSpec("head_name", "Họ tên chủ hộ", "text"),
        ColumnSpec("address", "Địa chỉ", "text", required=False),
        ColumnSpec(
            "income_per_capita",
            "Thu nhập bình quân (đồng/người/tháng)",
            "int",
            required=False,
            help="Số nguyên, đồng/người/tháng; hoặc điểm A ở cột score_a",
        ),
        ColumnSpec(
            "deprived", "Chỉ số thiếu hụt", "codes", required=False, help="Mã chỉ số, cách nhau bằng dấu phẩy; có thể để trống"
        ),
        # Circular 07's score A, instead of an income, for a round whose criteria set has a score scale.
        ColumnSpec(
            "score_a",
            "Điểm A (Thông tư 07)",
            "int",
            required=False,
            optional_column=True,
            help="Điểm A theo Thông tư 07, thay cho thu nhập; để trống nếu nhập thu nhập",
        ),
    ],
    "members": [
        ColumnSpec("household_code", "Mã hộ", "code"),
        ColumnSpec("full_name", "Họ và tên", "text"),
        ColumnSpec("sex", "Giới tính (M/F)", "sex", help="M = nam, F = nữ"),
        ColumnSpec("birth_year", "Năm sinh", "int"),
        ColumnSpec("relation", "Quan hệ với chủ hộ", "relation", required=False, help="head, spouse, child, parent, ..."),
        ColumnSpec("citizen_id", "Số CCCD", "citizen_id", required=False, help="12 chữ số; có thể để trống"),
        ColumnSpec(
            "ethnicity",
            "Dân tộc",
            "text",
            required=False,
            help="Tên dân tộc (ví dụ Kinh, Khmer, Hoa) hoặc mã Tổng cục Thống kê (01 Kinh … 54 Rơ Măm); để trống là Kinh",
        ),
        ColumnSpec("able_to_work", "Có khả năng lao động (1/0)", "flag"),
        ColumnSpec("social_protection", "Hưởng bảo trợ xã hội (1/0)", "flag", required=False),
        ColumnSpec("merit", "Người có công (1/0)", "flag", required=False),
        ColumnSpec("disability", "Người khuyết tật (1/0)", "flag", required=False),
    ],
    "denominators": [
        ColumnSpec("commune_code", "Mã xã", "code"),
        ColumnSpec("total_households", "Tổng số hộ dân cư", "int"),
        ColumnSpec(
            "total_persons",
            "Tổng số nhân khẩu",
            "int",
            required=False,
            optional_column=True,
            help="Mẫu số của tỷ lệ theo nhân khẩu; để trống thì tính theo thành viên các hộ đã đăng ký",
        ),
        ColumnSpec(
            "area",
            "Khu vực (urban/rural)",
            "area",
            required=False,
            optional_column=True,
            help="Khu vực của xã trong kỳ rà soát: urban (thành thị) hoặc rural (nông thôn); để trống thì giữ nguyên",
        ),
    ],
}
MEMBER_KEYS = (*MEMBER_FIELDS[:6], "ethnic_group_id", *MEMBER_FIELDS[6:])  # the model's list, with the group the import resolves
GROUPED_DIGITS = re.compile(r"^\d{1,3}([., ]\d{3})+$")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Issue:
    """One problem: the sheet, the spreadsheet row number and the column key it concerns, and why. An "error" stops
    the import; a "warning" (surveys.consistency) is reported and the import goes on."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                _("sheet %(s)s") % {"s": self.sheet} if self.sheet else "",
                _("row %(r)s") % {"r": self.row} if self.row else "",
                _("column %(c)s") % {"c": self.column} if self.column else "",
            )
            if p
        )
        return f"{where}: {self.message}" if where else self.message


class FileProblem(Exception):
    """The file as a whole cannot be read as a survey workbook."""


@dataclass
class Row:
    number: int
    values: dict
    bad: bool = False  # some cell failed; the row takes part only so that references to it resolve


# ---------------------------------------------------------------- reading the workbook


def import_limits() -> dict[str, int]:
    """Bounds checked before a workbook is parsed (settings POVREG_IMPORT_MAX_*)."""
    from django.conf import settings

    return {
        "uncompressed_bytes": int(getattr(settings, "POVREG_IMPORT_MAX_UNCOMPRESSED_MB", 400)) * 1024 * 1024,
        "rows": int(getattr(settings, "POVREG_IMPORT_MAX_ROWS", 300_000)),
    }


def check_file(path: Path) -> None:
    """Raise FileProblem with a clear message when `path` is not a readable .xlsx workbook."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        data = Path(path).read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
            raise FileProblem(_("The workbook is password-protected. Remove the password in Excel and upload it again."))
        raise FileProblem(_("This is an old-format Excel file (.xls). Save it as an Excel workbook (.xlsx) and upload it again."))
    if not zipfile.is_zipfile(path):
        raise FileProblem(_("This is not an Excel workbook (.xlsx). Use the template and save it as .xlsx."))
    with zipfile.ZipFile(path) as zf:
        entries = zf.infolist()
        if "xl/workbook.xml" not in {e.filename for e in entries}:
            raise FileProblem(_("This file is not an Excel workbook (.xlsx): it has no workbook part."))
        # Read from the zip directory before any part is decompressed: a zip bomb stops here, in milliseconds.
        limit = import_limits()["uncompressed_bytes"]
        if len(entries) > 2000 or sum(e.file_size for e in entries) > limit:
            raise FileProblem(
                _("The workbook unpacks to more than %(mb)s MB (or has too many parts). Split it into smaller files.")
                % {"mb": limit // (1024 * 1024)}
            )


def _normalise_header(value) -> str:
    return " ".join(str(value).split()).lower() if value is not None else ""


def _header_map(sheet: str, header_cells: Iterable) -> tuple[dict[str, int], list[Issue]]:
    """Column key -> index, from a header row of keys, Vietnamese labels, or 'label (key)'."""
    specs = SHEETS[sheet]
    by_name: dict[str, str] = {}
    for spec in specs:
        by_name[spec.key] = spec.key
        by_name[_normalise_header(spec.label)] = spec.key
        by_name[_normalise_header(f"{spec.label} ({spec.key})")] = spec.key
    found: dict[str, int] = {}
    issues = []
    for index, value in enumerate(header_cells):
        name = _normalise_header(value)
        match = re.search(r"\(([a-z_]+)\)$", name)
        key = by_name.get(name) or (match.group(1) if match and match.group(1) in by_name else None)
        if key is None:
            continue  # extra columns are allowed (the format may grow)
        if key in found:
            issues.append(Issue(_("The column %(c)s appears twice.") % {"c": key}, sheet, 1, key))
        found[key] = index
    missing = [s.key for s in specs if s.key not in found and not s.optional_column]
    if missing:
        issues.append(
            Issue(
                _("Missing column(s): %(c)s. The header row must name the columns (see the template).")
                % {"c": ", ".join(missing)},
                sheet,
                1,
            )
        )
    return found, issues


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


class CellError(ValueError):
    pass


def _as_int(value) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(_("Expected a whole number, got TRUE/FALSE."))
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        raise CellError(_("A date in a number column: enter the number itself (format the cell as a number)."))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(_("Expected a whole number, got %(v)s.") % {"v": value})
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if GROUPED_DIGITS.match(text):
        return int(re.sub(r"[., ]", "", text))
    raise CellError(_("Expected a whole number, got %(v)s.") % {"v": text[:40]})


def _coerce(spec: ColumnSpec, value):
    kind = spec.kind
    if kind == "int":
        number = _as_int(value)
        if number is None and spec.required:
            raise CellError(_("Required."))
        return number
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        raise CellError(_("A date where text or a code is expected."))
    text = _as_text(value)
    if not text:
        if spec.required:
            raise CellError(_("Required."))
        return {"flag": False, "codes": (), "relation": Relation.OTHER.value}.get(kind, "")
    if kind == "flag":
        if text in ("1", "True", "TRUE", "true"):
            return True
        if text in ("0", "False", "FALSE", "false"):
            return False
        raise CellError(_("Use 1 (yes) or 0 (no)."))
    if kind == "sex":
        sex = SEX_WORDS.get(text.lower())
        if sex is None:
            raise CellError(_("Use M (male) or F (female)."))
        return sex
    if kind == "relation":
        rel = text if text in Relation.values else RELATION_WORDS.get(text.lower())
        if rel is None:
            raise CellError(
                _("Unknown relation %(v)s; use one of %(keys)s.") % {"v": text[:40], "keys": ", ".join(Relation.values)}
            )
        return rel
    if kind == "citizen_id":
        width = Member._meta.get_field("citizen_id").max_length
        if isinstance(value, (int, float)) and 9 <= len(text) <= width:
            text = text.zfill(width)  # a number cell dropped the leading zeros
        try:
            citizen_id_validator(text)  # the model's rule and message
        except ValidationError as exc:
            raise CellError(exc.messages[0]) from None
        return text
    if kind == "codes":
        return tuple(dict.fromkeys(c.strip().upper() for c in re.split(r"[,;]", text) if c.strip()))
    if kind == "area":
        area = AREA_WORDS.get(text.lower())
        if area is None:
            raise CellError(_("Use urban or rural."))
        return area
    return text


def read_workbook(path: Path, *, progress: Progress | None = None) -> tuple[dict[str, list[Row]], list[Issue]]:
    """Every data row of the three sheets, coerced to Python values, and every cell-level problem."""
    from openpyxl import load_workbook

    check_file(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FileProblem(
            _("The workbook cannot be read (%(e)s). Save it again as .xlsx from Excel.") % {"e": type(exc).__name__}
        ) from exc
    try:
        names = {name.strip().lower(): name for name in wb.sheetnames}
        missing = [s for s in SHEETS if s not in names]
        if missing:
            raise FileProblem(
                _(
                    "Missing sheet(s): %(s)s. A survey workbook has the sheets households, members and denominators (see the template)."
                )
                % {"s": ", ".join(missing)}
            )
        sheets = {s: wb[names[s]] for s in SHEETS}
        total = sum((ws.max_row or 0) for ws in sheets.values())
        max_rows = import_limits()["rows"]
        too_many = FileProblem(
            _("The workbook has more than %(n)s rows. Split it into smaller files (for example one per commune).")
            % {"n": f"{max_rows:,}"}
        )
        if total > max_rows:
            raise too_many
        done = 0
        rows: dict[str, list[Row]] = {}
        issues: list[Issue] = []
        for sheet, ws in sheets.items():
            specs = SHEETS[sheet]
            iterator = ws.iter_rows()
            header = next(iterator, None)
            columns, header_issues = _header_map(sheet, [c.value for c in header] if header else [])
            if header_issues:
                issues.extend(header_issues)
                rows[sheet] = []
                continue
            wanted = [(spec, columns[spec.key]) for spec in specs if spec.key in columns]
            out = []
            for number, cells in enumerate(iterator, start=2):
                done += 1
                if done > max_rows:  # the sheet's stated size may be missing or false
                    raise too_many
                if progress and done % 2000 == 0:
                    progress("read", done, total)
                if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells):
                    continue
                values, bad = {}, False
                for spec, index in wanted:
                    cell = cells[index] if index < len(cells) else None
                    raw = cell.value if cell is not None else None
                    if cell is not None and getattr(cell, "data_type", None) == "f":
                        issues.append(
                            Issue(
                                _("Contains a formula; paste the values only (Paste special → Values)."), sheet, number, spec.key
                            )
                        )
                        bad = True
                        continue
                    try:
                        values[spec.key] = _coerce(spec, raw)
                    except CellError as exc:
                        issues.append(Issue(str(exc), sheet, number, spec.key))
                        bad = True
                out.append(Row(number, values, bad))
            rows[sheet] = out
        if progress:
            progress("read", total, total)
        return rows, issues
    finally:
        wb.close()
