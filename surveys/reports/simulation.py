"""What-if simulation: a round's stored assessments reclassified under a draft criteria set, storing nothing.

Department staff copy an official set into a draft (`criteria_set_copy_as_draft`), change its lines or
rules in the admin, and compare: the official side is the round's stored results (`rates_for`, status
"all"); the draft side reclassifies each assessment's stored inputs (area, income, deprived indicators,
member facts) with `classification.classify`, the single source of categories. Reclassifying is a pass
over the round's assessments in Python, because the rules live in the pure module; the counts, the
denominators and the rates are then aggregated exactly as the reports do. Deprived indicators that the
draft set does not have are ignored under the draft.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.audit_actions import AuditAction
from core.policy import Action, can
from households.models import AdminUnit, Level
from surveys import classification as cl
from surveys.models import Assessment, Category, CriteriaSet, Group, Indicator, Rule, SurveyRound
from surveys.selectors import (
    COUNT_FIELDS,
    RateRow,
    denominators_for,
    persons_denominators_for,
    rates_for,
    rates_total,
    rows_from_counts,
)
from surveys.services import criteria_spec

CHANGE_LIMIT = 2000


def _require_staff(actor) -> None:
    if not can(actor, Action.SIMULATE):
        raise PermissionDenied(_("Only department staff can run simulations."))


@transaction.atomic
def criteria_set_copy_as_draft(*, actor, source: CriteriaSet, code: str, name_vi: str = "", name_en: str = "") -> CriteriaSet:
    """Copy a criteria set (indicators and rules) into a draft for simulation, editable in the admin."""
    _require_staff(actor)
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("Give the draft a code.")})
    max_length = CriteriaSet._meta.get_field("code").max_length
    if len(code) > max_length:
        raise ValidationError({"code": _("A code has at most %(n)s characters.") % {"n": max_length}})
    if CriteriaSet.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A criteria set with the code %(code)s exists already.") % {"code": code}})
    draft = CriteriaSet.objects.create(
        code=code,
        name_vi=name_vi or f"{source.name_vi} (dự thảo)",
        name_en=name_en or f"{source.name_en} (draft)",
        legal_basis=source.legal_basis,
        valid_from=source.valid_from,
        valid_to=source.valid_to,
        is_official=False,
        based_on=source,
        group_rule=source.group_rule,
        groups_for_near_poor=source.groups_for_near_poor,
        notes=_("Draft for what-if simulation, copied from %(code)s.") % {"code": source.code},
    )
    Indicator.objects.bulk_create(
        Indicator(
            criteria_set=draft,
            code=i.code,
            dimension=i.dimension,
            name_vi=i.name_vi,
            name_en=i.name_en,
            threshold_vi=i.threshold_vi,
            threshold_en=i.threshold_en,
            position=i.position,
        )
        for i in source.indicators.all()
    )
    Rule.objects.bulk_create(
        Rule(
            criteria_set=draft,
            area_type=r.area_type,
            position=r.position,
            category=r.category,
            income_above=r.income_above,
            income_upto=r.income_upto,
            upto_inclusive=r.upto_inclusive,
            min_deprived=r.min_deprived,
            max_deprived=r.max_deprived,
        )
        for r in source.rules.all()
    )
    audit(actor=actor, action=AuditAction.CRITERIA_SET_DRAFT_COPIED, target=draft, changes={"based_on": [None, source.code]})
    return draft


@dataclass
class Change:
    household_code: str
    head_name: str
    commune_name: str
    income_per_capita: int | None  # None: the assessment was made from score A
    deprived_count: int
    official_category: str
    official_group: str
    draft_category: str
    draft_group: str


@dataclass
class SimulationResult:
    round: SurveyRound
    draft: CriteriaSet
    unit: AdminUnit
    level: str
    official: list[RateRow]
    official_total: RateRow
    draft_rows: list[RateRow]
    draft_total: RateRow
    changes: list[Change]
    changes_total: int
    transitions: dict[tuple[str, str], int]


def simulate(*, actor, round: SurveyRound, draft: CriteriaSet, unit: AdminUnit, level: str) -> SimulationResult:
    """Official versus draft rates for the round, and the households whose category or group would change."""
    _require_staff(actor)
    spec = criteria_spec(draft)
    communes = list(AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).select_related("parent").order_by("code"))
    commune_ids = [c.pk for c in communes]
    names = {c.pk: c.name for c in communes}
    scope = Assessment.objects.filter(round=round, commune__in=AdminUnit.objects.under(unit).filter(level=Level.COMMUNE))
    visible = set(Assessment.objects.visible_to(actor).filter(round=round).values_list("commune_id", flat=True).distinct())

    through = Assessment.deprived_indicators.through
    deprived: dict[int, list[str]] = defaultdict(list)
    for aid, code in (
        through.objects.filter(assessment__in=scope).values_list("assessment_id", "indicator__code").iterator(chunk_size=20000)
    ):
        deprived[aid].append(code)
    draft_codes = spec.indicator_codes

    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    memo: dict[tuple, cl.Category] = {}
    changes: list[Change] = []
    changes_total = 0
    transitions: dict[tuple[str, str], int] = defaultdict(int)
    rows = scope.values_list(
        "id",
        "commune_id",
        "area_type",
        "income_per_capita",
        "score_a",
        "members_snapshot",
        "member_count",
        "category",
        "group",
        "household__code",
        "household__head_name",
    ).order_by("id")
    for aid, commune_id, area, income, score_a, members, member_count, old_cat, old_group, code, head in rows.iterator(
        chunk_size=5000
    ):
        codes = tuple(c for c in deprived.get(aid, ()) if c in draft_codes)
        key = (area, income, score_a, codes)
        category = memo.get(key)
        if category is None:
            try:
                category = cl.classify(spec, area=area, income=income, score_a=score_a, deprived=codes, members=()).category
            except cl.ClassificationInputError:
                # Scored from score A, but the draft has no score scale: it cannot judge this household, which
                # keeps its official category.
                category = cl.Category(old_cat)
            memo[key] = category
        group = ""
        if category in spec.groups_for:
            facts = [cl.MemberFacts(bool(m.get("able_to_work")), bool(m.get("social_protection"))) for m in members or []]
            group = cl.household_group(facts, spec.group_rule).value
        c = counts[commune_id]
        if category == cl.Category.POOR:
            c["poor"] += 1
            c["poor_persons"] += member_count
            c["poverty_reduction" if group == Group.POVERTY_REDUCTION else "social_protection"] += 1
        elif category == cl.Category.NEAR_POOR:
            c["near_poor"] += 1
            c["near_poor_persons"] += member_count
        if category.value != old_cat or group != old_group:
            transitions[(old_cat, category.value)] += 1
            if commune_id in visible:
                changes_total += 1
                if len(changes) < CHANGE_LIMIT:
                    changes.append(
                        Change(
                            code, head, names.get(commune_id, ""), income, len(codes), old_cat, old_group, category.value, group
                        )
                    )

    official = rates_for(round=round, unit=unit, level=level, status="all")
    draft_rows = rows_from_counts(
        unit=unit,
        level=level,
        communes=communes,
        counts=counts,
        denominators=denominators_for(round=round, commune_ids=commune_ids),
        persons=persons_denominators_for(round=round, commune_ids=commune_ids),
    )
    if unit.level == level:
        official = [r for r in official if r.unit_code == unit.code]
        draft_rows = [r for r in draft_rows if r.unit_code == unit.code]
    return SimulationResult(
        round=round,
        draft=draft,
        unit=unit,
        level=level,
        official=official,
        official_total=rates_total(official, unit=unit),
        draft_rows=draft_rows,
        draft_total=rates_total(draft_rows, unit=unit),
        changes=changes,
        changes_total=changes_total,
        transitions=dict(transitions),
    )


CATEGORY_ORDER = [c.value for c in Category]
