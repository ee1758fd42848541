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

    def describe(self, lang: str, period: str = "month") -> str:
        vi = lang == "vi"
        income = "thu nhập" if vi else "income"
        if period == "year":
            income = "thu nhập năm" if vi else "yearly income"
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


MAX_SCORE_A = 1000  # points; Circular 07's form scores far below this


@dataclass(frozen=True)
class ScoreScale:
    """Circular 07/2021's scoring: score A (an income proxy in points, scored from the household's
    characteristics) against a line per area, and score B = points per deprived indicator.

    Poor: A ≤ line and B ≥ poor_min_b; near-poor: A ≤ line and B < poor_min_b. Above the line the set's
    score bands, where it declares any (`average_upto`: A ≤ that many points is the average band), else not poor."""

    lines: dict[str, int]  # area type -> score A line (inclusive)
    points_per_indicator: int = 10
    poor_min_b: int = 30
    average_upto: dict[str, int] = field(default_factory=dict)  # area type -> top of the average band, if any


@dataclass(frozen=True)
class CriteriaSpec:
    """What `classify` needs of a criteria set; built from the database or from plain data."""

    code: str
    rules: dict[str, tuple[Rule, ...]]  # area type -> ordered rules, first match wins
    indicators: tuple[IndicatorSpec, ...] = ()
    group_rule: GroupRule = GroupRule.ALL_SP_OR_UNABLE
    groups_for: frozenset[Category] = frozenset({Category.POOR, Category.NEAR_POOR})
    score: ScoreScale | None = None  # a set that can classify from Circular 07's scores
    income_period: str = "month"  # the rules' income bounds: "month", or "year" (compared with 12 × the monthly income)
    low_income_lines: dict[str, int] = field(default_factory=dict)  # area type -> Decree 30/2025 low-income line, if any

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
    basis: str = "income"  # "income" (đồng per person per month) or "score" (Circular 07's scores A and B)
    score_a: int | None = None
    score_b: int | None = None

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
    income: int | None = None,
    score_a: int | None = None,
    deprived: Iterable[str],
    members: Sequence[MemberFacts],
) -> Result:
    """Classify one household under `spec` from its income per person per month or, for a set with a score
    scale, from score A; raises ClassificationInputError naming a bad input."""
    if (income is None) == (score_a is None):
        raise ClassificationInputError("score_a", "Give either income_per_capita or score_a, not both and not neither.")
    if score_a is not None:
        return _classify_by_score(spec, area=area, score_a=score_a, deprived=deprived, members=members)
    if area not in spec.rules:
        raise ClassificationInputError("area", f"Unknown area type {area!r}; expected one of {sorted(spec.rules)}.")
    if isinstance(income, bool) or not isinstance(income, int):
        raise ClassificationInputError("income_per_capita", "Income per capita must be a whole number of VND.")
    if income < 0:
        raise ClassificationInputError("income_per_capita", "Income per capita cannot be negative.")
    codes = _indicator_codes(spec, deprived)
    count = len(codes)
    rules = spec.rules[area]
    compared = income_in_period(spec, income)
    match_index = next((i for i, r in enumerate(rules) if r.matches(compared, count)), None)
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


def income_in_period(spec: CriteriaSpec, income: int) -> int:
    """The monthly income per person in the period of the set's lines: exact, never rounded."""
    return income * 12 if spec.income_period == "year" else income


def low_income_workers(
    spec: CriteriaSpec, *, area: str, income: int | None, category: Category, members: Sequence[MemberFacts]
) -> int:
    """Decree 30/2025's low-income workers of a household: its members able to work, when the household is neither
    poor nor near-poor and its income per person is at or below the set's line (0 when the set has no line or no
    income was entered)."""
    line = spec.low_income_lines.get(area)
    if line is None or income is None or category in (Category.POOR, Category.NEAR_POOR):
        return 0
    if income_in_period(spec, income) > line:
        return 0
    return sum(1 for m in members if m.able_to_work)


def _indicator_codes(spec: CriteriaSpec, deprived: Iterable[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(deprived))
    unknown = [c for c in codes if c not in spec.indicator_codes]
    if unknown:
        raise ClassificationInputError("deprived", f"Unknown indicator code(s) for {spec.code}: {', '.join(unknown)}.")
    return codes


def _classify_by_score(
    spec: CriteriaSpec, *, area: str, score_a: int, deprived: Iterable[str], members: Sequence[MemberFacts]
) -> Result:
    scale = spec.score
    if scale is None:
        raise ClassificationInputError("score_a", f"The criteria set {spec.code} has no score scale: give income_per_capita.")
    if area not in scale.lines:
        raise ClassificationInputError("area", f"Unknown area type {area!r}; expected one of {sorted(scale.lines)}.")
    if isinstance(score_a, bool) or not isinstance(score_a, int):
        raise ClassificationInputError("score_a", "Score A is a whole number of points.")
    if not 0 <= score_a <= MAX_SCORE_A:
        raise ClassificationInputError("score_a", f"Score A is between 0 and {MAX_SCORE_A} points.")
    codes = _indicator_codes(spec, deprived)
    score_b = len(codes) * scale.points_per_indicator
    line = scale.lines[area]
    average_upto = scale.average_upto.get(area)
    if score_a <= line:
        category = Category.POOR if score_b >= scale.poor_min_b else Category.NEAR_POOR
    elif average_upto is not None and score_a <= average_upto:
        category = Category.AVERAGE
    else:
        category = Category.NOT_POOR
    group = household_group(members, spec.group_rule) if category in spec.groups_for else None
    names = {i.code: i for i in spec.indicators}
    texts = {
        lang: _explain_score(lang, spec, area, score_a, score_b, codes, names, line, average_upto, category, group)
        for lang in ("vi", "en")
    }
    return Result(
        category=category,
        group=group,
        deprived_count=len(codes),
        rule_index=None,
        explanation_vi=texts["vi"],
        explanation_en=texts["en"],
        deprived=codes,
        basis="score",
        score_a=score_a,
        score_b=score_b,
    )


def _deprivation_text(lang: str, spec: CriteriaSpec, codes, names) -> str:
    vi = lang == "vi"
    total = len(spec.indicators)
    if codes:
        listed = ", ".join((names[c].name_vi if vi else names[c].name_en) or c for c in codes)
        return f"thiếu hụt {len(codes)}/{total} chỉ số ({listed})" if vi else f"deprived on {len(codes)} of {total} ({listed})"
    return f"không thiếu hụt chỉ số nào (0/{total})" if vi else f"no deprivation (0 of {total})"


def _label(lang: str, category: Category, group: Group | None) -> str:
    label = CATEGORY_LABELS[lang][category]
    return f"{label} ({GROUP_LABELS[lang][group]})" if group is not None else label


def _explain_score(lang, spec, area, score_a, score_b, codes, names, line, average_upto, category, group) -> str:
    """ "Bộ tiêu chí VN-2022, khu vực nông thôn: điểm A 132 ≤ 140, điểm B 40 ≥ 30 (thiếu hụt 4/12 chỉ số (…)) →
    Hộ nghèo (…)." """
    vi = lang == "vi"
    word_a, word_b = ("điểm A", "điểm B") if vi else ("score A", "score B")
    poor_min_b = spec.score.poor_min_b
    if score_a <= line:
        b_part = f"{word_b} {score_b} {'≥' if score_b >= poor_min_b else '<'} {poor_min_b}"
        reason = f"{word_a} {score_a} ≤ {line}, {b_part}"
    elif average_upto is not None and score_a <= average_upto:
        reason = f"{line} < {word_a} {score_a} ≤ {average_upto}"
    else:
        reason = f"{word_a} {score_a} > {average_upto if average_upto is not None else line}"
    area_text = AREA_LABELS["vi" if vi else "en"][area]
    head = f"Bộ tiêu chí {spec.code}, khu vực {area_text}" if vi else f"Criteria {spec.code}, {area_text} area"
    return f"{head}: {reason} ({_deprivation_text(lang, spec, codes, names)}) → {_label(lang, category, group)}."


def _explain(lang, spec, area, income, codes, names, rules, match_index, category, group) -> str:
    vi = lang == "vi"
    deprivation = _deprivation_text(lang, spec, codes, names)
    if spec.income_period == "year":
        amount = (
            f"{vnd(income)}/người/tháng = {vnd(income * 12)}/người/năm"
            if vi
            else f"{vnd(income)} per person per month = {vnd(income * 12)} per person per year"
        )
    else:
        amount = f"{vnd(income)}/người/tháng" if vi else f"{vnd(income)} per person per month"
    head = (
        f"Bộ tiêu chí {spec.code}, khu vực {AREA_LABELS['vi'][area]}: thu nhập bình quân {amount}; {deprivation}."
        if vi
        else f"Criteria {spec.code}, {AREA_LABELS['en'][area]} area: income {amount}; {deprivation}."
    )
    label = _label(lang, category, group)
    if match_index is None:
        reason = "Không thuộc quy tắc nào của bộ tiêu chí" if vi else "No rule of the criteria set applies"
    else:
        reason = (
            f"Khớp quy tắc {match_index + 1}: {rules[match_index].describe(lang, spec.income_period)}"
            if vi
            else f"Matches rule {match_index + 1}: {rules[match_index].describe(lang, spec.income_period)}"
        )
    return f"{head} {reason} → {label}."
