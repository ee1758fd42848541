"""Reads for the duplicate review: the queue a user may see, one pair, the neighbours of a commune, and the
people a new household's members may already be."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.policy import Action, can, communes_for, roles_for
from dedupe import blocking, matching
from dedupe.models import CandidateStatus, DuplicateCandidate, DuplicateScan
from households.models import AdminUnit, Household, HouseholdStatus, Level, Member, Relation


def reviewable_communes(user):
    """The communes whose duplicates `user` may review (a pair needs both of its communes here)."""
    return communes_for(user, Action.REVIEW_DUPLICATES)


def candidate_list(*, user, status: str = CandidateStatus.OPEN) -> QuerySet[DuplicateCandidate]:
    """The pairs `user` may review (both households' communes in scope), best score first. `status` is one of
    CandidateStatus, or "decided" for same and different together."""
    communes = reviewable_communes(user)
    rows = DuplicateCandidate.objects.filter(household_a__commune__in=communes, household_b__commune__in=communes)
    rows = rows.exclude(status=CandidateStatus.OPEN) if status == "decided" else rows.filter(status=status)
    order = ["-score", "id"] if status == CandidateStatus.OPEN else ["-decided_at", "-id"]
    return rows.select_related(
        "household_a__commune__parent", "household_b__commune__parent", "household_a__hamlet", "household_b__hamlet", "decided_by"
    ).order_by(*order)


def candidate_get(*, user, pk: int) -> DuplicateCandidate:
    """One pair `user` may review, whatever its status; a pair out of scope is not found (404), as a missing one."""
    communes = reviewable_communes(user)
    rows = DuplicateCandidate.objects.filter(household_a__commune__in=communes, household_b__commune__in=communes).select_related(
        "household_a__commune__parent",
        "household_b__commune__parent",
        "household_a__hamlet",
        "household_b__hamlet",
        "household_a__merged_into",
        "household_b__merged_into",
        "decided_by",
        "kept",
    )
    return get_object_or_404(rows, pk=pk)


def candidate_members(candidate: DuplicateCandidate) -> tuple[list[Member], list[Member]]:
    """Both households' members, in their order (one query)."""
    members = (
        Member.objects.filter(household__in=[candidate.household_a_id, candidate.household_b_id])
        .select_related("ethnic_group")
        .order_by("household_id", "position", "id")
    )
    a = [m for m in members if m.household_id == candidate.household_a_id]
    b = [m for m in members if m.household_id == candidate.household_b_id]
    return a, b


def scan_provinces(user) -> list[AdminUnit]:
    """The provinces whose scan `user` may start: those it reviews as a whole (department staff's assignments)."""
    provinces = (
        AdminUnit.objects.filter(
            level=Level.PROVINCE, assignments__user=user, assignments__role__in=roles_for(Action.REVIEW_DUPLICATES)
        )
        .distinct()
        .order_by("structure", "code")
    )
    return [p for p in provinces if can(user, Action.REVIEW_DUPLICATES, p)]


def last_scans(provinces: Sequence[AdminUnit]) -> dict[int, DuplicateScan]:
    scans: dict[int, DuplicateScan] = {}
    for scan in DuplicateScan.objects.filter(province__in=provinces, finished_at__isnull=False).order_by("-finished_at"):
        scans.setdefault(scan.province_id, scan)
    return scans


# --- neighbours ----------------------------------------------------------------------------------------------


def province_of(commune: AdminUnit) -> AdminUnit:
    unit = commune
    while unit.parent_id is not None:
        unit = AdminUnit.objects.only("pk", "parent_id", "structure", "level").get(pk=unit.parent_id)
    return unit


def province_communes(province: AdminUnit) -> QuerySet[AdminUnit]:
    return AdminUnit.objects.communes().under(province)


def neighbour_map(province: AdminUnit) -> dict[int, frozenset[int]]:
    """Commune id → its neighbouring communes' ids (itself included), within the province (blocking.neighbours)."""
    units = tuple(
        (pk, code, parent if parent_level == Level.DISTRICT else None)
        for pk, code, parent, parent_level in province_communes(province).values_list("pk", "code", "parent_id", "parent__level")
    )
    return _neighbours(province.structure, units)


@functools.lru_cache(maxsize=16)
def _neighbours(structure: str, units: tuple) -> dict[int, frozenset[int]]:
    from surveys.reports.maps import commune_points  # the package's coordinates, read once per process

    return blocking.neighbours(units, commune_points(structure))


# --- a new household's members ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryMatch:
    """A person already registered whom a member being entered may be."""

    typed: matching.Person
    match: matching.MemberMatch
    commune: AdminUnit
    household: Household | None  # None when the user may not read that household (only its commune is said)
    member_name: str  # "" likewise


def entry_matches(
    *, user, commune: AdminUnit, people: Sequence[matching.Person], exclude_household: int | None = None, limit: int = 10
) -> list[EntryMatch]:
    """Active households' members of `commune` and its neighbours who may be one of `people` (same birth year,
    the same name by `matching.compare_names`), scored as the scan scores a pair (without the name-frequency
    penalty, which needs the whole province: a warning may say more than the queue will)."""
    people = [p for p in people if p.key.words and p.birth_year]
    if not people:
        return []
    near = neighbour_map(province_of(commune)).get(commune.pk, frozenset((commune.pk,)))
    rows = (
        Member.objects.filter(
            household__commune__in=near, household__status=HouseholdStatus.ACTIVE, birth_year__in={p.birth_year for p in people}
        )
        .exclude(household_id=exclude_household)
        .values_list("id", "household_id", "household__commune_id", "full_name", "birth_year", "sex", "citizen_id", "relation")
    )
    found: list[tuple[matching.Person, matching.MemberMatch]] = []
    for row in _people(rows):
        for person in people:
            match = matching.score_people(person, row)
            if match is not None and match.score >= matching.WARN_MIN:
                found.append((person, match))
    found.sort(key=lambda pm: -pm[1].score)
    found = found[:limit]
    readable = set(
        Household.objects.visible_to(user).filter(pk__in={m.b.household_id for _p, m in found}).values_list("pk", flat=True)
    )
    households = Household.objects.in_bulk(readable)
    communes = AdminUnit.objects.in_bulk({m.b.commune_id for _p, m in found})
    return [
        EntryMatch(
            typed=p,
            match=m,
            commune=communes[m.b.commune_id],
            household=households.get(m.b.household_id),
            member_name=m.b.name if m.b.household_id in readable else "",
        )
        for p, m in found
    ]


def _people(rows) -> Iterator[matching.Person]:
    for member_id, household_id, commune_id, name, year, sex, citizen_id, relation in rows:
        yield matching.Person(member_id, household_id, commune_id, name, year, sex, citizen_id or "", relation == Relation.HEAD)
