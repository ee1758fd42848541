"""Probably the same person: Vietnamese names compared, pairs scored, blocks paired. Pure: no ORM, no request.

A person is registered twice when a household is entered again in a neighbouring commune (or the same one)
under a typo, without its citizen IDs or with one mistyped. What counts as the same name (`compare_names`):

- the same words once tone marks, other diacritics, đ and case are folded (`households.search.fold`):
  "Nguyễn Thị Hồng" and "Nguyen Thi Hong". A name typed without any mark costs little; some marks left out
  ("Nguyễn Thi Hồng") a little more (it may be another name: Hoa, Hòa); marks that *differ* ("Hùng" and
  "Hưng", two different names) cost a lot. Where a tone mark sits ("Hoà", "Hòa") does not count;
- the same words in another order ("Hồng Nguyễn Thị");
- the same given name (the last word) with a middle name missing on one side ("Nguyễn Hồng");
- the same given name with a typo in a long family or middle name ("Ngyuen", "Nguyn": rapidfuzz's ratio).
  A given name is never matched fuzzily, nor a short word: Vietnamese names are single syllables, and one
  letter apart they are usually other names (Hùng/Hưng, Lan/Lam, Lê/Lý, Phan/Phạm, Trung/Trương).

Only people born in the same year are compared, and only in the same or a neighbouring commune (`neighbours`:
the same district before 1 July 2025, or among the nearest communes by the coordinates the
`vietnamadminunits` package ships).

Blocking (`year_pairs`): within one birth year, people are grouped by their folded given name (and by their
sorted name words, for a changed order); within a group each commune's people are compared with the group's
people of the same and the neighbouring communes only, by `rapidfuzz.process.extract` over that short list
(C++), then by the rules above. No pair outside a block is ever looked at.

Scoring (0–100): the name's points, less a penalty for a different sex, for citizen IDs that are both given and
differ (unless by one keystroke: a typo, which adds a little), for a neighbouring rather than the same commune,
and for a common name (`common_name_penalty`: how many people of that name, year and neighbourhood one would
expect by chance, from the scan's own counts); plus a bonus for each further member of the two households that
matches too (a household registered twice brings its spouse and children), or a penalty when both households have
other members and none of them matches (one person alike in two families is more often a namesake). A household pair enters the review
queue from `QUEUE_MIN` points.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from households.search import fold

QUEUE_MIN = 85  # a household pair from this score enters the review queue (bench/dedupe_scan.py: the trade-off)
WARN_MIN = 80  # a member being registered is warned about from this score (a warning may say more)
SUPPORT_MIN = 70  # a further member pair counts as support from this score
SUPPORT_BONUS = 15  # per further matching member (at most MAX_SUPPORT of them)
MAX_SUPPORT = 2
PREFILTER = 70  # rapidfuzz ratio of the folded full names below which a pair is not looked at further
FUZZY_WORD = 80  # ratio for a long family or middle name with a typo …
FUZZY_MIN_LEN = 5  # … of at least this many letters (folded)

# The name's points, by how the names agree.
NAME_POINTS = {
    "name_exact": 100,
    "name_without_marks": 95,  # the same, one side typed without any tone mark
    "name_marks_missing": 86,  # the same, some marks left out on one side ("Nguyễn Thi Hồng", "Dặng")
    "name_order": 85,
    "name_typo": 88,  # at most; the ratio of the full folded names when lower
    "name_marks_differ": 80,  # both sides carry marks and they differ: maybe another name
    "middle_name_missing": 78,
}
OTHERS_DIFFER_PENALTY = 15  # both households have others, and none of them matches
SEX_PENALTY = 20
IDS_DIFFER_PENALTY = 25
ID_TYPO_BONUS = 3
NEIGHBOUR_PENALTY = 4
COMMON_SCALE = 0.002
MAX_COMMON_PENALTY = 30

# Neighbouring communes by coordinates: the nearest few, within a radius.
NEAREST = 6
RADIUS_KM = 15.0


# --- names ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameKey:
    """A name read once: its folded words, and per word the marks it carries (sorted: placement aside)."""

    folded: str
    words: tuple[str, ...]
    marks: tuple[tuple[str, ...], ...]
    sorted_words: tuple[str, ...]

    @property
    def given(self) -> str:
        return self.words[-1] if self.words else ""


def _word_marks(word: str) -> tuple[str, ...]:
    lowered = word.casefold()
    marks = [ch for ch in unicodedata.normalize("NFD", lowered) if unicodedata.combining(ch)]
    if "đ" in lowered:
        marks.append("đ")
    return tuple(sorted(marks))


# Names are made of a few hundred syllables and repeat: each word and each name is read once (a province's scan
# reads a million names), and people of the same name share one key (bounded caches: a worker lives long).
_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {}
_WORDS_MAX = 200_000


def _word(raw: str) -> tuple[str, tuple[str, ...]]:
    hit = _WORDS.get(raw)
    if hit is None:
        hit = (sys.intern(fold(raw)), _word_marks(raw))
        if len(_WORDS) < _WORDS_MAX:
            _WORDS[raw] = hit
    return hit


_NAMES: dict[str, NameKey] = {}
_NAMES_MAX = 300_000


def name_key(name: str) -> NameKey:
    key = _NAMES.get(name)
    if key is None:
        parts = [_word(w) for w in unicodedata.normalize("NFC", name or "").split()]
        parts = [p for p in parts if p[0]]
        words = tuple(p[0] for p in parts)
        key = NameKey(
            folded=sys.intern(" ".join(words)), words=words, marks=tuple(p[1] for p in parts), sorted_words=tuple(sorted(words))
        )
        if len(_NAMES) < _NAMES_MAX:
            _NAMES[name] = key
    return key


def _within(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    """Every mark of `small` is on `big` too (some were left out, none is different)."""
    rest = list(big)
    for mark in small:
        if mark not in rest:
            return False
        rest.remove(mark)
    return True


def _similar_word(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= FUZZY_MIN_LEN and fuzz.ratio(a, b) >= FUZZY_WORD)


def _is_part(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """`short` is `long` with some words left out (in order)."""
    rest = iter(long)
    return all(word in rest for word in short)


def compare_names(a: NameKey, b: NameKey) -> tuple[int, str] | None:
    """How far two names are the same person's: (points, reason) or None when they are not (module docstring)."""
    if not a.words or not b.words:
        return None
    if a.folded == b.folded:
        if a.marks == b.marks:
            return NAME_POINTS["name_exact"], "name_exact"
        if not any(a.marks) or not any(b.marks):
            return NAME_POINTS["name_without_marks"], "name_without_marks"
        for ma, mb in zip(a.marks, b.marks, strict=True):
            if ma != mb and not (_within(ma, mb) or _within(mb, ma)):
                return NAME_POINTS["name_marks_differ"], "name_marks_differ"
        return NAME_POINTS["name_marks_missing"], "name_marks_missing"
    if a.sorted_words == b.sorted_words:
        return NAME_POINTS["name_order"], "name_order"
    if a.given != b.given or len(a.words) < 2 or len(b.words) < 2:
        return None
    if not _similar_word(a.words[0], b.words[0]):
        return None
    middle_a, middle_b = a.words[1:-1], b.words[1:-1]
    if len(middle_a) != len(middle_b):
        if a.words[0] == b.words[0] and (_is_part(middle_a, middle_b) or _is_part(middle_b, middle_a)):
            return NAME_POINTS["middle_name_missing"], "middle_name_missing"
        return None
    if not all(_similar_word(x, y) for x, y in zip(middle_a, middle_b, strict=True)):
        return None
    return min(NAME_POINTS["name_typo"], round(fuzz.ratio(a.folded, b.folded))), "name_typo"


# --- people and pairs ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    """A member as the matcher reads it."""

    member_id: int | None
    household_id: int | None
    commune_id: int
    name: str
    birth_year: int
    sex: str = ""
    citizen_id: str = ""
    head: bool = False
    key: NameKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = name_key(self.name)


@dataclass(frozen=True, slots=True)
class MemberMatch:
    a: Person
    b: Person
    score: int
    reasons: tuple[str, ...]


def _id_typo(a: str, b: str) -> bool:
    """Two citizen IDs one keystroke apart: one digit different, or two neighbouring digits swapped. (IDs of people
    of the same province, sex and birth year share their first six digits, so more than that is no typo's sign.)"""
    if len(a) != len(b):
        return False
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(differ) == 1 or (
        len(differ) == 2 and differ[1] == differ[0] + 1 and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]]
    )


def score_people(a: Person, b: Person, name: tuple[int, str] | None = None) -> MemberMatch | None:
    """The pair's score and reasons (before the household's support and the name's commonness), or None when
    the names do not match."""
    name = name or compare_names(a.key, b.key)
    if name is None or a.birth_year != b.birth_year:
        return None
    points, reasons = name[0], [name[1]]
    if a.sex and b.sex and a.sex != b.sex:
        points -= SEX_PENALTY
        reasons.append("sex_differs")
    if a.citizen_id and b.citizen_id:
        if _id_typo(a.citizen_id, b.citizen_id):
            points += ID_TYPO_BONUS
            reasons.append("citizen_id_typo")
        else:
            points -= IDS_DIFFER_PENALTY
            reasons.append("citizen_ids_differ")
    elif a.citizen_id or b.citizen_id:
        reasons.append("citizen_id_missing")
    if a.commune_id == b.commune_id:
        reasons.append("same_commune")
    else:
        points -= NEIGHBOUR_PENALTY
        reasons.append("neighbouring_commune")
    return MemberMatch(a, b, max(0, min(100, points)), tuple(reasons))


def common_name_penalty(expected: float) -> int:
    """Points off for a name so common that `expected` other people of that name and year would live this close by
    chance: ten points per tenfold over COMMON_SCALE (about the share of people registered twice), at most
    MAX_COMMON_PENALTY. 0 for a name nobody else has; 8 for 0.01 expected; 27 for one."""
    if expected <= 0:
        return 0
    return min(MAX_COMMON_PENALTY, round(10 * math.log10(1 + expected / COMMON_SCALE)))


@dataclass(frozen=True)
class PairScore:
    score: int
    reasons: tuple[str, ...]
    matches: tuple[MemberMatch, ...]  # one-to-one, best first
    expected_homonyms: float = 0.0


def household_score(
    matches: Iterable[MemberMatch], *, expected_homonyms: float = 0.0, sizes: tuple[int, int] | None = None
) -> PairScore:
    """Two households' score from their members' matches: the best pair plus SUPPORT_BONUS for each further
    one-to-one pair from SUPPORT_MIN (at most MAX_SUPPORT); a pair alone loses the common-name penalty of the best
    pair's `expected_homonyms`, and OTHERS_DIFFER_PENALTY when both households (`sizes`: their member counts) have
    other members and none of them matches: a household registered twice brings its people along; one person alike
    in two families is more often a namesake."""
    chosen: list[MemberMatch] = []
    used_a: set = set()
    used_b: set = set()
    for m in sorted(matches, key=lambda m: (-m.score, m.a.member_id or 0, m.b.member_id or 0)):
        ida, idb = m.a.member_id or id(m.a), m.b.member_id or id(m.b)
        if ida in used_a or idb in used_b:
            continue
        used_a.add(ida)
        used_b.add(idb)
        chosen.append(m)
    if not chosen:
        return PairScore(0, (), ())
    best = chosen[0]
    reasons = list(best.reasons)
    points = best.score
    support = [m for m in chosen[1:] if m.score >= SUPPORT_MIN][:MAX_SUPPORT]
    if support:
        # Two people of the two households alike by chance is rare whatever their names: no common-name penalty.
        points += SUPPORT_BONUS * len(support)
        reasons.append("other_members_match")
    else:
        # Citizen IDs one or two digits apart are no namesakes' coincidence either.
        penalty = 0 if "citizen_id_typo" in best.reasons else common_name_penalty(expected_homonyms)
        if penalty:
            points -= penalty
            reasons.append("common_name")
        if sizes is not None and min(sizes) >= 2:
            points -= OTHERS_DIFFER_PENALTY
            reasons.append("other_members_differ")
    if best.a.head and best.b.head:
        reasons.append("both_heads")
    return PairScore(max(0, min(100, points)), tuple(reasons), tuple(chosen), expected_homonyms)
