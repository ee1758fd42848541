"""Planning an import: the rows checked against the registry (communes the actor may import into, lists still open,
households already registered, citizen IDs, area types, hamlets), gathered in a `Plan` that `execute` applies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from core.policy import Action, can, communes_for
from households.models import AdminUnit, Hamlet, Household, HouseholdStatus, Level, Member
from surveys.imports import checks
from surveys.imports.workbook import Issue, Row
from surveys.models import CommuneList, SurveyRound
from surveys.round_areas import areas_in_round
from surveys.rounds import round_area_change_blocker
from surveys.services import LOCKED_LIST_STATES


def chunks(items: list, size: int | None = None) -> Iterator[list]:
    """`items` in slices small enough for one query's parameters."""
    size = size or min(connection.features.max_query_params or 10000, 10000) - 10
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Plan:
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


def plan_build(
    *, actor, survey_round: SurveyRound, rows: dict[str, list[Row]], issues: list[Issue], warnings: list[Issue] | None = None
) -> Plan:
    """Check every row against the registry, adding to `issues` (errors) and `warnings`; what would be written."""
    province = survey_round.province
    communes = {c.code: c for c in AdminUnit.objects.under(province).filter(structure=province.structure, level=Level.COMMUNE)}
    commune_of = _commune_check(actor, survey_round, communes, issues)
    households, bad_codes = checks.household_rows_check(survey_round, rows.get("households", []), issues, commune_of)
    existing = _existing_households(households, issues)
    members, seen_ids = checks.member_rows_check(rows.get("members", []), households, bad_codes, issues)
    # A member row that could not be read leaves its household's head count unknown: its own error says why.
    issues.extend(
        checks.head_issues(
            members, households, incomplete={r.values.get("household_code") for r in rows.get("members", []) if r.bad}
        )
    )
    head_names = checks.head_name_warnings(households, members)  # also sets each household's head_name to its head's
    if warnings is not None:
        warnings.extend(head_names)
        warnings.extend(checks.consistency_warnings(survey_round, households, members))
    for code, row in households.items():
        if not members.get(code):
            issues.append(
                Issue(
                    _("Household %(code)s has no members in the members sheet.") % {"code": code},
                    "households",
                    row.number,
                    "household_code",
                )
            )
    _registered_citizen_ids(seen_ids, households, issues)
    staff = actor is None or can(actor, Action.MANAGE_ROUNDS, province)
    denominators = checks.denominator_rows_check(rows.get("denominators", []), staff=staff, issues=issues, commune_of=commune_of)
    areas, area_changes = _areas(survey_round, communes, existing, denominators, issues)
    hamlets, new_hamlets = _hamlets(households)
    return Plan(survey_round, communes, households, members, denominators, existing, hamlets, new_hamlets, areas, area_changes)


def _commune_check(actor, survey_round: SurveyRound, communes: dict[str, AdminUnit], issues: list[Issue]) -> checks.CommuneOf:
    """The check of a row's commune code: in the round's province, open to the actor, its list not locked."""
    province = survey_round.province
    if actor is None or getattr(actor, "is_superuser", False):
        editable = {c.pk for c in communes.values()}
    else:
        editable = set(communes_for(actor, Action.IMPORT).values_list("pk", flat=True))
    locked = set(
        CommuneList.objects.filter(round=survey_round, is_current=True, status__in=LOCKED_LIST_STATES).values_list(
            "commune_id", flat=True
        )
    )

    def commune_of(row: Row, sheet: str) -> AdminUnit | None:
        code = row.values["commune_code"]
        commune = communes.get(code)
        if commune is None:
            issues.append(
                Issue(
                    _("%(code)s is not a commune of %(province)s.") % {"code": code, "province": province.name},
                    sheet,
                    row.number,
                    "commune_code",
                )
            )
            return None
        if commune.pk not in editable:
            issues.append(
                Issue(_("You cannot import data for %(unit)s.") % {"unit": commune.name}, sheet, row.number, "commune_code")
            )
            return None
        if commune.pk in locked:
            issues.append(
                Issue(
                    _("The list of %(unit)s for this round is submitted or approved; it cannot be imported into.")
                    % {"unit": commune.name},
                    sheet,
                    row.number,
                    "commune_code",
                )
            )
            return None
        return commune

    return commune_of


def _existing_households(households: dict[str, Row], issues: list[Issue]) -> dict[str, dict]:
    """The registered households with the file's codes (codes are unique in the registry): same commune, active."""
    existing: dict[str, dict] = {}
    for chunk in chunks(list(households)):
        for h in Household.objects.filter(code__in=chunk).values(
            "id", "code", "commune_id", "hamlet_id", "head_name", "address", "status", "version"
        ):
            existing[h["code"]] = h
    for code, h in existing.items():
        row = households[code]
        commune = row.values.get("commune")
        if commune is not None and h["commune_id"] != commune.pk:
            issues.append(
                Issue(
                    _("Household %(code)s is registered in another commune; record its move in the registry first.")
                    % {"code": code},
                    "households",
                    row.number,
                    "commune_code",
                )
            )
        if h["status"] != HouseholdStatus.ACTIVE:
            issues.append(
                Issue(
                    _("Household %(code)s is not active (moved, merged or dissolved).") % {"code": code},
                    "households",
                    row.number,
                    "household_code",
                )
            )
    return existing


def _registered_citizen_ids(seen_ids: dict[str, int], households: dict[str, Row], issues: list[Issue]) -> None:
    """A citizen ID already registered belongs to someone else unless that household is in this file."""
    for chunk in chunks(list(seen_ids)):
        for cid, hcode in Member.objects.filter(citizen_id__in=chunk).values_list("citizen_id", "household__code"):
            if hcode not in households:
                issues.append(
                    Issue(
                        _("This citizen ID is already registered in household %(code)s.") % {"code": hcode},
                        "members",
                        seen_ids[cid],
                        "citizen_id",
                    )
                )


def _areas(
    survey_round: SurveyRound,
    communes: dict[str, AdminUnit],
    existing: dict[str, dict],
    denominators: list[Row],
    issues: list[Issue],
) -> tuple[dict[int, str], dict[int, tuple[str, str]]]:
    """Area types as of the round; the file's `area` column may correct a commune's before it is assessed, and then
    applies to the households of this same import."""
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
    return areas, area_changes


def _hamlets(households: dict[str, Row]) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], str]]:
    """Hamlets by (commune, case-insensitive name), and the names not yet known, to be created."""
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
    return hamlets, new_hamlets
