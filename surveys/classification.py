"""Poverty classification: a criteria set's rule table + one household's inputs -> category and reasons.

Pure functions over dataclasses, no Django: the single source of truth for categories. The web preview,
the assessment service, the import, the what-if API and the simulation all call `classify`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Category(StrEnum):
    POOR = "poor"
    NEAR_POOR = "near_poor"
    AVERAGE = "average"
    NOT_POOR = "not_poor"


class Group(StrEnum):
    POVERTY_REDUCTION = "poverty_reduction"
    SOCIAL_PROTECTION = "social_protection"


class GroupRule(StrEnum):
    # A member counts as able to work only when able to work and not a social-protection beneficiary.
    ALL_SP_OR_UNABLE = "all_sp_or_unable"
    # Only the "able to work" flag counts.
    NO_MEMBER_ABLE = "no_member_able"


CATEGORY_LABELS = {
    "vi": {
        Category.POOR: "Hộ nghèo",
        Category.NEAR_POOR: "Hộ cận nghèo",
        Category.AVERAGE: "Hộ có mức sống trung bình",
        Category.NOT_POOR: "Hộ không nghèo",
    },
    "en": {
        Category.POOR: "Poor household",
        Category.NEAR_POOR: "Near-poor household",
        Category.AVERAGE: "Average-living-standard household",
        Category.NOT_POOR: "Not poor",
    },
}
GROUP_LABELS = {
    "vi": {Group.POVERTY_REDUCTION: "thuộc đối tượng giảm nghèo", Group.SOCIAL_PROTECTION: "thuộc diện bảo trợ xã hội"},
    "en": {Group.POVERTY_REDUCTION: "poverty-reduction target", Group.SOCIAL_PROTECTION: "social protection"},
}
AREA_LABELS = {"vi": {"urban": "thành thị", "rural": "nông thôn"}, "en": {"urban": "urban", "rural": "rural"}}


class ClassificationInputError(ValueError):
    """Inputs the rules cannot judge; `field` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def vnd(amount: int) -> str:
    """1500000 -> '1.500.000 ₫' (Vietnamese grouping; VND has no minor unit)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"


@dataclass(frozen=True)
class Rule:
    category: Category
    income_above: int | None = None  # exclusive lower bound
    income_upto: int | None = None  # upper bound
    upto_inclusive: bool = True  # "từ X trở xuống" (≤) versus "dưới X" (<)
    min_deprived: int | None = None
    max_deprived: int | None = None

    def matches(self, income: int, deprived: int) -> bool:
        if self.income_above is not None and not income > self.income_above:
            return False
        if self.income_upto is not None:
            if self.upto_inclusive and not income <= self.income_upto:
                return False
            if not self.upto_inclusive and not income < self.income_upto:
                return False
        if self.min_deprived is not None and deprived < self.min_deprived:
            return False
        return not (self.max_deprived is not None and deprived > self.max_deprived)

    def describe(self, lang: str) -> str:
        vi = lang == "vi"
        income = "thu nhập" if vi else "income"
        parts: list[str] = []
        lower = f"{vnd(self.income_above)} < " if self.income_above is not None else ""
        if self.income_upto is not None:
            op = "≤" if self.upto_inclusive else "<"
            parts.append(f"{lower}{income} {op} {vnd(self.income_upto)}")
        elif self.income_above is not None:
            parts.append(f"{income} > {vnd(self.income_above)}")
        if self.min_deprived is not None:
            parts.append(f"thiếu hụt ≥ {self.min_deprived} chỉ số" if vi else f"≥ {self.min_deprived} deprivations")
        if self.max_deprived is not None:
            parts.append(f"thiếu hụt ≤ {self.max_deprived} chỉ số" if vi else f"≤ {self.max_deprived} deprivations")
        if not parts:
            return "mọi hộ" if vi else "every household"
        return (" và " if vi else " and ").join(parts)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name_vi: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class CriteriaSpec:
    """What `classify` needs of a criteria set; built from the database or from plain data."""

    code: str
    rules: dict[str, tuple[Rule, ...]]  # area type -> ordered rules, first match wins
    indicators: tuple[IndicatorSpec, ...] = ()
    group_rule: GroupRule = GroupRule.ALL_SP_OR_UNABLE
    groups_for: frozenset[Category] = frozenset({Category.POOR, Category.NEAR_POOR})

    @property
    def indicator_codes(self) -> frozenset[str]:
        return frozenset(i.code for i in self.indicators)


@dataclass(frozen=True)
class MemberFacts:
    able_to_work: bool
    social_protection: bool = False


@dataclass(frozen=True)
class Result:
    category: Category
    group: Group | None
    deprived_count: int
    rule_index: int | None  # position of the matching rule in the area's table, None when none matched
    explanation_vi: str
    explanation_en: str
    deprived: tuple[str, ...] = field(default=())

    def explanation(self, lang: str) -> str:
        return self.explanation_vi if lang.startswith("vi") else self.explanation_en


def household_group(members: Sequence[MemberFacts], rule: GroupRule) -> Group:
    """Social protection when no member can be counted on to work; otherwise a poverty-reduction target."""
    if rule == GroupRule.NO_MEMBER_ABLE:
        able = any(m.able_to_work for m in members)
    else:
        able = any(m.able_to_work and not m.social_protection for m in members)
    return Group.POVERTY_REDUCTION if able else Group.SOCIAL_PROTECTION


def classify(
    spec: CriteriaSpec,
    *,
    area: str,
    income: int,
    deprived: Iterable[str],
    members: Sequence[MemberFacts],
) -> Result:
    """Classify one household under `spec`; raises ClassificationInputError naming a bad input."""
    if area not in spec.rules:
        raise ClassificationInputError("area", f"Unknown area type {area!r}; expected one of {sorted(spec.rules)}.")
    if isinstance(income, bool) or not isinstance(income, int):
        raise ClassificationInputError("income_per_capita", "Income per capita must be a whole number of VND.")
    if income < 0:
        raise ClassificationInputError("income_per_capita", "Income per capita cannot be negative.")
    codes = tuple(dict.fromkeys(deprived))
    unknown = [c for c in codes if c not in spec.indicator_codes]
    if unknown:
        raise ClassificationInputError(
            "deprived", f"Unknown indicator code(s) for {spec.code}: {', '.join(unknown)}."
        )
    count = len(codes)
    rules = spec.rules[area]
    match_index = next((i for i, r in enumerate(rules) if r.matches(income, count)), None)
    category = rules[match_index].category if match_index is not None else Category.NOT_POOR
    group = household_group(members, spec.group_rule) if category in spec.groups_for else None
    names = {i.code: i for i in spec.indicators}
    return Result(
        category=category,
        group=group,
        deprived_count=count,
        rule_index=match_index,
        explanation_vi=_explain("vi", spec, area, income, codes, names, rules, match_index, category, group),
        explanation_en=_explain("en", spec, area, income, codes, names, rules, match_index, category, group),
        deprived=codes,
    )


def _explain(lang, spec, area, income, codes, names, rules, match_index, category, group) -> str:
    vi = lang == "vi"
    total = len(spec.indicators)
    if codes:
        listed = ", ".join((names[c].name_vi if vi else names[c].name_en) or c for c in codes)
        deprivation = (
            f"thiếu hụt {len(codes)}/{total} chỉ số ({listed})" if vi else f"deprived on {len(codes)} of {total} ({listed})"
        )
    else:
        deprivation = f"không thiếu hụt chỉ số nào (0/{total})" if vi else f"no deprivation (0 of {total})"
    head = (
        f"Bộ tiêu chí {spec.code}, khu vực {AREA_LABELS['vi'][area]}: thu nhập bình quân {vnd(income)}/người/tháng; {deprivation}."
        if vi
        else f"Criteria {spec.code}, {AREA_LABELS['en'][area]} area: income {vnd(income)} per person per month; {deprivation}."
    )
    label = CATEGORY_LABELS[lang][category]
    if group is not None:
        label = f"{label} ({GROUP_LABELS[lang][group]})"
    if match_index is None:
        reason = (
            "Không thuộc quy tắc nào của bộ tiêu chí" if vi else "No rule of the criteria set applies"
        )
    else:
        reason = (
            f"Khớp quy tắc {match_index + 1}: {rules[match_index].describe(lang)}"
            if vi
            else f"Matches rule {match_index + 1}: {rules[match_index].describe(lang)}"
        )
    return f"{head} {reason} → {label}."
