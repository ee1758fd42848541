"""Report selectors: the deprivation table (poor and near-poor households deprived on each indicator) and the
breakdowns (ethnic minority, no working capacity, merit, female head, disability) of a round under a unit.
Approved numbers read the approved lists' frozen entries; status=all the live assessments. Set-based SQL."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from households.ethnicity import minority_sql
from households.models import AdminUnit, Level
from surveys.models import Assessment, Category, ListEntry, SurveyRound
from surveys.reports.rates import communes_in_scope
from surveys.selectors import rate


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
    from surveys.reports.flows import mapped_commune, source_rows

    communes = AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).values("pk")
    entries = source_rows("approved", [round.pk])
    if structure:
        return entries.annotate(unit_commune=mapped_commune(round.province.structure, structure)).filter(
            unit_commune__in=communes
        )
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
    *, round: SurveyRound, unit: AdminUnit, status: str = "approved", lang: str = "vi", structure: str | None = None
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
            poor, near = (
                by_code.get((Category.POOR.value, indicator.code), 0),
                by_code.get((Category.NEAR_POOR.value, indicator.code), 0),
            )
            rows.append(
                DeprivationRow(
                    code=indicator.code,
                    name=indicator.name(lang),
                    dimension=indicator.dimension,
                    poor=poor,
                    poor_rate=rate(poor, totals["poor"]),
                    near_poor=near,
                    near_poor_rate=rate(near, totals["near_poor"]),
                )
            )
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
                code=indicator.code,
                name=indicator.name(lang),
                dimension=indicator.dimension,
                poor=c["poor"],
                poor_rate=rate(c["poor"], totals["poor"]),
                near_poor=c["near_poor"],
                near_poor_rate=rate(c["near_poor"], totals["near_poor"]),
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
    "ethnic_minority": "head_ethnic_minority",
    "no_working_capacity": "no_working_capacity",
    "merit": "merit",
    "female_head": "head_female",
    "disability": "disability",
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


def breakdowns(
    *, round: SurveyRound, unit: AdminUnit, status: str = "approved", structure: str | None = None
) -> list[BreakdownRow]:
    """Poor and near-poor households by ethnic minority, no working capacity, merit, female head, disability.
    Approved numbers: one grouped query over the approved lists' frozen entries. status=all: one SQL query
    over the round's assessments and their member snapshots."""
    _no_live_regroup(status, structure)
    if status == "approved":
        aggregates = {key: Count("id", filter=Q(**{flag: True})) for key, flag in ENTRY_FLAGS.items()}
        found = {
            r["category"]: [r["n"], *(r[k] for k in BREAKDOWN_KEYS)]
            for r in approved_entries(round=round, unit=unit, structure=structure)
            .filter(category__in=[Category.POOR, Category.NEAR_POOR])
            .values("category")
            .annotate(n=Count("id"), **aggregates)
            .order_by()
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
