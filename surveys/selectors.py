"""Reads for surveys: scoped querysets and set-based report aggregation (no Python loops over households)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from households.models import AdminUnit, Household, HouseholdStatus, Level
from surveys.models import Assessment, Category, CommuneList, Denominator, Group, ListStatus, SurveyRound

COUNT_FIELDS = ("poor", "poverty_reduction", "social_protection", "near_poor", "poor_persons", "near_poor_persons")


DEFAULT_DECIMALS = 2
MAX_DECIMALS = 6


def rate(count: int, denominator: int, decimals: int = DEFAULT_DECIMALS) -> str | None:
    """count / denominator × 100 with `decimals` decimals (two by default), rounded half up, from integers only."""
    if not denominator:
        return None
    scale = 10**decimals
    units = (count * 100 * scale * 2 + denominator) // (2 * denominator)
    if not decimals:
        return str(units)
    return f"{units // scale}.{units % scale:0{decimals}d}"


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
    def from_counts(cls, unit: AdminUnit, counts: dict, decimals: int = DEFAULT_DECIMALS) -> RateRow:
        """A row from integer counts; every rate is computed here and nowhere else."""
        total = counts.get("total_households", 0)
        persons = counts.get("total_persons", 0)
        c = {f: counts.get(f, 0) for f in (*COUNT_FIELDS, "communes", "communes_included")}

        def pct(count: int, denominator: int) -> str | None:
            return rate(count, denominator, decimals)

        return cls(
            unit_code=unit.code,
            unit_name=unit.name,
            level=unit.level,
            total_households=total,
            poor=c["poor"],
            poor_rate=pct(c["poor"], total),
            poverty_reduction=c["poverty_reduction"],
            poverty_reduction_rate=pct(c["poverty_reduction"], total),
            social_protection=c["social_protection"],
            social_protection_rate=pct(c["social_protection"], total),
            near_poor=c["near_poor"],
            near_poor_rate=pct(c["near_poor"], total),
            total_persons=persons,
            poor_persons=c["poor_persons"],
            poor_persons_rate=pct(c["poor_persons"], persons),
            near_poor_persons=c["near_poor_persons"],
            near_poor_persons_rate=pct(c["near_poor_persons"], persons),
            communes=c["communes"],
            communes_included=c["communes_included"],
        )


def count_aggregates() -> dict:
    """The COUNT_FIELDS as aggregates over assessments or list entries (the same columns on both)."""
    poor = Q(category=Category.POOR)
    near = Q(category=Category.NEAR_POOR)
    return {
        "poor": Count("id", filter=poor),
        "poverty_reduction": Count("id", filter=poor & Q(group=Group.POVERTY_REDUCTION)),
        "social_protection": Count("id", filter=poor & Q(group=Group.SOCIAL_PROTECTION)),
        "near_poor": Count("id", filter=near),
        "poor_persons": Coalesce(Sum("member_count", filter=poor), 0),
        "near_poor_persons": Coalesce(Sum("member_count", filter=near), 0),
    }


def live_commune_counts(*, round: SurveyRound, commune_ids) -> dict[int, dict[str, int]]:
    """Per commune: poor (and its two groups), near-poor, and persons, from the round's assessments."""
    rows = (
        Assessment.objects.filter(round=round, commune_id__in=commune_ids, category__in=[Category.POOR, Category.NEAR_POOR])
        .values("commune_id")
        .annotate(**count_aggregates())
        .order_by()
    )
    return {r.pop("commune_id"): r for r in rows}


def _entered_or_registered(
    *, round: SurveyRound, commune_ids, field: str, registered, commune_path: str, counted=None
) -> dict[int, int]:
    """Per commune: the round's entered denominator `field`, else the count of `registered` rows."""
    entered = dict(
        Denominator.objects.filter(round=round, commune_id__in=commune_ids, **{f"{field}__isnull": False}).values_list(
            "commune_id", field
        )
    )
    missing = [c for c in commune_ids if c not in entered]
    if missing:
        counted = dict(
            registered.filter(**{f"{commune_path}__in": missing})
            .values(commune_path)
            .annotate(n=counted if counted is not None else Count("id"))
            .order_by()
            .values_list(commune_path, "n")
        )
        entered.update({c: counted.get(c, 0) for c in missing})
    return entered


def denominators_for(*, round: SurveyRound, commune_ids) -> dict[int, int]:
    """Entered denominators, and registered active households where none was entered."""
    return _entered_or_registered(
        round=round,
        commune_ids=commune_ids,
        field="total_households",
        registered=Household.objects.filter(status=HouseholdStatus.ACTIVE),
        commune_path="commune_id",
    )


def persons_denominators_for(*, round: SurveyRound, commune_ids) -> dict[int, int]:
    """Entered total persons, and members of registered active households where none was entered."""
    return _entered_or_registered(
        round=round,
        commune_ids=commune_ids,
        field="total_persons",
        registered=Household.objects.filter(status=HouseholdStatus.ACTIVE),
        commune_path="commune_id",
        counted=Sum("member_count"),  # each household's own count (kept by the services): no national members scan
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


def standard_commune_counts(*, round: SurveyRound, criteria_set, commune_ids, status: str) -> dict[int, dict[str, int]]:
    """Per commune, the counts under one of the round's additional standards: from the results frozen with the
    approved lists, or (status=all) from the live results. The same aggregates as the official counts."""
    from surveys.models import EntryResult, StandardResult, latest_approved_lists

    if status == "all":
        rows = StandardResult.objects.filter(round=round, criteria_set=criteria_set)
    else:
        lists = list(latest_approved_lists(round_id=round.pk).values_list("pk", flat=True))
        rows = EntryResult.objects.filter(commune_list_id__in=lists, criteria_set=criteria_set)
    rows = (
        rows.filter(commune_id__in=commune_ids, category__in=[Category.POOR, Category.NEAR_POOR])
        .values("commune_id")
        .annotate(**count_aggregates())
        .order_by()
    )
    return {r.pop("commune_id"): r for r in rows}


def rates_for(
    *,
    round: SurveyRound,
    unit: AdminUnit,
    level: str,
    status: str = "approved",
    decimals: int = DEFAULT_DECIMALS,
    structure: str | None = None,
    criteria_set=None,
) -> list[RateRow]:
    """Rate rows for every unit of `level` at or under `unit` in the round: a handful of queries. With a
    `structure` other than the round's, `unit` is a unit of that structure and the round's households are
    regrouped into it (`regrouped_commune_counts`). With `criteria_set`, one of the round's additional
    standards, the counts are those under it (the denominators and the communes included stay the round's)."""
    communes = list(AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).select_related("parent").order_by("code"))
    ids = [c.pk for c in communes]
    if structure and structure != round.province.structure:
        counts, denominators, persons = regrouped_commune_counts(round=round, status=status, structure=structure)
        # Only the new communes that took in the round's households (a merged province has many others).
        communes = [c for c in communes if c.pk in counts or c.pk in denominators]
        included = {c.pk for c in communes}
    elif status == "all":
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
    if criteria_set is not None and criteria_set.pk != round.criteria_set_id:
        if structure and structure != round.province.structure:
            raise ValueError("an additional standard is read in the round's own units")
        counts = standard_commune_counts(round=round, criteria_set=criteria_set, commune_ids=ids, status=status)

    return rows_from_counts(
        unit=unit,
        level=level,
        communes=communes,
        counts=counts,
        denominators=denominators,
        persons=persons,
        included=included,
        decimals=decimals,
    )


def _split(total: int, weights: dict[int, int]) -> dict[int, int]:
    """`total` split over the keys in proportion to `weights`, in integers that sum to `total` (largest remainder)."""
    weight_sum = sum(weights.values())
    if not weight_sum:
        return {}
    shares = {k: total * w // weight_sum for k, w in weights.items()}
    rest = total - sum(shares.values())
    by_remainder = sorted(weights, key=lambda k: (-(total * weights[k] % weight_sum), k))
    for k in by_remainder[:rest]:
        shares[k] += 1
    return shares


def regrouped_commune_counts(*, round: SurveyRound, status: str, structure: str) -> tuple[dict, dict, dict]:
    """A round read in another unit structure (a legacy round in today's communes): per commune of `structure`,
    the counts of the approved entries (or, with status=all, the live assessments), each household placed
    where it was re-homed from its commune (else the commune's lowest-coded successor). A legacy commune's
    denominators (households, persons) are split over the new communes in proportion to its households
    placed there (exact when the commune was not split). Returns (counts, households, persons) by commune id."""
    from surveys.reports.flows import mapped_commune, source_rows

    rows = (
        source_rows(status, [round.pk])
        .annotate(unit_commune=mapped_commune(round.province.structure, structure))
        .exclude(unit_commune=None)
        .values("commune_id", "unit_commune")
        .annotate(households=Count("id"), **count_aggregates())
        .order_by()
    )
    counts: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    weights: dict[int, dict[int, int]] = defaultdict(dict)
    for r in rows:
        new = r["unit_commune"]
        weights[r["commune_id"]][new] = r["households"]
        for f in COUNT_FIELDS:
            counts[new][f] += r[f]
    old_ids = list(weights)
    if status == "all":
        households = denominators_for(round=round, commune_ids=old_ids)
        persons = persons_denominators_for(round=round, commune_ids=old_ids)
    else:
        frozen = approved_commune_counts(round=round, commune_ids=old_ids)
        households = {cid: row["total_households"] for cid, row in frozen.items()}
        persons = {cid: row["total_persons"] for cid, row in frozen.items()}
    new_households: dict[int, int] = defaultdict(int)
    new_persons: dict[int, int] = defaultdict(int)
    for old, shares in weights.items():
        for new, n in _split(households.get(old, 0), shares).items():
            new_households[new] += n
        for new, n in _split(persons.get(old, 0), shares).items():
            new_persons[new] += n
    return {k: dict(v) for k, v in counts.items()}, dict(new_households), dict(new_persons)


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
    decimals: int = DEFAULT_DECIMALS,
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
    return [RateRow.from_counts(key, buckets[key.pk], decimals) for key in order]


def rates_total(rows: list[RateRow], *, unit: AdminUnit, decimals: int = DEFAULT_DECIMALS) -> RateRow:
    """The total row of a report: sums of the integer counts, rates recomputed from them."""
    fields = ("total_households", "total_persons", *COUNT_FIELDS, "communes", "communes_included")
    return RateRow.from_counts(unit, {f: sum(getattr(r, f) for r in rows) for f in fields}, decimals)
