"""State changes of surveys: rounds, denominators, assessments. Atomic, permission-checked, audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.audit import audit, diff, snapshot
from core.audit_actions import AuditAction
from core.exceptions import ConflictError
from core.versions import check_version
from households.models import AdminUnit, Household, HouseholdStatus
from households.permissions import can_edit_commune
from surveys import classification as cl
from surveys.assessment_rules import (
    assessment_result_apply,
    classify_household,
    income_test_error,
    income_test_errors,
    member_facts,
)
from surveys.assessment_rules import rule_members as _member_facts
from surveys.models import MAX_INCOME_PER_CAPITA, Assessment, CommuneList, CriteriaSet, Indicator, ListStatus, SurveyRound
from surveys.round_areas import area_in_round

ASSESSMENT_FIELDS = [
    "basis",
    "income_per_capita",
    "score_a",
    "score_b",
    "category",
    "group",
    "deprived_count",
    "member_count",
    "able_to_work_count",
    "social_protection_count",
    "commune",
    "hamlet",
    "area_type",
]
# Lists in these states are out of the commune's hands: under review, or approved and frozen.
LOCKED_LIST_STATES = (ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED, ListStatus.APPROVED)


def criteria_spec(criteria_set: CriteriaSet) -> cl.CriteriaSpec:
    """The pure rule table of a criteria set, read in two queries."""
    rules: dict[str, list[cl.Rule]] = {"urban": [], "rural": []}
    for rule in criteria_set.rules.order_by("area_type", "position"):
        rules[rule.area_type].append(rule.as_pure())
    indicators = tuple(cl.IndicatorSpec(code=i.code, name_vi=i.name_vi, name_en=i.name_en) for i in criteria_set.indicators.all())
    groups_for = {cl.Category.POOR, cl.Category.NEAR_POOR} if criteria_set.groups_for_near_poor else {cl.Category.POOR}
    score = (
        cl.ScoreScale(
            lines={"rural": criteria_set.score_line_rural, "urban": criteria_set.score_line_urban},
            points_per_indicator=criteria_set.score_points_per_indicator,
            poor_min_b=criteria_set.score_poor_min_b,
        )
        if criteria_set.has_score_scale
        else None
    )
    low_income = {"rural": criteria_set.low_income_line_rural, "urban": criteria_set.low_income_line_urban}
    return cl.CriteriaSpec(
        code=criteria_set.code,
        rules={k: tuple(v) for k, v in rules.items()},
        indicators=indicators,
        group_rule=cl.GroupRule(criteria_set.group_rule),
        groups_for=frozenset(groups_for),
        score=score,
        income_period=criteria_set.income_period,
        low_income_lines={k: v for k, v in low_income.items() if v is not None},
    )


def list_is_locked(*, round: SurveyRound, commune: AdminUnit) -> bool:
    return CommuneList.objects.filter(round=round, commune=commune, is_current=True, status__in=LOCKED_LIST_STATES).exists()


def _check_round_open(round: SurveyRound, commune: AdminUnit) -> None:
    if not round.is_open:
        raise ValidationError({"round": _("The round %(round)s is closed for entry.") % {"round": round.code}})
    if commune.province.pk != round.province_id:
        raise ValidationError({"round": _("The round does not cover this household's province.")})
    # Lock the commune's current list row (when there is one) for this transaction: a submission waits for
    # the assessment to commit, and an assessment waits for a submission and then sees the list locked.
    current = CommuneList.objects.select_for_update().filter(round=round, commune=commune, is_current=True).first()
    if current is not None and current.status in LOCKED_LIST_STATES:
        raise ValidationError(
            {"round": _("The commune's list for this round is submitted or approved; its assessments cannot change.")}
        )


def _indicators_for(criteria_set: CriteriaSet, codes: Iterable[str]) -> list[Indicator]:
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {i.code: i for i in criteria_set.indicators.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            {
                "deprived": _("Unknown indicator code(s) for %(set)s: %(codes)s.")
                % {"set": criteria_set.code, "codes": ", ".join(unknown)}
            }
        )
    return [found[c] for c in codes]


ASSESSMENT_CHANGED = _lazy("This assessment was changed by someone else; reload it and try again.")
ALREADY_ASSESSED = _lazy("This household is already assessed in this round; change it with PUT.")


@transaction.atomic
def assessment_create(
    *,
    actor,
    household: Household,
    round: SurveyRound,
    income_per_capita: int | None = None,
    deprived: Iterable[str],
    score_a: int | None = None,
    reason: str = "",
) -> Assessment:
    """The household's first assessment in `round`. One already there, even one another request committed a moment
    ago, is a conflict (ConflictError on `household`, a 409), never a database error."""
    return _assessment_write(
        actor=actor,
        household=household,
        round=round,
        income_per_capita=income_per_capita,
        deprived=deprived,
        score_a=score_a,
        reason=reason,
        mode="create",
    )


@transaction.atomic
def assessment_update(
    *,
    actor,
    household: Household,
    round: SurveyRound,
    income_per_capita: int | None = None,
    deprived: Iterable[str],
    score_a: int | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> Assessment:
    """Change the household's assessment in `round` (it must exist), based on the version the caller read."""
    return _assessment_write(
        actor=actor,
        household=household,
        round=round,
        income_per_capita=income_per_capita,
        deprived=deprived,
        score_a=score_a,
        expected_version=expected_version,
        reason=reason,
        mode="update",
    )


@transaction.atomic
def assessment_save(
    *,
    actor,
    household: Household,
    round: SurveyRound,
    income_per_capita: int | None = None,
    deprived: Iterable[str],
    score_a: int | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> Assessment:
    """Create or update, for callers that hold no assessment (the entry page, member changes, commands and tests):
    `expected_version` 0 says the caller saw none, so one created since is a conflict."""
    return _assessment_write(
        actor=actor,
        household=household,
        round=round,
        income_per_capita=income_per_capita,
        deprived=deprived,
        score_a=score_a,
        expected_version=expected_version,
        reason=reason,
        mode="either",
    )


def _assessment_write(
    *,
    actor,
    household: Household,
    round: SurveyRound,
    income_per_capita: int | None,
    deprived: Iterable[str],
    score_a: int | None,
    reason: str,
    mode: str,
    expected_version: int | None = None,
) -> Assessment:
    """Classify the household from the stored inputs (the income per person, or score A for a round whose criteria
    set has a score scale, Circular 07) and store its assessment in `round`. Runs inside the caller's transaction."""
    household = Household.objects.select_related("commune", "hamlet").get(pk=household.pk)
    # actor=None is the system (management commands); every request passes its user, anonymous included.
    if actor is not None and not can_edit_commune(actor, household.commune):
        raise PermissionDenied(_("You cannot assess households of %(unit)s.") % {"unit": household.commune.name})
    if mode == "create" and Assessment.objects.filter(household=household, round=round).exists():
        raise ConflictError(str(ALREADY_ASSESSED), field="household")  # said before any check of the inputs
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationError({"household": _("Only an active household can be assessed.")})
    additional = round_additional_sets(round)
    errors = income_test_errors(
        income_per_capita=income_per_capita, score_a=score_a, criteria_set=round.criteria_set, additional=additional
    )
    if errors:
        raise income_test_error(errors)
    if score_a is not None:
        if isinstance(score_a, bool) or not isinstance(score_a, int) or not 0 <= score_a <= cl.MAX_SCORE_A:
            raise ValidationError(
                {"score_a": _("Score A is a whole number of points from 0 to %(max)s.") % {"max": cl.MAX_SCORE_A}}
            )
    if income_per_capita is None:
        pass  # scored without an income (income_test_errors allowed it)
    elif isinstance(income_per_capita, bool) or not isinstance(income_per_capita, int):
        raise ValidationError({"income_per_capita": _("Income per capita must be a whole number of VND.")})
    elif income_per_capita < 0:
        raise ValidationError({"income_per_capita": _("Income per capita cannot be negative.")})
    elif income_per_capita > MAX_INCOME_PER_CAPITA:
        raise ValidationError(
            {
                "income_per_capita": _("An income above %(max)s đồng per person per month is not plausible; check the amount.")
                % {"max": f"{MAX_INCOME_PER_CAPITA:,}".replace(",", ".")}
            }
        )
    # Locks the commune's list row first: from here to the commit, the list cannot be submitted under this write.
    _check_round_open(round, household.commune)
    criteria_set = round.criteria_set
    indicators = _indicators_for(criteria_set, deprived)
    members = member_facts(household)
    if not members:
        raise ValidationError({"members": _("Register the household's members before assessing it.")})
    area = area_in_round(round=round, commune=household.commune)
    spec = criteria_spec(criteria_set)
    result = classify_household(
        spec=spec,
        area=area,
        income_per_capita=None if score_a is not None else income_per_capita,
        score_a=score_a,
        deprived=[i.code for i in indicators],
        members=members,
    )
    existing = Assessment.objects.select_for_update().filter(household=household, round=round).first()
    if mode == "create" and existing is not None:
        raise ConflictError(str(ALREADY_ASSESSED), field="household")
    if mode == "update" and existing is None:
        raise Assessment.DoesNotExist(_("This household has no assessment in this round."))
    check_version(existing, expected_version, message=ASSESSMENT_CHANGED)
    assessment = existing or Assessment(household=household, round=round)
    before = snapshot(assessment, ASSESSMENT_FIELDS) if existing else {}
    before_codes = sorted(assessment.deprived_indicators.values_list("code", flat=True)) if existing else []
    assessment_result_apply(
        assessment,
        household=household,
        criteria_set=criteria_set,
        members=members,
        result=result,
        area=area,
        spec=spec,
        income_per_capita=income_per_capita,
    )
    assessment.assessed_by = actor if getattr(actor, "is_authenticated", False) else None
    after = snapshot(assessment, ASSESSMENT_FIELDS)
    changes = diff(before, after)
    after_codes = sorted(i.code for i in indicators)
    if before_codes != after_codes or not existing:
        changes["deprived"] = [before_codes if existing else None, after_codes]
    if existing and not changes:
        if additional and existing.standard_results.count() != len(additional):
            standard_results_refresh([existing.pk])
        return existing
    if existing:
        assessment.version += 1
        assessment.save()
    else:
        try:
            with (
                transaction.atomic()
            ):  # a savepoint: the unique (household, round) refusal leaves the caller's transaction usable
                assessment.save()
        except IntegrityError:
            # Another request created the household's assessment in this round at the same moment.
            raise ConflictError(
                str(ALREADY_ASSESSED if mode == "create" else ASSESSMENT_CHANGED),
                field="household" if mode == "create" else "version",
            ) from None
    assessment.deprived_indicators.set(indicators)
    if additional:
        standard_results_refresh([assessment.pk])
    audit(
        actor=actor,
        action=AuditAction.ASSESSMENT_UPDATED if existing else "assessment.created",
        target=assessment,
        changes=changes,
        reason=reason,
    )
    return assessment


def round_additional_sets(round: SurveyRound) -> list[CriteriaSet]:
    """The round's additional standards (never its official set), by code."""
    return [s for s in round.additional_sets.order_by("code") if s.pk != round.criteria_set_id]


def standard_results_refresh(assessment_ids: Iterable[int]) -> int:
    """Classify the assessments under every additional standard of their rounds, from their stored inputs (the
    official set's deprivations, matched by code; an indicator the other set does not have is left out), and
    store the results, replacing older ones. The one place these results are written: the assessment service,
    the import and reclassification all call it. Set-based: a few queries per round, whatever the number of
    assessments. Returns the number of results stored."""
    assessment_ids = list(assessment_ids)
    from surveys.models import StandardResult

    through = Assessment.deprived_indicators.through
    stored = 0
    for chunk_start in range(0, len(assessment_ids), 2000):
        chunk = assessment_ids[chunk_start : chunk_start + 2000]
        StandardResult.objects.filter(assessment_id__in=chunk).delete()
        rows = list(
            Assessment.objects.filter(pk__in=chunk).values(
                "id",
                "round_id",
                "commune_id",
                "household_id",
                "area_type",
                "income_per_capita",
                "score_a",
                "member_count",
                "members_snapshot",
            )
        )
        codes: dict[int, list[str]] = {}
        for aid, code in through.objects.filter(assessment_id__in=chunk).values_list("assessment_id", "indicator__code"):
            codes.setdefault(aid, []).append(code)
        by_round: dict[int, list[dict]] = {}
        for row in rows:
            by_round.setdefault(row["round_id"], []).append(row)
        results = []
        for round_id, assessments in by_round.items():
            survey_round = SurveyRound.objects.select_related("criteria_set").get(pk=round_id)
            for criteria_set in round_additional_sets(survey_round):
                spec = criteria_spec(criteria_set)
                for a in assessments:
                    use_score = a["score_a"] is not None and spec.score is not None
                    income = None if use_score else a["income_per_capita"]
                    if income is None and not use_score:
                        continue  # (an assessment entered before the standard was added, scored without an income)
                    members = _member_facts(a["members_snapshot"] or [])
                    result = cl.classify(
                        spec,
                        area=a["area_type"],
                        income=income,
                        score_a=a["score_a"] if use_score else None,
                        deprived=[c for c in codes.get(a["id"], []) if c in spec.indicator_codes],
                        members=members,
                    )
                    results.append(
                        StandardResult(
                            assessment_id=a["id"],
                            criteria_set=criteria_set,
                            round_id=round_id,
                            commune_id=a["commune_id"],
                            household_id=a["household_id"],
                            member_count=a["member_count"],
                            basis=result.basis,
                            category=result.category.value,
                            group=result.group.value if result.group else "",
                            deprived_count=result.deprived_count,
                            low_income_workers=cl.low_income_workers(
                                spec,
                                area=a["area_type"],
                                income=a["income_per_capita"],
                                category=result.category,
                                members=members,
                            ),
                            explanation_vi=result.explanation_vi,
                            explanation_en=result.explanation_en,
                        )
                    )
        StandardResult.objects.bulk_create(results, batch_size=2000)
        stored += len(results)
    return stored
