"""The steps that turn a household's inputs into its assessment in a round, shared by the single write
(`surveys.services.assessment_save`) and the bulk one (the survey import, `surveys.imports`): the member facts an
assessment is decided on and keeps, the call of the rule table, and the copying of a result onto an Assessment.

They live apart from the services so a bulk path can call them row by row without a query per row: only
`member_facts` reads the database (one household's members); the others work on objects already in memory.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from households.models import Household, Member
from surveys import classification as cl
from surveys.models import Assessment, CriteriaSet


def member_fact(member: Member, *, ethnic_group_code: str | None) -> dict:
    """One member's facts as an assessment keeps them (an item of its members_snapshot). "ethnic_group" is the GSO
    code (None when the text names no group); "ethnicity" its display text (older snapshots have only the text)."""
    return {
        "id": member.pk,
        "able_to_work": member.able_to_work,
        "social_protection": member.social_protection,
        "merit": member.merit,
        "disability": member.disability,
        "sex": member.sex,
        "birth_year": member.birth_year,
        "ethnicity": member.ethnicity,
        "ethnic_group": ethnic_group_code,
        "relation": member.relation,
    }


def member_facts(household: Household) -> list[dict]:
    """The member facts an assessment is decided on and keeps (its members_snapshot), read in one query."""
    return [
        member_fact(m, ethnic_group_code=m.ethnic_group.code if m.ethnic_group_id else None)
        for m in household.members.select_related("ethnic_group")
    ]


def rule_members(members: list[dict]) -> list[cl.MemberFacts]:
    """The facts the rule table reads of each member (for the group and the low-income workers)."""
    return [cl.MemberFacts(bool(m["able_to_work"]), bool(m["social_protection"])) for m in members]


def classify_household(
    *,
    spec: cl.CriteriaSpec,
    area: str,
    income_per_capita: int | None,
    deprived: Iterable[str],
    members: list[dict],
    score_a: int | None = None,
) -> cl.Result:
    """The rule table's answer for one household; an input the table refuses is a ValidationError on its field."""
    try:
        return cl.classify(
            spec, area=area, income=income_per_capita, score_a=score_a, deprived=deprived, members=rule_members(members)
        )
    except cl.ClassificationInputError as exc:
        raise ValidationError({exc.field: str(exc)}) from exc


def assessment_result_apply(
    assessment: Assessment,
    *,
    household: Household,
    criteria_set: CriteriaSet,
    members: list[dict],
    result: cl.Result,
    area: str,
    spec: cl.CriteriaSpec,
    income_per_capita: int | None,
) -> None:
    """Write a classification result, the inputs it was decided on and the low-income workers onto `assessment`
    (unsaved): every field an assessment derives from its household and the rule table, set in this one place."""
    # The single write hands a household with its commune and hamlet loaded (its answer shows them); the import
    # hands ids only, so that a row costs no query.
    for name in ("commune", "hamlet"):
        link = Household._meta.get_field(name)
        if link.is_cached(household):
            setattr(assessment, name, getattr(household, name))
        else:
            setattr(assessment, link.attname, getattr(household, link.attname))
    assessment.criteria_set = criteria_set
    assessment.area_type = area
    assessment.member_count = len(members)
    assessment.able_to_work_count = sum(1 for m in members if m["able_to_work"])
    assessment.social_protection_count = sum(1 for m in members if m["social_protection"])
    assessment.members_snapshot = members
    assessment.category = result.category.value
    assessment.group = result.group.value if result.group else ""
    assessment.deprived_count = result.deprived_count
    assessment.basis = result.basis
    assessment.income_per_capita = income_per_capita
    assessment.score_a = result.score_a
    assessment.score_b = result.score_b
    assessment.explanation_vi = result.explanation_vi
    assessment.explanation_en = result.explanation_en
    assessment.low_income_workers = cl.low_income_workers(
        spec, area=area, income=income_per_capita, category=result.category, members=rule_members(members)
    )


def income_sets(additional: Iterable[CriteriaSet]) -> list[CriteriaSet]:
    """The additional standards that can classify only from an income (they have no score scale)."""
    return [s for s in additional if not s.has_score_scale]


def income_test_errors(
    *, income_per_capita, score_a, criteria_set: CriteriaSet | None = None, additional: Iterable[CriteriaSet] = ()
) -> dict[str, list[str]]:
    """The income test is an income per person or (for a set with a score scale) score A: exactly one. The
    errors name both fields when both or neither are given, `score_a` for a set without a score scale.
    In a round with `additional` standards that classify from income only, a scored household also needs its
    income (and may then give both): the error names `income_per_capita`."""
    need_income = income_sets(additional)
    if need_income and criteria_set is not None and criteria_set.has_score_scale and score_a is not None:
        if income_per_capita is None:
            return {
                "income_per_capita": [
                    _("This round also classifies under %(codes)s, which uses the income per person: enter it beside score A.")
                    % {"codes": ", ".join(s.code for s in need_income)}
                ]
            }
        return {}
    if (income_per_capita is None) == (score_a is None):
        message = (
            _("Give either the income per person (income_per_capita) or score A (score_a), not both.")
            if score_a is not None
            else _("Give the income per person (income_per_capita) or, for a set with a score scale, score A (score_a).")
        )
        return {"income_per_capita": [message], "score_a": [message]}
    if score_a is not None and criteria_set is not None and not criteria_set.has_score_scale:
        return {
            "score_a": [
                _("The criteria set %(code)s has no score scale: give the income per person instead.")
                % {"code": criteria_set.code}
            ]
        }
    return {}


def income_test_error(errors: dict[str, list[str]]) -> ValidationError:
    """The errors of `income_test_errors` with their code: `one_of` (both or neither given) or `no_score_scale`."""
    code = "one_of" if len(errors) == 2 else "no_score_scale"
    return ValidationError({field: [ValidationError(m, code=code) for m in messages] for field, messages in errors.items()})
