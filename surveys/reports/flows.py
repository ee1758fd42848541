"""Flows of poor (or near-poor) households between a round and its previous round, per unit.

Definitions (kind="poor"; kind="near_poor" mirrors them with the two categories swapped). For a unit U:
- start: households poor in the previous round whose assessment then was in U;
- end: households poor in this round whose assessment now is in U;
- stay (not reported): poor in U in both rounds. out = start - stay, in = end - stay,
  so start - out + in = end always holds, per unit.
Out of U (poor in U before, not poor in U now), by the household's assessment in this round:
- escaped_to_near_poor: now near-poor (wherever it lives now);
- escaped_above_near_poor: now average or not poor;
- other_out: now poor in another unit (moved), or no assessment now (moved away, merged, dissolved,
  not reassessed).
Into U (poor in U now, not poor in U before), by the household's assessment in the previous round:
- other_in: poor before in another unit (a poor household moved in);
- near_poor_to_poor: near-poor before;
- re_poor: not poor (or not assessed) before, but poor in some earlier round of the chain of
  previous rounds;
- newly_poor: not poor (or not assessed) before and never poor in an earlier round.
A round may have several previous rounds (after the 2025 merger of provinces, one per absorbed province):
each household is compared with its entry in whichever previous round listed it (the newest when several).
When the previous round uses another unit structure (before/after 1 July 2025), a previous entry's commune
is mapped into this round's structure: to the commune the household was re-homed to from that commune
(`rehome_households`, by hamlet for a split commune), else to the commune's lowest-coded successor.
`structure` reads a legacy round in the 2025 structure the same way (both ends mapped).

status="approved" (the default) reads the frozen entries of each commune's latest approved list, in this
round and in the previous ones (never live assessments, so a correction revision under way changes
nothing); status="all" reads every live assessment. Aggregation is set-based: two grouped queries plus a
few small ones; the Python loop runs over the aggregate rows (communes × transitions), never households.
Rows carry counts only, no personal data.
"""

from __future__ import annotations

from django.db.models import BooleanField, Count, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from households.models import AdminUnit, Level, Rehoming
from surveys.models import Assessment, Category, CommuneList, ListEntry, ListStatus, SurveyRound
from surveys.selectors import report_unit_of

KINDS = ("poor", "near_poor")
MAX_EARLIER_ROUNDS = 50

# Keys of a flow row besides unit_code, unit_name, level, communes, communes_included.
POOR_FLOW_FIELDS = (
    "start",
    "escaped_to_near_poor",
    "escaped_above_near_poor",
    "other_out",
    "out_total",
    "near_poor_to_poor",
    "re_poor",
    "newly_poor",
    "other_in",
    "in_total",
    "end",
)
NEAR_POOR_FLOW_FIELDS = (
    "start",
    "near_poor_to_poor",
    "escaped_above_near_poor",
    "other_out",
    "out_total",
    "poor_to_near_poor",
    "re_near_poor",
    "newly_near_poor",
    "other_in",
    "in_total",
    "end",
)
FLOW_FIELDS = {"poor": POOR_FLOW_FIELDS, "near_poor": NEAR_POOR_FLOW_FIELDS}

_NAMES = {
    # kind: (out to the other category, in from the other category, re-entry, new entry)
    "poor": ("escaped_to_near_poor", "near_poor_to_poor", "re_poor", "newly_poor"),
    "near_poor": ("near_poor_to_poor", "poor_to_near_poor", "re_near_poor", "newly_near_poor"),
}


def _earlier_round_ids(previous_ids: list[int]) -> list[int]:
    """Rounds before the previous ones in the graph of previous rounds (a few tiny queries; chains are short)."""
    through = SurveyRound.previous_rounds.through
    seen = set(previous_ids)
    frontier, found = list(previous_ids), []
    while frontier and len(found) < MAX_EARLIER_ROUNDS:
        parents = list(
            through.objects.filter(from_surveyround_id__in=frontier).values_list("to_surveyround_id", flat=True).distinct()
        )
        frontier = [p for p in parents if p not in seen]
        seen.update(frontier)
        found.extend(frontier)
    return found


def mapped_commune(from_structure: str, to_structure: str):
    """On entries or assessments of a round in `from_structure`: their commune in `to_structure`."""
    if from_structure == to_structure:
        return F("commune_id")
    rehomed = Rehoming.objects.filter(
        household_id=OuterRef("household_id"), from_commune_id=OuterRef("commune_id"), structure=to_structure
    ).values("to_commune_id")[:1]
    through = AdminUnit.successors.through
    successor = (
        through.objects.filter(from_adminunit_id=OuterRef("commune_id"), to_adminunit__structure=to_structure)
        .order_by("to_adminunit__code")
        .values("to_adminunit_id")[:1]
    )
    return Coalesce(Subquery(rehomed), Subquery(successor))


def source_rows(status: str, round_ids):
    """The rows flows and regrouped rates read: frozen entries of approved lists, or live assessments."""
    if status == "all":
        return Assessment.objects.filter(round_id__in=list(round_ids))
    return ListEntry.objects.approved(round_ids=round_ids)


def _empty_row(unit: AdminUnit, fields) -> dict:
    row = {"unit_code": unit.code, "unit_name": unit.name, "level": unit.level}
    row.update(dict.fromkeys(fields, 0))
    row.update(communes=0, communes_included=0)
    return row


def flows_for(
    *, round: SurveyRound, unit: AdminUnit, level: str, status: str = "approved", kind: str = "poor", structure: str | None = None
) -> list[dict]:
    """Flow rows (see the module docstring) for every unit of `level` at or under `unit` (a unit of `structure`,
    by default the round's), previous rounds → `round`."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    fields = FLOW_FIELDS[kind]
    to_other, from_other, re_entry, new_entry = _NAMES[kind]
    target = Category.POOR if kind == "poor" else Category.NEAR_POOR
    other = Category.NEAR_POOR if kind == "poor" else Category.POOR
    structure = structure or round.province.structure

    communes = list(AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).select_related("parent").order_by("code"))
    key_of: dict[int, AdminUnit] = {c.pk: report_unit_of(c, unit=unit, level=level) for c in communes}
    here_mapped = mapped_commune(round.province.structure, structure)
    current = source_rows(status, [round.pk]).annotate(unit_commune=here_mapped)
    if status == "all" and structure == round.province.structure:
        included = set(key_of)
    elif structure == round.province.structure:
        included = set(
            CommuneList.objects.filter(round=round, commune_id__in=list(key_of), status=ListStatus.APPROVED)
            .values_list("commune_id", flat=True)
            .distinct()
        )
    else:
        included = set(current.order_by().values_list("unit_commune", flat=True).distinct()) & set(key_of)

    rows: dict[int, dict] = {}
    order: list[AdminUnit] = []
    for commune in communes:
        key = key_of[commune.pk]
        if key.pk not in rows:
            rows[key.pk] = _empty_row(key, fields)
            order.append(key)
        rows[key.pk]["communes"] += 1
        if commune.pk in included:
            rows[key.pk]["communes_included"] += 1
    if level == Level.PROVINCE and not order:
        rows[unit.pk] = _empty_row(unit, fields)
        order.append(unit)

    previous_rounds = round.previous_list()
    included_ids = sorted(included)

    def unit_pk(commune_id: int | None) -> int | None:
        if commune_id is None or commune_id not in included:
            return None
        return key_of[commune_id].pk

    if previous_rounds and included_ids:
        previous_ids = [r.pk for r in previous_rounds]
        # Several previous rounds share one structure in practice (the provinces merged together).
        there_mapped = mapped_commune(previous_rounds[0].province.structure, structure)
        previous = source_rows(status, previous_ids)

        # Out-side: households in the target category before, in U (mapped), with where they are now.
        now = current.filter(household_id=OuterRef("household_id"))
        out_rows = (
            previous.filter(category=target)
            .annotate(
                unit_commune=there_mapped,
                now_commune=Subquery(now.values("unit_commune")[:1]),
                now_category=Subquery(now.values("category")[:1]),
            )
            .filter(unit_commune__in=included_ids)
            .values("unit_commune", "now_commune", "now_category")
            .annotate(n=Count("id"))
            .order_by()
        )
        for r in out_rows:
            here = unit_pk(r["unit_commune"])
            if here is None:
                continue
            row, n = rows[here], r["n"]
            row["start"] += n
            if r["now_category"] == target:
                if unit_pk(r["now_commune"]) == here:
                    continue  # stayed in the category and the unit
                row["other_out"] += n
            elif r["now_category"] == other:
                row[to_other] += n
            elif r["now_category"] is None:
                row["other_out"] += n
            else:
                row["escaped_above_near_poor"] += n

        # In-side: households in the target category now, in U, with what they were before (newest previous
        # round that listed them).
        before = (
            previous.filter(household_id=OuterRef("household_id"))
            .annotate(mapped=there_mapped)
            .order_by("-round__year", "-round_id")
        )
        earlier_ids = _earlier_round_ids(previous_ids)
        in_query = (
            current.filter(category=target, unit_commune__in=included_ids)
            .annotate(
                before_commune=Subquery(before.values("mapped")[:1]),
                before_category=Subquery(before.values("category")[:1]),
                earlier=Exists(source_rows(status, earlier_ids).filter(household_id=OuterRef("household_id"), category=target))
                if earlier_ids
                else Value(False, output_field=BooleanField()),
            )
            .values("unit_commune", "before_commune", "before_category", "earlier")
            .annotate(n=Count("id"))
            .order_by()
        )
        for r in in_query:
            here = unit_pk(r["unit_commune"])
            if here is None:
                continue
            row, n = rows[here], r["n"]
            row["end"] += n
            if r["before_category"] == target:
                if unit_pk(r["before_commune"]) == here:
                    continue
                row["other_in"] += n
            elif r["before_category"] == other:
                row[from_other] += n
            elif r["earlier"]:
                row[re_entry] += n
            else:
                row[new_entry] += n
    elif included_ids:
        # No previous round: everything in the target category now is new to the chain.
        for r in (
            current.filter(category=target, unit_commune__in=included_ids)
            .values("unit_commune")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row = rows[key_of[r["unit_commune"]].pk]
            row["end"] += r["n"]
            row[new_entry] += r["n"]

    result = []
    for key in order:
        row = rows[key.pk]
        out_fields = ("escaped_above_near_poor", "other_out", to_other)
        in_fields = ("other_in", from_other, re_entry, new_entry)
        row["out_total"] = sum(row[f] for f in out_fields)
        row["in_total"] = sum(row[f] for f in in_fields)
        result.append(row)
    return result


def flows_total(rows: list[dict], *, unit: AdminUnit, kind: str = "poor") -> dict:
    """The total row: sums of the unit rows' counts."""
    total = _empty_row(unit, FLOW_FIELDS[kind])
    for row in rows:
        for f in (*FLOW_FIELDS[kind], "communes", "communes_included"):
            total[f] += row[f]
    return total
