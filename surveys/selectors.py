"""Reads for surveys: scoped querysets and set-based report aggregation (no Python loops over households)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from households.models import AdminUnit, Household, HouseholdStatus, Level, Member
from surveys.models import Assessment, Category, CommuneList, Denominator, Group, ListStatus, SurveyRound

COUNT_FIELDS = ("poor", "poverty_reduction", "social_protection", "near_poor", "poor_persons", "near_poor_persons")


def rate(count: int, denominator: int) -> str | None:
    """count / denominator × 100 with two decimals, rounded half up, from integers only."""
    if not denominator:
        return None
    hundredths = (count * 10000 * 2 + denominator) // (2 * denominator)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@dataclass
class RateRow:
    unit_code: str
    unit_name: str
    level: str
    total_households: int
    poor: int
    poor_rate: str | None
    poverty_reduction: int
    poverty_reduction_rate: str | None
    social_protection: int
    social_protection_rate: str | None
    near_poor: int
    near_poor_rate: str | None
    total_persons: int
    poor_persons: int
    poor_persons_rate: str | None
    near_poor_persons: int
    near_poor_persons_rate: str | None
    communes: int
    communes_included: int

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_counts(cls, unit: AdminUnit, counts: dict) -> RateRow:
        """A row from integer counts; every rate is computed here and nowhere else."""
        total = counts.get("total_households", 0)
        persons = counts.get("total_persons", 0)
        c = {f: counts.get(f, 0) for f in (*COUNT_FIELDS, "communes", "communes_included")}
        return cls(
            unit_code=unit.code, unit_name=unit.name, level=unit.level, total_households=total,
            poor=c["poor"], poor_rate=rate(c["poor"], total),
            poverty_reduction=c["poverty_reduction"], poverty_reduction_rate=rate(c["poverty_reduction"], total),
            social_protection=c["social_protection"], social_protection_rate=rate(c["social_protection"], total),
            near_poor=c["near_poor"], near_poor_rate=rate(c["near_poor"], total),
            total_persons=persons,
            poor_persons=c["poor_persons"], poor_persons_rate=rate(c["poor_persons"], persons),
            near_poor_persons=c["near_poor_persons"], near_poor_persons_rate=rate(c["near_poor_persons"], persons),
            communes=c["communes"], communes_included=c["communes_included"],
        )


def live_commune_counts(*, round: SurveyRound, commune_ids) -> dict[int, dict[str, int]]:
    """Per commune: poor (and its two groups), near-poor, and persons, from the round's assessments."""
    poor = Q(category=Category.POOR)
    near = Q(category=Category.NEAR_POOR)
    rows = (
        Assessment.objects.filter(round=round, commune_id__in=commune_ids, category__in=[Category.POOR, Category.NEAR_POOR])
        .values("commune_id")
        .annotate(
            poor=Count("id", filter=poor),
            poverty_reduction=Count("id", filter=poor & Q(group=Group.POVERTY_REDUCTION)),
            social_protection=Count("id", filter=poor & Q(group=Group.SOCIAL_PROTECTION)),
            near_poor=Count("id", filter=near),
            poor_persons=Coalesce(Sum("member_count", filter=poor), 0),
            near_poor_persons=Coalesce(Sum("member_count", filter=near), 0),
        )
        .order_by()
    )
    return {r.pop("commune_id"): r for r in rows}


def _entered_or_registered(*, round: SurveyRound, commune_ids, field: str, registered, commune_path: str) -> dict[int, int]:
    """Per commune: the round's entered denominator `field`, else the count of `registered` rows."""
    entered = dict(
        Denominator.objects.filter(round=round, commune_id__in=commune_ids, **{f"{field}__isnull": False})
        .values_list("commune_id", field)
    )
    missing = [c for c in commune_ids if c not in entered]
    if missing:
        counted = dict(
            registered.filter(**{f"{commune_path}__in": missing})
            .values(commune_path)
            .annotate(n=Count("id"))
            .order_by()
            .values_list(commune_path, "n")
        )
        entered.update({c: counted.get(c, 0) for c in missing})
    return entered


def denominators_for(*, round: SurveyRound, commune_ids) -> dict[int, int]:
    """Entered denominators, and registered active households where none was entered."""
    return _entered_or_registered(
        round=round, commune_ids=commune_ids, field="total_households",
        registered=Household.objects.filter(status=HouseholdStatus.ACTIVE), commune_path="commune_id",
    )


def persons_denominators_for(*, round: SurveyRound, commune_ids) -> dict[int, int]:
    """Entered total persons, and members of registered active households where none was entered."""
    return _entered_or_registered(
        round=round, commune_ids=commune_ids, field="total_persons",
        registered=Member.objects.filter(household__status=HouseholdStatus.ACTIVE), commune_path="household__commune_id",
    )


def approved_commune_counts(*, round: SurveyRound, commune_ids) -> dict[int, dict[str, int]]:
    """Counts frozen at approval, from each commune's latest approved revision (denominators included; total
    persons is 0 for lists approved before it was frozen)."""
    latest: dict[int, CommuneList] = {}
    for cl in CommuneList.objects.filter(round=round, commune_id__in=commune_ids, status=ListStatus.APPROVED).only(
        "commune_id", "revision", "total_households", "total_persons", *COUNT_FIELDS
    ):
        if cl.commune_id not in latest or cl.revision > latest[cl.commune_id].revision:
            latest[cl.commune_id] = cl
    return {
        cid: {
            "total_households": cl.total_households or 0,
            "total_persons": cl.total_persons or 0,
            **{f: getattr(cl, f) or 0 for f in COUNT_FIELDS},
        }
        for cid, cl in latest.items()
    }


def round_units(round: SurveyRound) -> dict[str, AdminUnit]:
    return {u.code: u for u in AdminUnit.objects.under(round.province)}


def rates_for(*, round: SurveyRound, unit: AdminUnit, level: str, status: str = "approved") -> list[RateRow]:
    """Rate rows for every unit of `level` at or under `unit` in the round: a handful of queries."""
    communes = list(
        AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).select_related("parent").order_by("code")
    )
    ids = [c.pk for c in communes]
    if status == "all":
        counts = live_commune_counts(round=round, commune_ids=ids)
        denominators = denominators_for(round=round, commune_ids=ids)
        persons = persons_denominators_for(round=round, commune_ids=ids)
        included = set(ids)
    else:
        frozen = approved_commune_counts(round=round, commune_ids=ids)
        counts = frozen
        denominators = {cid: row["total_households"] for cid, row in frozen.items()}
        persons = {cid: row["total_persons"] for cid, row in frozen.items()}
        included = set(frozen)

    return rows_from_counts(
        unit=unit, level=level, communes=communes, counts=counts, denominators=denominators, persons=persons, included=included
    )


def report_unit_of(commune: AdminUnit, *, unit: AdminUnit, level: str) -> AdminUnit:
    """The row a commune's numbers go to in a report of `level` under `unit` (2025 communes have no district)."""
    if level == Level.COMMUNE:
        return commune
    if level == Level.DISTRICT:
        return commune.parent if commune.parent and commune.parent.level == Level.DISTRICT else commune
    return unit


def rows_from_counts(
    *,
    unit: AdminUnit,
    level: str,
    communes: list[AdminUnit],
    counts: dict,
    denominators: dict,
    persons: dict | None = None,
    included: set | None = None,
) -> list[RateRow]:
    """Sum per-commune counts into one row per unit of `level` (communes, their districts, or `unit` itself);
    a Python pass over commune rows, never over households. `denominators` are total households and
    `persons` total persons per commune (persons rates are null when it is not given)."""

    buckets: dict[int, dict] = {}
    order: list[AdminUnit] = []
    for commune in communes:
        key = report_unit_of(commune, unit=unit, level=level)
        if key.pk not in buckets:
            buckets[key.pk] = defaultdict(int)
            order.append(key)
        bucket = buckets[key.pk]
        bucket["communes"] += 1
        if included is not None and commune.pk not in included:
            continue
        bucket["communes_included"] += 1
        bucket["total_households"] += denominators.get(commune.pk, 0)
        bucket["total_persons"] += (persons or {}).get(commune.pk, 0)
        for f in COUNT_FIELDS:
            bucket[f] += counts.get(commune.pk, {}).get(f, 0)
    if level == Level.PROVINCE and not order:
        buckets[unit.pk] = defaultdict(int)
        order.append(unit)
    return [RateRow.from_counts(key, buckets[key.pk]) for key in order]


def rates_total(rows: list[RateRow], *, unit: AdminUnit) -> RateRow:
    """The total row of a report: sums of the integer counts, rates recomputed from them."""
    fields = ("total_households", "total_persons", *COUNT_FIELDS, "communes", "communes_included")
    return RateRow.from_counts(unit, {f: sum(getattr(r, f) for r in rows) for f in fields})


def assessments_visible(user):
    return Assessment.objects.visible_to(user).select_related("household", "round", "commune", "hamlet")
