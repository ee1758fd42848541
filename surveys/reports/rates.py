"""Report selectors: who may read which numbers, the selection a report is read in (round, unit, structure,
standard, decimals), the rate report, low-income workers and the trend of a unit. Deprivation and breakdowns:
surveys/reports/breakdowns.py; flows: surveys/reports/flows.py.

Every number is a set-based aggregation in the database (a few queries per report, whatever the number
of households). Rates are those of `surveys.selectors.rate` (integers, half up), so the report page,
its Excel/CSV exports and `/api/v1/rates/` agree digit for digit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from core.policy import Action, can
from households.models import AdminUnit, Level, Structure
from surveys.models import Assessment, ListEntry, ListStatus, SurveyRound
from surveys.selectors import DEFAULT_DECIMALS, MAX_DECIMALS, RateRow, rates_for, rates_total

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
            {
                "structure": _("The units of %(structure)s are not loaded for this province (load_units --structure 2025).")
                % {"structure": structure}
            }
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
        raise ValidationError(
            {
                "criteria": ValidationError(
                    _("%(code)s is not a standard of round %(round)s (its standards: %(codes)s).")
                    % {"code": code.strip()[:40], "round": round.code, "codes": ", ".join(s.code for s in round.standards())},
                    code="unknown",
                )
            }
        )
    if structure:
        raise ValidationError(
            {
                "criteria": ValidationError(
                    _("An additional standard is reported in the round's own units only."), code="conflicting_parameters"
                )
            }
        )
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
    *,
    round: SurveyRound,
    unit: AdminUnit,
    status: str = "approved",
    level: str | None = None,
    decimals: int = DEFAULT_DECIMALS,
    structure: str | None = None,
    criteria_set=None,
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
        round=round,
        unit=unit,
        level=level,
        status=status,
        rows=rows,
        total=total,
        decimals=decimals,
        structure=structure,
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
        rows = (
            StandardResult.objects.filter(round=round, criteria_set=criteria_set)
            if additional
            else Assessment.objects.filter(round=round)
        )
    found = rows.filter(commune_id__in=communes, low_income_workers__gt=0).aggregate(
        households=Count("id"), workers=Sum("low_income_workers")
    )
    return LowIncome(households=found["households"] or 0, workers=found["workers"] or 0)


def communes_in_scope(*, round: SurveyRound, unit: AdminUnit, status: str):
    """The communes under `unit` whose assessments a report reads: with an approved list, or all."""
    communes = AdminUnit.objects.under(unit).filter(level=Level.COMMUNE)
    if status == "approved":
        communes = communes.filter(commune_lists__round=round, commune_lists__status=ListStatus.APPROVED)
    return communes.order_by().values("pk").distinct()


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
    """ "x/N communes approved: provisional" for a total (a RateRow or TrendPoint) that leaves communes out; None
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
                round_code=survey_round.code,
                year=survey_round.year,
                total_households=total.total_households,
                poor=total.poor,
                poor_rate=total.poor_rate,
                near_poor=total.near_poor,
                near_poor_rate=total.near_poor_rate,
                communes=total.communes,
                communes_included=total.communes_included,
            )
        )
    return points
