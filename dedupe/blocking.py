"""Where to look for duplicates: neighbouring communes by coordinates, and the blocks of people (same birth year,
close communes) whose pairs `dedupe.matching` scores. Split from the scoring so each reads on its own."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from dedupe.matching import NEAREST, PREFILTER, RADIUS_KM, MemberMatch, Person, score_people

# --- neighbours ----------------------------------------------------------------------------------------------


def _km(p: tuple[float, float], q: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*p, *q))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def neighbours(
    units: Sequence[tuple[int, str, int | None]],
    points: Mapping[str, tuple[float, float]],
    *,
    nearest: int = NEAREST,
    radius_km: float = RADIUS_KM,
) -> dict[int, frozenset[int]]:
    """Commune → the communes next to it, itself included. `units` are (id, GSO code, district id or None);
    neighbours share a district, or one is among the other's `nearest` communes within `radius_km` (both
    ways: the relation is symmetric)."""
    near: dict[int, set[int]] = {pk: {pk} for pk, _code, _district in units}
    by_district: dict[int, list[int]] = defaultdict(list)
    for pk, _code, district in units:
        if district is not None:
            by_district[district].append(pk)
    for members in by_district.values():
        for pk in members:
            near[pk].update(members)
    placed = [(pk, points[code]) for pk, code, _district in units if code in points]
    for pk, here in placed:
        distances = sorted((_km(here, there), other) for other, there in placed if other != pk)
        for distance, other in distances[:nearest]:
            if distance <= radius_km:
                near[pk].add(other)
                near[other].add(pk)
    return {pk: frozenset(others) for pk, others in near.items()}


# --- blocking ------------------------------------------------------------------------------------------------


@dataclass
class BlockStats:
    compared: int = 0  # pairs whose names rapidfuzz compared
    blocks: int = 0  # blocks with at least two people


def year_pairs(
    people: Sequence[Person], near: Mapping[int, frozenset[int]], stats: BlockStats | None = None
) -> Iterator[MemberMatch]:
    """The matching pairs among people born in one year (module docstring: blocking), each pair once, never
    two members of the same household."""
    stats = stats if stats is not None else BlockStats()
    by_given: dict[str, list[Person]] = defaultdict(list)
    by_words: dict[tuple[str, ...], list[Person]] = defaultdict(list)
    for person in people:
        if person.key.words:
            by_given[person.key.given].append(person)
            by_words[person.key.sorted_words].append(person)
    for block in by_given.values():
        if len(block) < 2:
            continue
        stats.blocks += 1
        yield from _block_pairs(block, near, stats)
    # A changed word order: the given name differs, so the pair shares no block above.
    for block in by_words.values():
        if len(block) < 2 or len({p.key.given for p in block}) < 2:
            continue
        stats.blocks += 1
        for i, a in enumerate(block):
            for b in block[i + 1 :]:
                if a.key.given == b.key.given or a.household_id == b.household_id:
                    continue
                if b.commune_id in near.get(a.commune_id, (a.commune_id,)):
                    stats.compared += 1
                    match = score_people(a, b)
                    if match is not None:
                        yield match


def _block_pairs(block: list[Person], near: Mapping[int, frozenset[int]], stats: BlockStats) -> Iterator[MemberMatch]:
    by_commune: dict[int, list[Person]] = defaultdict(list)
    for person in block:
        by_commune[person.commune_id].append(person)
    for commune, here in by_commune.items():
        around = near.get(commune, frozenset((commune,)))
        # This commune's people against each other, then against the neighbours' (each commune pair once).
        others = [p for c in around if c > commune for p in by_commune.get(c, ())]
        here_names = [p.key.folded for p in here]
        other_names = [p.key.folded for p in others]
        for i, a in enumerate(here):
            for people, names, start in ((here, here_names, i + 1), (others, other_names, 0)):
                if start >= len(names):
                    continue
                choices = names[start:] if start else names
                stats.compared += len(choices)
                for _text, _ratio, index in process.extract(
                    a.key.folded, choices, scorer=fuzz.ratio, score_cutoff=PREFILTER, limit=None
                ):
                    b = people[start + index]
                    if a.household_id == b.household_id:
                        continue
                    match = score_people(a, b)
                    if match is not None:
                        yield match


def expected_homonyms(*, others: int, year_share: float, neighbourhood_share: float) -> float:
    """How many people of this name (`others`: how many besides the pair in the province), born that year, would
    live in the neighbourhood by chance."""
    return max(0, others) * year_share * neighbourhood_share
