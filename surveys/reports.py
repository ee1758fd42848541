"""Report selectors: the rate report, deprivation table, breakdowns and trend of a round and a unit.

Every number is a set-based aggregation in the database (a few queries per report, whatever the number
of households). Rates are those of `surveys.selectors.rate` (integers, half up), so the report page,
its Excel/CSV exports and `/api/v1/rates/` agree digit for digit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from core.policy import Action, can
from households.ethnicity import minority_sql
from households.models import AdminUnit, Level, Structure
from surveys.models import Assessment, Category, ListEntry, ListStatus, SurveyRound
from surveys.selectors import DEFAULT_DECIMALS, MAX_DECIMALS, RateRow, rate, rates_for, rates_total

STATUSES = ("approved", "all")


def can_see_all(user) -> bool:
    """Whether the user is department staff somewhere (menus); live numbers of a round: `can_see_live`."""
    return can(user, Action.SEE_LIVE)


def can_see_live(user, round: SurveyRound) -> bool:
    """Unapproved (live) numbers of a round are for the department staff of its province, or of the province
    it became part of (or was formed from) on 1 July 2025; the web pages and the API ask this one question."""
    return can(user, Action.SEE_LIVE, round)


def can_see_reports(user) -> bool:
    """Aggregates of approved lists: any user holding a role (deny by default)."""
    return can(user, Action.READ_AGGREGATES)


def unit_in_round(round: SurveyRound, code: str | None) -> AdminUnit:
    """The unit with that code in the round's structure and province (the province when no code); else 404."""
    province = round.province
    if not code or code == province.code:
        return province
    unit = AdminUnit.objects.under(province).filter(structure=province.structure, code=code.strip()).first()
    if unit is None:
        raise Http404("unit")
    return unit


def parse_decimals(value) -> int:
    """The `decimals` parameter: 0 to 6 (default two); anything else is a 400 naming it."""
    if value in (None, ""):
        return DEFAULT_DECIMALS
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) <= MAX_DECIMALS:
        raise ValidationError({"decimals": _("decimals is a whole number from 0 to %(max)s.") % {"max": MAX_DECIMALS}})
    return int(text)


def read_structure(round: SurveyRound, structure: str | None) -> str | None:
    """The structure a round is read in, when it is not the round's own: only a legacy round read in the
    2025 structure (today's units) is possible. None means the round's own structure."""
    if not structure or structure == round.province.structure:
        return None
    if structure not in Structure.values:
        raise ValidationError({"structure": _("structure is legacy or 2025.")})
    if round.province.structure != Structure.LEGACY:
        raise ValidationError({"structure": _("A round of the 2025 structure cannot be read in the legacy structure.")})
    return structure


def provinces_read_in(round: SurveyRound, structure: str | None) -> list[AdminUnit]:
    """The provinces whose units a report of the round uses: its own, or its successors in `structure`."""
    if not structure:
        return [round.province]
    found = list(round.province.successors.filter(level=Level.PROVINCE, structure=structure).order_by("code"))
    if not found:
        raise ValidationError(
            {"structure": _("The units of %(structure)s are not loaded for this province (load_units --structure 2025).") % {"structure": structure}}
        )
    return found


def unit_read_in(round: SurveyRound, code: str | None, structure: str | None) -> AdminUnit | None:
    """The unit with that code in the structure the round is read in (its successor province when no
    code), or None when there is no such unit."""
    if not structure:
        try:
            return unit_in_round(round, code)
        except Http404:
            return None
    provinces = provinces_read_in(round, structure)
    if not code:
        return provinces[0]
    return (
        AdminUnit.objects.filter(structure=structure, code=code.strip())
        .filter(Q(pk__in=[p.pk for p in provinces]) | Q(parent__in=provinces))
        .first()
    )


def read_criteria(round: SurveyRound, code: str | None, *, structure: str | None = None):
    """The standard a report of the round is read under: None for the official set (the default, or its code), else
    one of the round's additional sets; any other code is an error naming `criteria`."""
    if not code or code.strip() == round.criteria_set.code:
        return None
    found = next((s for s in round.standards() if s.code == code.strip()), None)
    if found is None:
        raise ValidationError({"criteria": ValidationError(_("%(code)s is not a standard of round %(round)s (its standards: %(codes)s).") % {
            "code": code.strip()[:40], "round": round.code, "codes": ", ".join(s.code for s in round.standards())}, code="unknown")})
    if structure:
        raise ValidationError({"criteria": ValidationError(
            _("An additional standard is reported in the round's own units only."), code="conflicting_parameters")})
    return found


def child_level(unit: AdminUnit) -> str:
    """The level of a report's rows: districts under a legacy province, communes otherwise."""
    if unit.level == Level.PROVINCE and AdminUnit.objects.filter(parent=unit, level=Level.DISTRICT).exists():
        return Level.DISTRICT
    return Level.COMMUNE


@dataclass
class RateReport:
    round: SurveyRound
    unit: AdminUnit
    level: str
    status: str
    rows: list[RateRow]
    total: RateRow
    decimals: int = DEFAULT_DECIMALS
    structure: str | None = None
    criteria_set: object = None  # an additional standard of the round; None: the official set

    @property
    def standard(self):
        return self.criteria_set or self.round.criteria_set


def rate_report(
    *, round: SurveyRound, unit: AdminUnit, status: str = "approved", level: str | None = None,
    decimals: int = DEFAULT_DECIMALS, structure: str | None = None, criteria_set=None,
) -> RateReport:
    """One row per child unit and the total row, exactly as `rates_for` computes them for the API."""
    level = level or child_level(unit)
    rows = rates_for(
        round=round, unit=unit, level=level, status=status, decimals=decimals, structure=structure, criteria_set=criteria_set
    )
    if unit.level == level:
        rows = [r for r in rows if r.unit_code == unit.code]
    total = rates_total(rows, unit=unit, decimals=decimals)
    return RateReport(
        round=round, unit=unit, level=level, status=status, rows=rows, total=total, decimals=decimals, structure=structure,
        criteria_set=criteria_set,
    )


@dataclass
class LowIncome:
    households: int
    workers: int


def low_income_workers(*, round: SurveyRound, unit: AdminUnit, status: str = "approved", criteria_set=None) -> LowIncome | None:
    """Decree 30/2025's low-income workers under `unit`: households neither poor nor near-poor with such workers, and
    the workers; None when the standard declares no low-income line. One aggregate query."""
    from surveys.models import EntryResult, StandardResult, latest_approved_lists

    standard = criteria_set or round.criteria_set
    if not standard.counts_low_income_workers:
        return None
    communes = AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).values("pk")
    additional = criteria_set is not None and criteria_set.pk != round.criteria_set_id
    if status == "approved":
        if additional:
            lists = list(latest_approved_lists(round_id=round.pk).values_list("pk", flat=True))
            rows = EntryResult.objects.filter(commune_list_id__in=lists, criteria_set=criteria_set)
        else:
            rows = ListEntry.objects.approved(round_ids=[round.pk])
    else:
        rows = StandardResult.objects.filter(round=round, criteria_set=criteria_set) if additional else Assessment.objects.filter(round=round)
    found = rows.filter(commune_id__in=communes, low_income_workers__gt=0).aggregate(households=Count("id"), workers=Sum("low_income_workers"))
    return LowIncome(households=found["households"] or 0, workers=found["workers"] or 0)


def communes_in_scope(*, round: SurveyRound, unit: AdminUnit, status: str):
    """The communes under `unit` whose assessments a report reads: with an approved list, or all."""
    communes = AdminUnit.objects.under(unit).filter(level=Level.COMMUNE)
    if status == "approved":
        communes = communes.filter(commune_lists__round=round, commune_lists__status=ListStatus.APPROVED)
    return communes.order_by().values("pk").distinct()


@dataclass
class DeprivationRow:
    code: str
    name: str
    dimension: str
    poor: int
    poor_rate: str | None
    near_poor: int
    near_poor_rate: str | None


@dataclass
class DeprivationTable:
    poor_total: int
    near_poor_total: int
    rows: list[DeprivationRow]


def approved_entries(*, round: SurveyRound, unit: AdminUnit, structure: str | None = None):
    """The frozen entries of the latest approved lists of the communes under `unit` in the round (with a
    `structure`, `unit` is of that structure and entries are placed by re-homing, as in regrouped rates)."""
    from surveys.flows import mapped_commune, source_rows

    communes = AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).values("pk")
    entries = source_rows("approved", [round.pk])
    if structure:
        return entries.annotate(unit_commune=mapped_commune(round.province.structure, structure)).filter(unit_commune__in=communes)
    return entries.filter(commune__in=communes)


def _no_live_regroup(status: str, structure: str | None) -> None:
    if structure and status != "approved":
        raise ValidationError({"structure": _("In today's units this table shows approved numbers only.")})


def _entry_deprivation_counts(entries) -> dict[tuple[str, str], int]:
    """(category, indicator code) → households, from the entries' frozen deprived codes (one SQL query)."""
    try:
        sql, params = entries.filter(category__in=[Category.POOR, Category.NEAR_POOR]).values("pk").query.sql_with_params()
    except EmptyResultSet:  # no approved list at all
        return {}
    table = ListEntry._meta.db_table
    if connection.vendor == "postgresql":
        source, value = "jsonb_array_elements_text(e.deprived::jsonb) AS d(code)", "d.code"
    else:
        source, value = "json_each(e.deprived) AS d", "d.value"
    query = f"SELECT e.category, {value}, COUNT(*) FROM {table} e, {source} WHERE e.id IN ({sql}) GROUP BY e.category, {value}"
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {(category, code): n for category, code, n in cursor.fetchall()}


def deprivation_table(
    *, round: SurveyRound, unit: AdminUnit, status: str = "approved", lang: str = "vi", structure: str | None = None,
) -> DeprivationTable:
    """Per indicator of the round's criteria set: poor and near-poor households deprived on it (count, %).
    Approved numbers read the approved lists' frozen entries; status=all the live assessments."""
    _no_live_regroup(status, structure)
    if status == "approved":
        entries = approved_entries(round=round, unit=unit, structure=structure)
        totals = entries.aggregate(
            poor=Count("id", filter=Q(category=Category.POOR)), near_poor=Count("id", filter=Q(category=Category.NEAR_POOR))
        )
        by_code = _entry_deprivation_counts(entries)
        rows = []
        for indicator in round.criteria_set.indicators.order_by("position", "code"):
            poor, near = by_code.get((Category.POOR.value, indicator.code), 0), by_code.get((Category.NEAR_POOR.value, indicator.code), 0)
            rows.append(DeprivationRow(
                code=indicator.code, name=indicator.name(lang), dimension=indicator.dimension,
                poor=poor, poor_rate=rate(poor, totals["poor"]), near_poor=near, near_poor_rate=rate(near, totals["near_poor"]),
            ))
        return DeprivationTable(poor_total=totals["poor"], near_poor_total=totals["near_poor"], rows=rows)
    communes = communes_in_scope(round=round, unit=unit, status=status)
    scope = Assessment.objects.filter(round=round, commune__in=communes, category__in=[Category.POOR, Category.NEAR_POOR])
    totals = scope.aggregate(
        poor=Count("id", filter=Q(category=Category.POOR)), near_poor=Count("id", filter=Q(category=Category.NEAR_POOR))
    )
    through = Assessment.deprived_indicators.through
    counts = {
        r["indicator_id"]: r
        for r in through.objects.filter(assessment__in=scope)
        .values("indicator_id")
        .annotate(
            poor=Count("id", filter=Q(assessment__category=Category.POOR)),
            near_poor=Count("id", filter=Q(assessment__category=Category.NEAR_POOR)),
        )
        .order_by()
    }
    rows = []
    for indicator in round.criteria_set.indicators.order_by("position", "code"):
        c = counts.get(indicator.pk, {"poor": 0, "near_poor": 0})
        rows.append(
            DeprivationRow(
                code=indicator.code, name=indicator.name(lang), dimension=indicator.dimension,
                poor=c["poor"], poor_rate=rate(c["poor"], totals["poor"]),
                near_poor=c["near_poor"], near_poor_rate=rate(c["near_poor"], totals["near_poor"]),
            )
        )
    return DeprivationTable(poor_total=totals["poor"], near_poor_total=totals["near_poor"], rows=rows)


# Breakdowns read the member facts each assessment was decided on (its `members_snapshot`), so a
# round's breakdown never changes when a household's members are edited later. "Ethnic minority"
# follows the report forms: the household head's group is not Kinh (households.ethnicity, the one definition:
# the snapshot's group code, or for snapshots made before groups were coded, their text). "Female head": the member
# recorded as head is female. "Merit family": some member is a person with revolutionary merit.
# "No working capacity": no member able to work (able_to_work_count = 0).
BREAKDOWN_KEYS = ("ethnic_minority", "no_working_capacity", "merit", "female_head", "disability")


def _snapshot_sql() -> tuple[str, str]:
    """(member set expression, element accessor format) for the database in use."""
    if connection.vendor == "postgresql":
        return "jsonb_array_elements(a.members_snapshot) AS m", "m->>'{}'"
    return "json_each(a.members_snapshot) AS m", "json_extract(m.value, '$.{}')"


def _flag_true(accessor: str) -> str:
    if connection.vendor == "postgresql":
        return f"{accessor} = 'true'"
    return f"{accessor} = 1"


@dataclass
class BreakdownRow:
    category: str
    households: int
    ethnic_minority: int
    ethnic_minority_rate: str | None
    no_working_capacity: int
    no_working_capacity_rate: str | None
    merit: int
    merit_rate: str | None
    female_head: int
    female_head_rate: str | None
    disability: int
    disability_rate: str | None


ENTRY_FLAGS = {
    "ethnic_minority": "head_ethnic_minority", "no_working_capacity": "no_working_capacity", "merit": "merit",
    "female_head": "head_female", "disability": "disability",
}


def _rows_of(found: dict[str, list[int]]) -> list[BreakdownRow]:
    out = []
    for category in (Category.POOR, Category.NEAR_POOR):
        total, *values = found.get(category.value, [0] * 6)
        fields = {}
        for key, value in zip(BREAKDOWN_KEYS, values, strict=True):
            fields[key], fields[f"{key}_rate"] = value, rate(value, total)
        out.append(BreakdownRow(category=category.value, households=total, **fields))
    return out


def breakdowns(*, round: SurveyRound, unit: AdminUnit, status: str = "approved", structure: str | None = None) -> list[BreakdownRow]:
    """Poor and near-poor households by ethnic minority, no working capacity, merit, female head, disability.
    Approved numbers: one grouped query over the approved lists' frozen entries. status=all: one SQL query
    over the round's assessments and their member snapshots."""
    _no_live_regroup(status, structure)
    if status == "approved":
        aggregates = {key: Count("id", filter=Q(**{flag: True})) for key, flag in ENTRY_FLAGS.items()}
        found = {
            r["category"]: [r["n"], *(r[k] for k in BREAKDOWN_KEYS)]
            for r in approved_entries(round=round, unit=unit, structure=structure).filter(category__in=[Category.POOR, Category.NEAR_POOR])
            .values("category").annotate(n=Count("id"), **aggregates).order_by()
        }
        return _rows_of(found)
    source, el = _snapshot_sql()
    relation, sex = el.format("relation"), el.format("sex")
    minority = minority_sql(el.format("ethnic_group"), el.format("ethnicity"))
    merit, disability = _flag_true(el.format("merit")), _flag_true(el.format("disability"))
    communes_sql, communes_params = communes_in_scope(round=round, unit=unit, status=status).query.sql_with_params()
    sql = f"""
        SELECT a.category, COUNT(*),
          SUM(CASE WHEN EXISTS (SELECT 1 FROM {source} WHERE {relation} = 'head' AND {minority}) THEN 1 ELSE 0 END),
          SUM(CASE WHEN a.able_to_work_count = 0 THEN 1 ELSE 0 END),
          SUM(CASE WHEN EXISTS (SELECT 1 FROM {source} WHERE {merit}) THEN 1 ELSE 0 END),
          SUM(CASE WHEN EXISTS (SELECT 1 FROM {source} WHERE {relation} = 'head' AND {sex} = 'F') THEN 1 ELSE 0 END),
          SUM(CASE WHEN EXISTS (SELECT 1 FROM {source} WHERE {disability}) THEN 1 ELSE 0 END)
        FROM {Assessment._meta.db_table} a
        WHERE a.round_id = %s AND a.category IN (%s, %s) AND a.commune_id IN ({communes_sql})
        GROUP BY a.category
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [round.pk, Category.POOR.value, Category.NEAR_POOR.value, *communes_params])
        found = {row[0]: [int(v or 0) for v in row[1:]] for row in cursor.fetchall()}
    return _rows_of(found)


@dataclass
class TrendPoint:
    round_code: str
    year: int
    total_households: int
    poor: int
    poor_rate: str | None
    near_poor: int
    near_poor_rate: str | None
    communes: int = 0
    communes_included: int = 0

    @property
    def provisional(self) -> bool:
        """Fewer than all of the unit's communes are counted: the total is provisional."""
        return self.communes_included < self.communes


def coverage(row) -> dict | None:
    """"x/N communes approved: provisional" for a total (a RateRow or TrendPoint) that leaves communes out; None
    when every commune is in."""
    if row is None or row.communes_included >= row.communes:
        return None
    return {"included": row.communes_included, "communes": row.communes}


def coverage_text(row, language: str, *, approved: bool = True) -> str:
    """The coverage line for exports (page templates phrase it themselves)."""
    c = coverage(row)
    if c is None:
        return ""
    if language == "vi":
        what = "xã có danh sách đã phê duyệt" if approved else "xã có số liệu"
        return f"{c['included']}/{c['communes']} {what} — số liệu tạm tính"
    what = "communes approved" if approved else "communes with data"
    return f"{c['included']}/{c['communes']} {what}: provisional"


def trend_rounds(unit: AdminUnit) -> list[tuple[SurveyRound, str | None]]:
    """The rounds of the unit's province, oldest first, each with the structure to read it in: a unit of the
    2025 structure also gets the rounds of the provinces its province absorbed, read in today's units."""
    province = unit.province if unit.level != Level.PROVINCE else unit
    rounds = [(r, None) for r in SurveyRound.objects.filter(province=province).select_related("province")]
    if province.structure != "legacy":
        old = AdminUnit.objects.filter(successors=province, level=Level.PROVINCE)
        rounds += [(r, province.structure) for r in SurveyRound.objects.filter(province__in=old).select_related("province")]
    return sorted(rounds, key=lambda pair: (pair[0].year, pair[0].starts_on, pair[0].code))


def trend(*, unit: AdminUnit, status: str = "approved", decimals: int = DEFAULT_DECIMALS) -> list[TrendPoint]:
    """The unit's rates in every round of its province, oldest first (a few queries per round), across the
    1 July 2025 boundary for units of today's structure."""
    points = []
    for survey_round, structure in trend_rounds(unit):
        rows = rates_for(round=survey_round, unit=unit, level=unit.level, status=status, decimals=decimals, structure=structure)
        total = rates_total([r for r in rows if r.unit_code == unit.code], unit=unit, decimals=decimals)
        points.append(
            TrendPoint(
                round_code=survey_round.code, year=survey_round.year, total_households=total.total_households,
                poor=total.poor, poor_rate=total.poor_rate, near_poor=total.near_poor, near_poor_rate=total.near_poor_rate,
                communes=total.communes, communes_included=total.communes_included,
            )
        )
    return points
