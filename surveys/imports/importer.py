"""Import of survey workbooks (docs/import-format.md): parse, validate, preview, apply.

Built for 50,000+ rows: the workbook is read once in read-only mode, every row is validated in memory
against a few bulk queries, categories come from `classification.classify` with the round's rule table
read once, and the writes are bulk inserts/updates in one transaction with one audit event. Any error
anywhere means nothing is written. Re-importing the same file writes nothing at all (no versions bumped,
no audit event), because each household, member list, assessment and denominator is compared first.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, audit_many
from core.policy import Action, can, communes_for
from households.ethnicity import KINH_CODE, groups_by_code, match_code
from households.models import (
    MAX_MEMBERS,
    AdminUnit,
    Hamlet,
    Household,
    HouseholdStatus,
    Level,
    Member,
    Relation,
    household_code_validator,
)
from households.search import fold, household_search_key
from surveys import classification as cl
from surveys.consistency import CHECKED_SETS, warnings_for
from surveys.models import MAX_INCOME_PER_CAPITA, Assessment, CommuneList, Denominator, RoundArea, SurveyRound
from surveys.services import (
    LOCKED_LIST_STATES,
    areas_in_round,
    criteria_spec,
    income_test_errors,
    round_additional_sets,
    round_area_change_blocker,
    standard_results_refresh,
)

MAX_DENOMINATOR = 100_000_000  # households or persons of one commune; far above any, inside the integer column
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
        ColumnSpec("income_per_capita", "Thu nhập bình quân (đồng/người/tháng)", "int", required=False,
                   help="Số nguyên, đồng/người/tháng; hoặc điểm A ở cột score_a"),
        ColumnSpec("deprived", "Chỉ số thiếu hụt", "codes", required=False, help="Mã chỉ số, cách nhau bằng dấu phẩy; có thể để trống"),
        # Circular 07's score A, instead of an income, for a round whose criteria set has a score scale.
        ColumnSpec("score_a", "Điểm A (Thông tư 07)", "int", required=False, optional_column=True,
                   help="Điểm A theo Thông tư 07, thay cho thu nhập; để trống nếu nhập thu nhập"),
    ],
    "members": [
        ColumnSpec("household_code", "Mã hộ", "code"),
        ColumnSpec("full_name", "Họ và tên", "text"),
        ColumnSpec("sex", "Giới tính (M/F)", "sex", help="M = nam, F = nữ"),
        ColumnSpec("birth_year", "Năm sinh", "int"),
        ColumnSpec("relation", "Quan hệ với chủ hộ", "relation", required=False, help="head, spouse, child, parent, ..."),
        ColumnSpec("citizen_id", "Số CCCD", "citizen_id", required=False, help="12 chữ số; có thể để trống"),
        ColumnSpec("ethnicity", "Dân tộc", "text", required=False,
                   help="Tên dân tộc (ví dụ Kinh, Khmer, Hoa) hoặc mã Tổng cục Thống kê (01 Kinh … 54 Rơ Măm); để trống là Kinh"),
        ColumnSpec("able_to_work", "Có khả năng lao động (1/0)", "flag"),
        ColumnSpec("social_protection", "Hưởng bảo trợ xã hội (1/0)", "flag", required=False),
        ColumnSpec("merit", "Người có công (1/0)", "flag", required=False),
        ColumnSpec("disability", "Người khuyết tật (1/0)", "flag", required=False),
    ],
    "denominators": [
        ColumnSpec("commune_code", "Mã xã", "code"),
        ColumnSpec("total_households", "Tổng số hộ dân cư", "int"),
        ColumnSpec(
            "total_persons", "Tổng số nhân khẩu", "int", required=False, optional_column=True,
            help="Mẫu số của tỷ lệ theo nhân khẩu; để trống thì tính theo thành viên các hộ đã đăng ký",
        ),
        ColumnSpec(
            "area", "Khu vực (urban/rural)", "area", required=False, optional_column=True,
            help="Khu vực của xã trong kỳ rà soát: urban (thành thị) hoặc rural (nông thôn); để trống thì giữ nguyên",
        ),
    ],
}
MEMBER_KEYS = (
    "full_name", "sex", "birth_year", "relation", "citizen_id", "ethnicity", "ethnic_group_id", "able_to_work", "social_protection",
    "merit", "disability",
)
RELATION_WORDS = {
    "chủ hộ": "head", "vợ": "spouse", "chồng": "spouse", "vợ/chồng": "spouse", "con": "child", "cha": "parent",
    "mẹ": "parent", "bố": "parent", "cha/mẹ": "parent", "cháu": "grandchild", "ông": "grandparent", "bà": "grandparent",
    "ông/bà": "grandparent", "anh": "sibling", "chị": "sibling", "em": "sibling", "anh/chị/em": "sibling",
    "con dâu": "child_in_law", "con rể": "child_in_law", "khác": "other",
}
AREA_WORDS = {"urban": "urban", "rural": "rural", "thành thị": "urban", "nông thôn": "rural", "thanh thi": "urban", "nong thon": "rural"}
SEX_WORDS = {"m": "M", "f": "F", "nam": "M", "nữ": "F", "nu": "F"}
GROUPED_DIGITS = re.compile(r"^\d{1,3}([., ]\d{3})+$")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ASSESSMENT_UPDATE_FIELDS = [
    "criteria_set", "commune", "hamlet", "area_type", "basis", "income_per_capita", "score_a", "score_b", "member_count", "able_to_work_count",
    "social_protection_count", "members_snapshot", "category", "group", "deprived_count", "explanation_vi",
    "explanation_en", "low_income_workers", "version", "assessed_by", "updated_at",
]


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
            p for p in (
                _("sheet %(s)s") % {"s": self.sheet} if self.sheet else "",
                _("row %(r)s") % {"r": self.row} if self.row else "",
                _("column %(c)s") % {"c": self.column} if self.column else "",
            ) if p
        )
        return f"{where}: {self.message}" if where else self.message


class FileProblem(Exception):
    """The file as a whole cannot be read as a survey workbook."""


@dataclass
class Row:
    number: int
    values: dict
    bad: bool = False  # some cell failed; the row takes part only so that references to it resolve


@dataclass
class ImportResult:
    issues: list[Issue] = field(default_factory=list)  # errors: any of them and nothing is written
    warnings: list[Issue] = field(default_factory=list)  # consistency warnings: reported, not refused
    applied: bool = False
    households_created: list[str] = field(default_factory=list)
    households_updated: list[str] = field(default_factory=list)
    households_unchanged: int = 0
    members_replaced: int = 0
    members_created: int = 0
    hamlets_created: list[tuple[str, str]] = field(default_factory=list)  # (commune code, hamlet name)
    assessments_created: int = 0
    assessments_updated: int = 0
    assessments_unchanged: int = 0
    denominators_set: list[tuple[str, int | None, int]] = field(default_factory=list)
    areas_set: list[tuple[str, str, str]] = field(default_factory=list)  # (commune code, old area, new area)
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def changed(self) -> bool:
        return bool(
            self.households_created or self.households_updated or self.members_replaced or self.hamlets_created
            or self.assessments_created or self.assessments_updated or self.denominators_set or self.areas_set
        )

    def summary(self) -> dict:
        return {
            "households_created": len(self.households_created), "households_updated": len(self.households_updated),
            "households_unchanged": self.households_unchanged, "members_created": self.members_created,
            "hamlets_created": len(self.hamlets_created), "assessments_created": self.assessments_created,
            "assessments_updated": self.assessments_updated, "assessments_unchanged": self.assessments_unchanged,
            "denominators_set": len(self.denominators_set), "areas_set": len(self.areas_set),
        }


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
            Issue(_("Missing column(s): %(c)s. The header row must name the columns (see the template).") % {"c": ", ".join(missing)}, sheet, 1)
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
            raise CellError(_("Unknown relation %(v)s; use one of %(keys)s.") % {"v": text[:40], "keys": ", ".join(Relation.values)})
        return rel
    if kind == "citizen_id":
        if isinstance(value, (int, float)) and 9 <= len(text) <= 12:
            text = text.zfill(12)  # a number cell dropped the leading zeros
        if not re.fullmatch(r"\d{12}", text):
            raise CellError(_("A citizen ID has exactly 12 digits."))
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
        raise FileProblem(_("The workbook cannot be read (%(e)s). Save it again as .xlsx from Excel.") % {"e": type(exc).__name__}) from exc
    try:
        names = {name.strip().lower(): name for name in wb.sheetnames}
        missing = [s for s in SHEETS if s not in names]
        if missing:
            raise FileProblem(
                _("Missing sheet(s): %(s)s. A survey workbook has the sheets households, members and denominators (see the template).")
                % {"s": ", ".join(missing)}
            )
        sheets = {s: wb[names[s]] for s in SHEETS}
        total = sum((ws.max_row or 0) for ws in sheets.values())
        max_rows = import_limits()["rows"]
        too_many = FileProblem(
            _("The workbook has more than %(n)s rows. Split it into smaller files (for example one per commune).") % {"n": f"{max_rows:,}"}
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
                        issues.append(Issue(_("Contains a formula; paste the values only (Paste special → Values)."), sheet, number, spec.key))
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


# ---------------------------------------------------------------- validating against the registry


def _chunks(items: list, size: int | None = None) -> Iterator[list]:
    size = size or min(connection.features.max_query_params or 10000, 10000) - 10
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class _Plan:
    round: SurveyRound
    communes: dict[str, AdminUnit]
    households: dict[str, Row]
    members: dict[str, list[Row]]
    denominators: list[Row]
    existing: dict[str, dict]
    hamlets: dict[tuple[int, str], int]
    new_hamlets: dict[tuple[int, str], str]
    areas: dict[int, str]  # commune id → area type the import classifies with (the round's, or the file's)
    area_changes: dict[int, tuple[str, str]]  # commune id → (recorded area, the file's area)


def _plan(*, actor, survey_round: SurveyRound, rows: dict[str, list[Row]], issues: list[Issue], warnings: list[Issue] | None = None) -> _Plan:
    province = survey_round.province
    communes = {
        c.code: c for c in AdminUnit.objects.under(province).filter(structure=province.structure, level=Level.COMMUNE)
    }
    if actor is None or getattr(actor, "is_superuser", False):
        editable = {c.pk for c in communes.values()}
    else:
        editable = set(communes_for(actor, Action.IMPORT).values_list("pk", flat=True))
    staff = actor is None or can(actor, Action.MANAGE_ROUNDS, province)
    locked = set(
        CommuneList.objects.filter(round=survey_round, is_current=True, status__in=LOCKED_LIST_STATES).values_list("commune_id", flat=True)
    )
    indicator_codes = set(survey_round.criteria_set.indicators.values_list("code", flat=True))

    def commune_of(row: Row, sheet: str) -> AdminUnit | None:
        code = row.values["commune_code"]
        commune = communes.get(code)
        if commune is None:
            issues.append(Issue(_("%(code)s is not a commune of %(province)s.") % {"code": code, "province": province.name}, sheet, row.number, "commune_code"))
            return None
        if commune.pk not in editable:
            issues.append(Issue(_("You cannot import data for %(unit)s.") % {"unit": commune.name}, sheet, row.number, "commune_code"))
            return None
        if commune.pk in locked:
            issues.append(
                Issue(_("The list of %(unit)s for this round is submitted or approved; it cannot be imported into.") % {"unit": commune.name},
                      sheet, row.number, "commune_code")
            )
            return None
        return commune

    households: dict[str, Row] = {}
    bad_codes: set[str] = set()
    additional_sets = round_additional_sets(survey_round)
    for row in rows.get("households", []):
        v = row.values
        code = v.get("household_code")
        if row.bad:
            bad_codes.add(code)
            continue
        try:
            household_code_validator(code)
        except Exception:
            issues.append(Issue(_("Use letters, digits, dot, dash or underscore (at most 40 characters)."), "households", row.number, "household_code"))
            continue
        if code in households:
            issues.append(Issue(_("The household code %(code)s appears twice (also row %(row)s).") % {"code": code, "row": households[code].number},
                                "households", row.number, "household_code"))
            continue
        if len(v["head_name"]) > 120:
            issues.append(Issue(_("At most 120 characters."), "households", row.number, "head_name"))
        if len(v["address"]) > 255:
            issues.append(Issue(_("At most 255 characters."), "households", row.number, "address"))
        if len(v["hamlet"]) > 120:
            issues.append(Issue(_("At most 120 characters."), "households", row.number, "hamlet"))
        income, score = v["income_per_capita"], v.get("score_a")
        # The same rule as every other entry path (surveys.services.income_test_errors), reported in one column.
        test_errors = income_test_errors(
            income_per_capita=income, score_a=score, criteria_set=survey_round.criteria_set, additional=additional_sets
        )
        if test_errors:
            column = "score_a" if score is not None and "score_a" in test_errors else "income_per_capita"
            issues.append(Issue(test_errors[column][0], "households", row.number, column))
        elif score is not None and not 0 <= score <= cl.MAX_SCORE_A:
            issues.append(Issue(_("Score A is a whole number of points from 0 to %(max)s.") % {"max": cl.MAX_SCORE_A},
                                "households", row.number, "score_a"))
        elif income is not None and income < 0:
            issues.append(Issue(_("Income per capita cannot be negative."), "households", row.number, "income_per_capita"))
        elif income is not None and income > MAX_INCOME_PER_CAPITA:
            issues.append(Issue(_("This amount is not plausible; check it."), "households", row.number, "income_per_capita"))
        unknown = [c for c in v["deprived"] if c not in indicator_codes]
        if unknown:
            issues.append(Issue(_("Unknown indicator code(s) for %(set)s: %(codes)s.") % {"set": survey_round.criteria_set.code, "codes": ", ".join(unknown)},
                                "households", row.number, "deprived"))
        commune = commune_of(row, "households")
        if commune is not None:
            v["commune"] = commune
        households[code] = row

    # Existing households with those codes (codes are unique in the registry).
    existing: dict[str, dict] = {}
    for chunk in _chunks(list(households)):
        for h in Household.objects.filter(code__in=chunk).values("id", "code", "commune_id", "hamlet_id", "head_name", "address", "status", "version"):
            existing[h["code"]] = h
    for code, h in existing.items():
        row = households[code]
        commune = row.values.get("commune")
        if commune is not None and h["commune_id"] != commune.pk:
            issues.append(Issue(_("Household %(code)s is registered in another commune; record its move in the registry first.") % {"code": code},
                                "households", row.number, "commune_code"))
        if h["status"] != HouseholdStatus.ACTIVE:
            issues.append(Issue(_("Household %(code)s is not active (moved, merged or dissolved).") % {"code": code},
                                "households", row.number, "household_code"))

    members: dict[str, list[Row]] = defaultdict(list)
    seen_ids: dict[str, int] = {}
    this_year = datetime.date.today().year
    groups = groups_by_code()
    for row in rows.get("members", []):
        v = row.values
        code = v.get("household_code")
        if row.bad or code in bad_codes:
            continue
        if code not in households:
            issues.append(Issue(_("No household %(code)s in the households sheet.") % {"code": code}, "members", row.number, "household_code"))
            continue
        if len(v["full_name"]) > 120:
            issues.append(Issue(_("At most 120 characters."), "members", row.number, "full_name"))
        # A name or a GSO code of the 54 groups (empty is Kinh, as documented); stored as the group and its name.
        group = groups.get(match_code(v["ethnicity"] or KINH_CODE))
        if group is None:
            issues.append(Issue(
                _("Unknown ethnic group “%(value)s”: give one of the 54 groups by its Vietnamese name or its GSO code "
                  "(01 Kinh … 54 Rơ Măm).") % {"value": v["ethnicity"][:40]},
                "members", row.number, "ethnicity",
            ))
            row.bad = True  # counted as a member, but its household's head rule waits for the row to be readable
        v["ethnic_group_id"] = group.pk if group else None
        v["ethnicity"] = group.name_vi if group else v["ethnicity"]
        if not 1900 <= v["birth_year"] <= this_year:
            issues.append(Issue(_("The birth year must be between 1900 and %(y)s.") % {"y": this_year}, "members", row.number, "birth_year"))
        cid = v["citizen_id"]
        if cid:
            if cid in seen_ids:
                issues.append(Issue(_("This citizen ID appears twice in the file (also row %(row)s).") % {"row": seen_ids[cid]}, "members", row.number, "citizen_id"))
            seen_ids[cid] = row.number
        members[code].append(row)
    for member_rows in members.values():
        if len(member_rows) > MAX_MEMBERS:
            issues.append(Issue(_("A household has at most %(n)s members.") % {"n": MAX_MEMBERS}, "members", member_rows[MAX_MEMBERS].number, "household_code"))
    # A member row that could not be read leaves its household's head count unknown: its own error says why.
    issues.extend(_head_issues(members, households, incomplete={r.values.get("household_code") for r in rows.get("members", []) if r.bad}))
    head_names = _head_name_warnings(households, members)  # also sets each household's head_name to its head's
    if warnings is not None:
        warnings.extend(head_names)
        warnings.extend(_consistency_warnings(survey_round, households, members))
    for code, row in households.items():
        if not members.get(code):
            issues.append(Issue(_("Household %(code)s has no members in the members sheet.") % {"code": code}, "households", row.number, "household_code"))

    # A citizen ID already registered belongs to someone else unless that household is in this file.
    if seen_ids:
        for chunk in _chunks(list(seen_ids)):
            for cid, hcode in Member.objects.filter(citizen_id__in=chunk).values_list("citizen_id", "household__code"):
                if hcode not in households:
                    issues.append(Issue(_("This citizen ID is already registered in household %(code)s.") % {"code": hcode},
                                        "members", seen_ids[cid], "citizen_id"))

    denominators = []
    seen_communes: dict[str, int] = {}
    for row in rows.get("denominators", []):
        v = row.values
        if row.bad:
            continue
        if not staff:
            issues.append(Issue(_("Only department staff can set denominators."), "denominators", row.number, "total_households"))
            continue
        if v["commune_code"] in seen_communes:
            issues.append(Issue(_("The commune appears twice (also row %(row)s).") % {"row": seen_communes[v["commune_code"]]},
                                "denominators", row.number, "commune_code"))
            continue
        seen_communes[v["commune_code"]] = row.number
        if v["total_households"] > MAX_DENOMINATOR or (v.get("total_persons") or 0) > MAX_DENOMINATOR:
            issues.append(Issue(_("More than %(n)s: check the number.") % {"n": f"{MAX_DENOMINATOR:,}"}, "denominators", row.number, "total_households"))
        if v["total_households"] < 0:
            issues.append(Issue(_("Total households must be a whole number, 0 or more."), "denominators", row.number, "total_households"))
        if (v.get("total_persons") or 0) < 0:
            issues.append(Issue(_("Total persons must be a whole number, 0 or more."), "denominators", row.number, "total_persons"))
        commune = commune_of(row, "denominators")
        if commune is not None:
            v["commune"] = commune
            denominators.append(row)

    # Area types as of the round; the file's `area` column may correct a commune's before it is assessed,
    # and then applies to the households of this same import.
    areas = areas_in_round(round=survey_round, commune_ids=[c.pk for c in communes.values()])
    area_changes: dict[int, tuple[str, str]] = {}
    importing: dict[int, set[int]] = defaultdict(set)
    for h in existing.values():
        importing[h["commune_id"]].add(h["id"])
    for row in denominators:
        commune, area = row.values["commune"], row.values.get("area")
        if not area or area == areas.get(commune.pk):
            continue
        blocker = round_area_change_blocker(round=survey_round, commune=commune, except_households=importing.get(commune.pk, ()))
        if blocker:
            issues.append(Issue(blocker, "denominators", row.number, "area"))
            continue
        area_changes[commune.pk] = (areas.get(commune.pk, commune.area_type), area)
        areas[commune.pk] = area

    # Hamlets by (commune, case-insensitive name); unknown names will be created.
    commune_ids = {r.values["commune"].pk for r in households.values() if "commune" in r.values}
    hamlets: dict[tuple[int, str], int] = {}
    for hid, cid, name in Hamlet.objects.filter(commune_id__in=commune_ids).values_list("id", "commune_id", "name"):
        hamlets[(cid, Hamlet.key(name))] = hid
    new_hamlets: dict[tuple[int, str], str] = {}
    for row in households.values():
        v = row.values
        if v["hamlet"] and "commune" in v:
            key = (v["commune"].pk, Hamlet.key(v["hamlet"]))
            if key not in hamlets and key not in new_hamlets:
                new_hamlets[key] = v["hamlet"]
    return _Plan(survey_round, communes, households, dict(members), denominators, existing, hamlets, new_hamlets, areas, area_changes)


def _head_issues(members: dict[str, list[Row]], households: dict[str, Row], incomplete: set[str]) -> list[Issue]:
    """Exactly one member of each household is its head (the rule of households.services.head_rule_errors), as row
    errors in the members sheet's relation column. A household with a member row that failed (`incomplete`) is left
    to that row's error."""
    issues = []
    for code, member_rows in members.items():
        if code in incomplete or code not in households:
            continue
        heads = [r for r in member_rows if r.values.get("relation") == Relation.HEAD]
        if not heads:
            issues.append(Issue(
                _("Household %(code)s has no head: mark one member's relation as head (chủ hộ).") % {"code": code},
                "members", member_rows[0].number, "relation",
            ))
        elif len(heads) > 1:
            rows = ", ".join(str(r.number) for r in heads)
            for r in heads:
                issues.append(Issue(
                    _("Household %(code)s has %(n)s members marked head (rows %(rows)s); only one can be the head.")
                    % {"code": code, "n": len(heads), "rows": rows},
                    "members", r.number, "relation",
                ))
    return issues


def _head_name_warnings(households: dict[str, Row], members: dict[str, list[Row]]) -> list[Issue]:
    """The household's head name is its head member's (as households.services stores it): where the households sheet
    names someone else, the member's name is kept and a warning says so."""
    found = []
    for code, row in households.items():
        heads = [r for r in members.get(code, ()) if r.values.get("relation") == Relation.HEAD]
        if len(heads) != 1 or not heads[0].values.get("full_name"):
            continue
        name = heads[0].values["full_name"]
        if fold(name) != fold(row.values.get("head_name")):
            found.append(Issue(
                _("The head of household is %(member)s (members sheet, row %(row)s), not %(given)s: the member's name is kept.")
                % {"member": name, "row": heads[0].number, "given": row.values.get("head_name") or "—"},
                "households", row.number, "head_name", severity="warning",
            ))
        row.values["head_name"] = name
    return found


def _consistency_warnings(survey_round: SurveyRound, households: dict[str, Row], members: dict[str, list[Row]]) -> list[Issue]:
    """Deprivations the household's members contradict (surveys.consistency): warnings on the households row."""
    code = survey_round.criteria_set.code
    if code not in CHECKED_SETS:
        return []
    found = []
    for household_code, row in households.items():
        member_rows = members.get(household_code)
        if not member_rows:
            continue
        facts = [{"birth_year": r.values.get("birth_year"), "able_to_work": r.values.get("able_to_work", True)} for r in member_rows]
        for warning in warnings_for(criteria_set_code=code, year=survey_round.year, deprived=row.values.get("deprived", ()), members=facts):
            found.append(Issue(warning.message, "households", row.number, "deprived", severity="warning"))
    return found


# ---------------------------------------------------------------- applying


def _member_values(row: Row) -> tuple:
    return tuple(row.values[k] for k in MEMBER_KEYS)


def _facts(member_id: int, values: tuple, group_codes: dict[int, str]) -> dict:
    m = dict(zip(MEMBER_KEYS, values, strict=True))
    # The same shape as surveys.services.member_facts, so assessments read alike however they were made.
    return {
        "id": member_id, "able_to_work": m["able_to_work"], "social_protection": m["social_protection"],
        "merit": m["merit"], "disability": m["disability"], "sex": m["sex"], "birth_year": m["birth_year"],
        "ethnicity": m["ethnicity"], "ethnic_group": group_codes.get(m["ethnic_group_id"]), "relation": m["relation"],
    }


def _execute(*, actor, plan: _Plan, result: ImportResult, write: bool, filename: str, progress: Progress | None) -> None:
    survey_round = plan.round
    criteria_set = survey_round.criteria_set
    spec = criteria_spec(criteria_set)
    indicators = {i.code: i for i in criteria_set.indicators.all()}
    order = {code: i.position for code, i in indicators.items()}
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None

    # Hamlets.
    code_of = {c.pk: code for code, c in plan.communes.items()}
    result.hamlets_created = sorted((code_of[cid], name) for (cid, _k), name in plan.new_hamlets.items())
    if write and plan.new_hamlets:
        created = Hamlet.objects.bulk_create([Hamlet.build(commune_id=cid, name=name) for (cid, _k), name in plan.new_hamlets.items()])
        for hamlet in created:
            plan.hamlets[(hamlet.commune_id, hamlet.name_key)] = hamlet.pk

    def hamlet_id(v: dict) -> int | None:
        return plan.hamlets.get((v["commune"].pk, Hamlet.key(v["hamlet"]))) if v["hamlet"] else None

    # Households.
    new_households, changed_households = [], []
    ids: dict[str, int] = {}
    for code, row in plan.households.items():
        v = row.values
        h = plan.existing.get(code)
        if h is None:
            result.households_created.append(code)
            new_households.append(Household(code=code, commune=v["commune"], hamlet_id=hamlet_id(v), head_name=v["head_name"], address=v["address"]))
            continue
        ids[code] = h["id"]
        target = (hamlet_id(v), v["head_name"], v["address"])
        if (h["hamlet_id"], h["head_name"], h["address"]) != target or (not write and v["hamlet"] and target[0] is None):
            result.households_updated.append(code)
            changed_households.append(
                Household(id=h["id"], hamlet_id=target[0], head_name=v["head_name"], address=v["address"], version=h["version"] + 1, updated_at=now)
            )
    if write:
        for batch in _chunks(new_households, 2000):
            for household in Household.objects.bulk_create(batch):
                ids[household.code] = household.pk
        if changed_households:
            Household.objects.bulk_update(changed_households, ["hamlet_id", "head_name", "address", "version", "updated_at"], batch_size=2000)
    if progress:
        progress("households", 1, 4)

    # Members: replaced only where the file's list differs from the registry's.
    group_codes = {g.pk: code for code, g in groups_by_code().items()}
    current: dict[int, list[tuple[int, tuple]]] = defaultdict(list)
    existing_ids = [h["id"] for h in plan.existing.values()]
    for chunk in _chunks(existing_ids):
        for mid, hid, *values in Member.objects.filter(household_id__in=chunk).order_by("household_id", "position", "id").values_list("id", "household_id", *MEMBER_KEYS):
            current[hid].append((mid, tuple(values)))
    facts_by_code: dict[str, list[dict]] = {}
    replace_households, new_members, new_member_owner = [], [], []
    for code, member_rows in plan.members.items():
        wanted = [_member_values(r) for r in member_rows]
        hid = ids.get(code)
        have = current.get(hid, []) if hid is not None and code in plan.existing else []
        if [values for _mid, values in have] == wanted:
            facts_by_code[code] = [_facts(mid, values, group_codes) for mid, values in have]
            continue
        if code in plan.existing:
            replace_households.append(hid)
            result.members_replaced += len(have)
        result.members_created += len(wanted)
        for position, values in enumerate(wanted, start=1):
            new_members.append(Member(household_id=hid, position=position, **dict(zip(MEMBER_KEYS, values, strict=True))))
            new_member_owner.append(code)
    if write:
        for chunk in _chunks(replace_households):
            Member.objects.filter(household_id__in=chunk).delete()
        Member.objects.bulk_create(new_members, batch_size=2000)
    for member, code in zip(new_members, new_member_owner, strict=True):
        facts_by_code.setdefault(code, []).append(_facts(member.pk, _member_values_of(member), group_codes))
    if write:  # the folded search column, kept as households.services keeps it (every household has member rows)
        touched = {*result.households_created, *result.households_updated, *new_member_owner}
        Household.objects.bulk_update([
            Household(pk=ids[code], search_key=household_search_key(
                code=code, head_name=row.values["head_name"],
                members=[(m.values["full_name"], m.values["citizen_id"]) for m in plan.members[code]],
            ))
            for code, row in plan.households.items()
            if code in touched
        ], ["search_key"], batch_size=2000)
    if progress:
        progress("members", 2, 4)

    # Assessments: classified by the one rule table, compared with what is stored.
    stored: dict[int, dict] = {}
    stored_codes: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(existing_ids):
        for a in Assessment.objects.filter(round=survey_round, household_id__in=chunk).values(
            "id", "household_id", "criteria_set_id", "commune_id", "hamlet_id", "area_type", "basis", "income_per_capita", "score_a",
            "score_b", "member_count",
            "able_to_work_count", "social_protection_count", "members_snapshot", "category", "group", "deprived_count",
            "explanation_vi", "explanation_en", "low_income_workers", "version",
        ):
            stored[a["household_id"]] = a
    through = Assessment.deprived_indicators.through
    stored_ids = [a["id"] for a in stored.values()]
    for chunk in _chunks(stored_ids):
        for aid, code in through.objects.filter(assessment_id__in=chunk).values_list("assessment_id", "indicator__code"):
            stored_codes[aid].append(code)

    creates, updates, deprived_of = [], [], {}
    categories: dict[str, int] = defaultdict(int)
    assessed: dict[str, list] = {}  # household code → [category before, category now]
    for code, row in plan.households.items():
        v = row.values
        commune = v["commune"]
        facts = facts_by_code[code]
        deprived = sorted(v["deprived"], key=lambda c: (order.get(c, 0), c))
        area = plan.areas.get(commune.pk, commune.area_type)
        member_facts = [cl.MemberFacts(f["able_to_work"], f["social_protection"]) for f in facts]
        score_a = v.get("score_a")
        res = cl.classify(
            spec, area=area, income=None if score_a is not None else v["income_per_capita"], score_a=score_a, deprived=deprived,
            members=member_facts,
        )
        categories[res.category.value] += 1
        target = {
            "criteria_set_id": criteria_set.pk, "commune_id": commune.pk, "hamlet_id": hamlet_id(v), "area_type": area,
            "basis": res.basis, "income_per_capita": v["income_per_capita"], "score_a": res.score_a, "score_b": res.score_b,
            "member_count": len(facts),
            "able_to_work_count": sum(1 for f in facts if f["able_to_work"]),
            "social_protection_count": sum(1 for f in facts if f["social_protection"]),
            "members_snapshot": facts, "category": res.category.value, "group": res.group.value if res.group else "",
            "deprived_count": res.deprived_count, "explanation_vi": res.explanation_vi, "explanation_en": res.explanation_en,
            "low_income_workers": cl.low_income_workers(
                spec, area=area, income=v["income_per_capita"], category=res.category, members=member_facts
            ),
        }
        hid = ids.get(code)
        old = stored.get(hid) if hid is not None else None
        if old is not None:
            same = all(old[k] == val for k, val in target.items()) and sorted(stored_codes.get(old["id"], [])) == sorted(deprived)
            if same:
                result.assessments_unchanged += 1
                continue
            result.assessments_updated += 1
            assessed[code] = [old["category"], target["category"]]
            updates.append(Assessment(id=old["id"], version=old["version"] + 1, assessed_by=user, updated_at=now, **target))
            deprived_of[("u", old["id"])] = deprived
        else:
            result.assessments_created += 1
            assessed[code] = [None, target["category"]]
            creates.append((code, target, deprived))
    result.categories = dict(categories)
    result.households_unchanged = len(plan.existing) - len(result.households_updated)
    if write:
        objs = [Assessment(household_id=ids[code], round=survey_round, assessed_by=user, **target) for code, target, _d in creates]
        Assessment.objects.bulk_create(objs, batch_size=2000)
        if updates:
            Assessment.objects.bulk_update(updates, ASSESSMENT_UPDATE_FIELDS, batch_size=1000)
            for chunk in _chunks([a.id for a in updates]):
                through.objects.filter(assessment_id__in=chunk).delete()
        links = [through(assessment_id=a.pk, indicator_id=indicators[c].pk) for a, (_code, _t, d) in zip(objs, creates, strict=True) for c in d]
        links += [through(assessment_id=a.id, indicator_id=indicators[c].pk) for a in updates for c in deprived_of[("u", a.id)]]
        through.objects.bulk_create(links, batch_size=5000)
        if round_additional_sets(survey_round):
            # Every assessment of the file, changed or not: results under a standard added since stay complete.
            assessment_ids = [a.pk for a in objs] + [old["id"] for old in stored.values()]
            standard_results_refresh(assessment_ids)
    if progress:
        progress("assessments", 3, 4)

    # Denominators.
    have = {d.commune_id: d for d in Denominator.objects.filter(round=survey_round, commune_id__in=[r.values["commune"].pk for r in plan.denominators])}
    new_den, changed_den = [], []
    for row in plan.denominators:
        commune, total = row.values["commune"], row.values["total_households"]
        persons = row.values.get("total_persons")
        d = have.get(commune.pk)
        if d is not None and d.total_households == total and d.total_persons == persons:
            continue
        result.denominators_set.append((commune.code, d.total_households if d else None, total))
        if d is None:
            new_den.append(Denominator(round=survey_round, commune=commune, total_households=total, total_persons=persons))
        else:
            d.total_households, d.total_persons = total, persons
            changed_den.append(d)
    result.areas_set = sorted((code_of[cid], old, new) for cid, (old, new) in plan.area_changes.items())
    if write:
        Denominator.objects.bulk_create(new_den)
        if changed_den:
            Denominator.objects.bulk_update(changed_den, ["total_households", "total_persons"])
        # Members replaced by the file are facts of this round only: other rounds keep their snapshots.
        for cid, (old, new) in plan.area_changes.items():
            RoundArea.objects.update_or_create(round=survey_round, commune_id=cid, defaults={"area_type": new})
            audit(actor=actor, action="round.area_set", target=survey_round, reason=filename,
                  changes={f"area[{code_of[cid]}]": [old, new]})
        _audit_households(actor=actor, plan=plan, ids=ids, result=result, assessed=assessed,
                          replaced={code for code in plan.existing if ids.get(code) in set(replace_households)}, filename=filename)
        if result.changed:
            audit(
                actor=actor, action="survey.imported", target=survey_round, reason=filename,
                changes={k: [None, v] for k, v in result.summary().items()},
            )
        result.applied = True
    if progress:
        progress("done", 4, 4)


def _audit_households(*, actor, plan: _Plan, ids: dict, result: ImportResult, assessed: dict, replaced: set, filename: str) -> None:
    """One audit event per household the import changed (created, updated, members replaced, assessment
    created or changed), in one bulk insert, so each household's history shows the import."""
    created, updated = set(result.households_created), set(result.households_updated)
    items = []
    for code, row in plan.households.items():
        if not (code in created or code in updated or code in replaced or code in assessed):
            continue
        changes: dict = {"round": [None, plan.round.code]}
        if code in created:
            changes["household"] = [None, "created"]
        elif code in updated:
            changes["household"] = ["", "hamlet, head or address updated"]
        if code in replaced or code in created:
            changes["members"] = [None, len(plan.members.get(code, []))]
        if code in assessed:
            changes["category"] = assessed[code]
        target = Household(pk=ids[code], code=code, head_name=row.values["head_name"])
        items.append((target, changes))
    audit_many(actor=actor, action="household.imported", items=items, reason=filename)


def _member_values_of(member: Member) -> tuple:
    return tuple(getattr(member, k) for k in MEMBER_KEYS)


def survey_import(
    *, actor, round: SurveyRound, path: Path | str, filename: str = "", apply: bool = True, progress: Progress | None = None,
) -> ImportResult:
    """Validate a survey workbook and, when `apply` and nothing is wrong, write it in one transaction.

    Raises FileProblem for a file that is not a readable survey workbook; every row-level problem is an
    Issue in the result (and then nothing is written)."""
    path = Path(path)
    if actor is not None and not can(actor, Action.IMPORT):
        raise PermissionDenied(_("You cannot import survey data."))
    if not round.is_open:
        raise FileProblem(_("The round %(round)s is closed for entry.") % {"round": round.code})
    rows, issues = read_workbook(path, progress=progress)
    if not issues and not any(rows.get(sheet) for sheet in SHEETS):
        # An empty workbook is a mistake (the wrong file, or the template as downloaded), not "nothing changed".
        raise FileProblem(_("The workbook has no data rows: fill in the households and members sheets (see the template)."))
    result = ImportResult(issues=issues)
    with transaction.atomic():
        if apply:
            # Lock the round row so two imports into the same round run one after the other.
            SurveyRound.objects.select_for_update().filter(pk=round.pk).first()
        plan = _plan(actor=actor, survey_round=round, rows=rows, issues=result.issues, warnings=result.warnings)
        for found in (result.issues, result.warnings):
            found.sort(key=lambda i: (list(SHEETS).index(i.sheet) if i.sheet in SHEETS else -1, i.row or 0, i.column))
        if result.issues:
            return result
        _execute(actor=actor, plan=plan, result=result, write=apply, filename=filename or path.name, progress=progress)
    return result


# ---------------------------------------------------------------- template and error copy

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
        communes = list(AdminUnit.objects.under(province).filter(structure=province.structure, level=Level.COMMUNE).order_by("code"))
        indicators = list(survey_round.criteria_set.indicators.order_by("position"))
    length = max(len(communes), len(indicators), len(Relation.values), 2)
    for i in range(length):
        c = communes[i] if i < len(communes) else None
        ind = indicators[i] if i < len(indicators) else None
        codes.append([
            c.code if c else None, c.name if c else None, c.area_type if c else None, None,
            ind.code if ind else None, ind.name_vi if ind else None, None,
            Relation.values[i] if i < len(Relation.values) else None, None,
            ["1", "0"][i] if i < 2 else None, None, ["M", "F"][i] if i < 2 else None,
        ])
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
        summary.append([issue.sheet, issue.row, issue.column, neutralise(issue.message),
                        _("warning") if issue.severity == "warning" else _("error")])
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


def write_survey_workbook(out, *, households: Iterable[dict], members: Iterable[dict], denominators: Iterable[dict] = (), labels: bool = False) -> None:
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
