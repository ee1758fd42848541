"""The official layout of the rate and flow reports (`layout=official`): the shape of the forms a department
sends to the Ministry (LAW.md "Report columns": the pattern of Circular 07/2021's annex VII forms).

Rows: section I urban, section II rural, then the total; within each section the report's units (districts
under a legacy province, else communes), each counting only its communes of that area type. A commune's area
type is the one it has in the round (`surveys.round_areas.areas_in_round`: RoundArea, else the unit's).
Columns: households, and "of which ethnic-minority households" (trong đó hộ DTTS), read from the flag frozen on
each approved entry (`ListEntry.head_ethnic_minority`; the flag's definition lives where the entry is frozen).
Numbers: the frozen entries of each commune's latest approved list (`ListEntry.objects.approved`), the
denominators frozen with the list, and the flows of `surveys.reports.flows.flows_for` at commune level (its `start`
is the previous round's approved entries: the figure of the previous provincial decision). The flows' own
fields are mapped to the form's columns here and the mapping is written in the form's notes.

Each form renders to the page (`OfficialForm.render`) and to a workbook (`write_workbook`): a title block
(issuer, national motto, title, "Kèm theo Quyết định số … ngày …"), two header rows, numbered columns, the
rows, numbered notes and the signing block, set up for A4 landscape. Form text is bilingual data like the
exports' column labels (`reports.tables.L`), so an export reads the same whatever the server's catalogue.
Approved numbers only, in the round's own units, under its official standard; anything else is refused
naming `layout`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from households.models import AdminUnit, AreaType, Level
from surveys.models import Category, ListEntry, SurveyRound
from surveys.reports.flows import flows_for
from surveys.selectors import approved_commune_counts

LAYOUTS = ("official",)
SECTIONS = ((AreaType.URBAN, "I"), (AreaType.RURAL, "II"))


def L(vi: str, en: str) -> dict[str, str]:  # noqa: N802 (a text in both languages)
    return {"vi": vi, "en": en}


SECTION_NAMES = {AreaType.URBAN: L("Thành thị", "Urban"), AreaType.RURAL: L("Nông thôn", "Rural")}


TOTAL_NAME = L("Tổng cộng", "Total")
NUMBER_LABEL, CODE_LABEL, UNIT_LABEL = L("TT", "No."), L("Mã", "Code"), L("Đơn vị", "Unit")


def parse_layout(value) -> str | None:
    """The `layout` parameter: empty for the ordinary report, or "official"; anything else is a 400 naming it."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text not in LAYOUTS:
        raise ValidationError({"layout": _("layout is official, or empty for the ordinary report.")})
    return text


def check_official(*, status: str, structure: str | None, criteria_set) -> None:
    """The official layout is of approved numbers, in the round's own units, under its official standard."""
    if status != "approved":
        raise ValidationError({"layout": _("The official layout shows approved numbers only (status=approved).")})
    if structure:
        raise ValidationError({"layout": _("The official layout reads a round in its own units (no structure).")})
    if criteria_set is not None:
        raise ValidationError({"layout": _("The official layout is of the round's official standard (no criteria).")})


@dataclass
class OfficialData:
    round: SurveyRound
    unit: AdminUnit
    level: str
    communes: list[AdminUnit]
    areas: dict[int, str]
    values: dict[int, dict[str, int]]  # commune id → counts (see `official_data`)
    included: set[int]  # communes with an approved list
    previous: list[tuple[SurveyRound, object]]  # previous rounds, each with its decision (or None)


def _flow_values(row: dict, kind: str) -> dict[str, int]:
    """A flows_for row mapped to the form's columns (the mapping the notes state)."""
    if kind == "poor":
        return {
            "poor_start": row["start"],
            "poor_escaped": row["escaped_to_near_poor"] + row["escaped_above_near_poor"],
            "poor_other_out": row["other_out"],
            "poor_re": row["re_poor"],
            "poor_new": row["newly_poor"] + row["near_poor_to_poor"],
            "poor_new_from_other": row["near_poor_to_poor"],
            "poor_other_in": row["other_in"],
            "poor_end": row["end"],
        }
    return {
        "near_poor_start": row["start"],
        "near_poor_escaped": row["escaped_above_near_poor"],
        "near_poor_to_poor": row["near_poor_to_poor"],
        "near_poor_other_out": row["other_out"],
        "near_poor_re": row["re_near_poor"],
        "near_poor_new": row["newly_near_poor"] + row["poor_to_near_poor"],
        "near_poor_new_from_other": row["poor_to_near_poor"],
        "near_poor_other_in": row["other_in"],
        "near_poor_end": row["end"],
    }


def official_data(*, round: SurveyRound, unit: AdminUnit, level: str) -> OfficialData:
    """Per commune under `unit`: total households (frozen with the approved list), poor and near-poor households
    and those of them with an ethnic-minority head (approved entries), and the flows of both kinds mapped to the
    form's columns. A fixed number of queries, whatever the number of communes or households."""
    from surveys.approval.selectors import round_decision
    from surveys.round_areas import areas_in_round

    communes = list(AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).select_related("parent").order_by("code"))
    ids = [c.pk for c in communes]
    areas = areas_in_round(round=round, commune_ids=ids)
    frozen = approved_commune_counts(round=round, commune_ids=ids)
    values: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cid, row in frozen.items():
        values[cid]["total_households"] = row["total_households"]
    poor, near = Q(category=Category.POOR), Q(category=Category.NEAR_POOR)
    em = Q(head_ethnic_minority=True)
    for row in (
        ListEntry.objects.approved(round_ids=[round.pk])
        .filter(commune_id__in=ids, category__in=[Category.POOR, Category.NEAR_POOR])
        .values("commune_id")
        .annotate(
            poor=Count("id", filter=poor),
            poor_em=Count("id", filter=poor & em),
            near_poor=Count("id", filter=near),
            near_poor_em=Count("id", filter=near & em),
        )
        .order_by()
    ):
        values[row.pop("commune_id")].update(row)
    by_code = {c.code: c.pk for c in communes}
    for kind in ("poor", "near_poor"):
        for row in flows_for(round=round, unit=unit, level=Level.COMMUNE, status="approved", kind=kind):
            if row["unit_code"] in by_code:
                values[by_code[row["unit_code"]]].update(_flow_values(row, kind))
    previous = [(r, round_decision(r)) for r in round.previous_list()]
    return OfficialData(
        round=round,
        unit=unit,
        level=level,
        communes=communes,
        areas=areas,
        values={cid: dict(v) for cid, v in values.items()},
        included=set(frozen),
        previous=previous,
    )
