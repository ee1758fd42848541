"""Keeping a household's open-round assessments in step with it (the hook households calls after a change), and the preview of a classification before anything is saved."""

from __future__ import annotations

from collections.abc import Iterable

from households.models import AdminUnit, Household
from surveys import classification as cl
from surveys.assessment_rules import classify_household, income_test_error, income_test_errors
from surveys.models import Assessment, CriteriaSet, SurveyRound
from surveys.services import assessment_save, criteria_spec, list_is_locked


def newest_open_round(province: AdminUnit) -> SurveyRound | None:
    """The round a household edit belongs to: the newest open round of the household's province."""
    return SurveyRound.objects.filter(province=province, is_open=True).order_by("-year", "-starts_on", "-pk").first()


def household_assessments_refresh(*, household: Household, actor, exclude_round: SurveyRound | None = None) -> list[Assessment]:
    """After members change on the household page, recompute the household's assessment in the newest open
    round of its province only (when it has one there and the list is not locked): every other round keeps
    the member snapshot it was decided on (DESIGN.md §1 "Time")."""
    survey_round = newest_open_round(household.commune.province)
    if survey_round is None or survey_round == exclude_round:
        return []
    assessment = Assessment.objects.filter(household=household, round=survey_round).first()
    if assessment is None or list_is_locked(round=survey_round, commune=assessment.commune):
        return []
    return [
        assessment_save(
            actor=actor,
            household=household,
            round=survey_round,
            income_per_capita=assessment.income_per_capita,
            score_a=assessment.score_a,
            deprived=assessment.deprived_indicators.values_list("code", flat=True),
            reason="members changed",
        )
    ]


def preview(
    *,
    criteria_set: CriteriaSet,
    area: str,
    income_per_capita: int | None,
    deprived: Iterable[str],
    members: list[dict],
    score_a: int | None = None,
    additional: Iterable[CriteriaSet] = (),
) -> cl.Result:
    """Classify without storing anything (what-if API, live preview)."""
    errors = income_test_errors(
        income_per_capita=income_per_capita, score_a=score_a, criteria_set=criteria_set, additional=additional
    )
    if errors:
        raise income_test_error(errors)
    return classify_household(
        spec=criteria_spec(criteria_set),
        area=area,
        income_per_capita=None if score_a is not None else income_per_capita,
        score_a=score_a,
        deprived=deprived,
        members=members,
    )
