"""Consistency checks: a deprivation the household's members contradict (docs/data-quality.md).

Each check is data: the indicator code it reads, the criteria sets it applies to and a rule with its parameters.
A check gives a warning, never an error: the officer may know better than the birth years (a child born late in the
year, a member not yet registered), so the save goes through and the warning is shown beside the indicator on the
assessment form, in the import's result and error copy, and on the data-quality page.

Ages are counted by birth year only: age = the round's year − birth year. Plain functions over the member facts of
`surveys.services.member_facts` (an assessment's `members_snapshot`); no ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class MemberOfAge:
    """Ticked although no member is `min_age` to under `below_age` years old in the round's year."""

    min_age: int
    below_age: int


@dataclass(frozen=True)
class DependantsOverHalf:
    """The indicator says dependants are more than half of the members: warn when it is ticked and they are not,
    and when it is not ticked and they are. A dependant: under `young_below`, `old_from` or older, or (with
    `unable_to_work`) not able to work. Unverified: Decree 07's own definition of a dependant was not read."""

    young_below: int = 15
    old_from: int = 60
    unable_to_work: bool = True


@dataclass(frozen=True)
class Check:
    indicator: str
    criteria_sets: tuple[str, ...]
    rule: MemberOfAge | DependantsOverHalf
    basis: str  # where the numbers come from (LAW.md's marks)


# BD-2016 records the national 2016 indicators and HCM-2025 Decree 07's (surveys/criteria_data.py), so the same
# facts contradict them alike. VN-2027 (Decree 351/2025): thresholds unverified, no checks yet.
CHECKS: tuple[Check, ...] = (
    Check(
        "CHILD_SCHOOLING",
        ("VN-2022", "HCM-2025"),
        MemberOfAge(3, 16),
        "Decree 07/2021: a child aged 3 to under 16 (LAW.md, threshold secondary)",
    ),
    Check(
        "CHILD_SCHOOLING",
        ("VN-2016", "BD-2016"),
        MemberOfAge(5, 15),
        "Decision 59/2015: a child aged 5 to under 15 (LAW.md, threshold unverified)",
    ),
    Check(
        "NUTRITION", ("VN-2022", "HCM-2025"), MemberOfAge(0, 16), "Decree 07/2021: a child under 16 (LAW.md, threshold secondary)"
    ),
    Check(
        "DEPENDANTS",
        ("VN-2022", "HCM-2025"),
        DependantsOverHalf(),
        "Decree 07/2021: dependants more than 50% of members (LAW.md); who is a dependant: unverified",
    ),
)


def checks_for(criteria_set_code: str) -> dict[str, Check]:
    """The checks of a criteria set, by indicator code."""
    return {c.indicator: c for c in CHECKS if criteria_set_code in c.criteria_sets}


CHECKED_SETS = frozenset(code for c in CHECKS for code in c.criteria_sets)


@dataclass(frozen=True)
class ConsistencyWarning:
    indicator: str
    code: str  # no_member_of_age | dependants_not_over_half | dependants_over_half
    message: str
    ticked: bool  # the indicator is ticked (False: the warning is that it is not)


def _ages(members: Iterable[Mapping], year: int) -> list[int | None]:
    ages = []
    for m in members:
        birth_year = m.get("birth_year")
        ages.append(year - int(birth_year) if isinstance(birth_year, int) and not isinstance(birth_year, bool) else None)
    return ages


def _age_words(rule: MemberOfAge) -> str:
    if rule.min_age <= 0:
        return _("under %(below)s") % {"below": rule.below_age}
    return _("aged %(min)s to under %(below)s") % {"min": rule.min_age, "below": rule.below_age}


def dependants(members: Iterable[Mapping], year: int, rule: DependantsOverHalf = DependantsOverHalf()) -> tuple[int, int]:
    """(dependants, members) by `rule`; a member without a birth year counts by its "able to work" alone."""
    members = list(members)
    count = 0
    for m, age in zip(members, _ages(members, year), strict=True):
        young_or_old = age is not None and (age < rule.young_below or age >= rule.old_from)
        if young_or_old or (rule.unable_to_work and not m.get("able_to_work", True)):
            count += 1
    return count, len(members)


def _check(check: Check, *, ticked: bool, members: list[Mapping], year: int) -> ConsistencyWarning | None:
    rule = check.rule
    if isinstance(rule, MemberOfAge):
        if not ticked:
            return None
        ages = _ages(members, year)
        if any(age is None for age in ages):
            return None  # a birth year unknown: nothing to say
        if any(rule.min_age <= age < rule.below_age for age in ages):
            return None
        return ConsistencyWarning(
            check.indicator,
            "no_member_of_age",
            _("%(indicator)s is ticked, but no member is %(ages)s in %(year)s.")
            % {"indicator": check.indicator, "ages": _age_words(rule), "year": year},
            ticked,
        )
    n, total = dependants(members, year, rule)
    if not total:
        return None
    over_half = 2 * n > total
    words = {"indicator": check.indicator, "n": n, "total": total, "young": rule.young_below, "old": rule.old_from}
    if ticked and not over_half:
        return ConsistencyWarning(
            check.indicator,
            "dependants_not_over_half",
            _(
                "%(indicator)s is ticked, but dependants (under %(young)s, %(old)s or older, or unable to work) are %(n)s "
                "of %(total)s members: not more than half."
            )
            % words,
            ticked,
        )
    if not ticked and over_half:
        return ConsistencyWarning(
            check.indicator,
            "dependants_over_half",
            _(
                "Dependants (under %(young)s, %(old)s or older, or unable to work) are %(n)s of %(total)s members, more "
                "than half, but %(indicator)s is not ticked."
            )
            % words,
            ticked,
        )
    return None


def warnings_for(
    *, criteria_set_code: str, year: int, deprived: Iterable[str], members: Iterable[Mapping]
) -> list[ConsistencyWarning]:
    """The warnings for one household's ticked indicators (`deprived`) and member facts in a round of `year`."""
    checks = checks_for(criteria_set_code)
    if not checks:
        return []
    ticked, members = set(deprived), list(members)
    found = []
    for indicator, check in checks.items():
        warning = _check(check, ticked=indicator in ticked, members=members, year=year)
        if warning is not None:
            found.append(warning)
    return found


def possible_warnings(
    *, criteria_set_code: str, year: int, members: Iterable[Mapping]
) -> dict[str, dict[bool, ConsistencyWarning]]:
    """For the assessment form: per indicator, the warning it would give ticked (True) and not ticked (False), so the
    page shows the right one as the officer ticks, without a round trip."""
    members = list(members)
    out: dict[str, dict[bool, ConsistencyWarning]] = {}
    for indicator, check in checks_for(criteria_set_code).items():
        for ticked in (True, False):
            warning = _check(check, ticked=ticked, members=members, year=year)
            if warning is not None:
                out.setdefault(indicator, {})[ticked] = warning
    return out
