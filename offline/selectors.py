"""Reads of the offline entry app: which communes a user may take offline, and the package for one of them.

The package is what entry needs and nothing more: the commune's active households with their members (no citizen
IDs: the offline app registers new households and assesses, it does not edit members), the open round with its
criteria set (indicator texts in both languages, the rule table per area type as `surveys.classification` reads it)
and each household's current assessment in that round with its version."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language

from core.policy import Action, communes_for
from households.models import AdminUnit, EthnicGroup, Hamlet, Household, HouseholdStatus, Member, Relation, Sex
from surveys import classification as cl
from surveys.assessment_refresh import newest_open_round
from surveys.assessment_rules import income_sets
from surveys.models import Assessment, CriteriaSet, ListStatus, SurveyRound
from surveys.round_areas import area_in_round
from surveys.services import LOCKED_LIST_STATES, criteria_spec, round_additional_sets

PACKAGE_FORMAT = 1


def offline_days() -> int:
    return max(1, int(settings.POVREG_OFFLINE_DAYS))


def offline_expiry(now: datetime.datetime | None = None) -> datetime.datetime:
    """When a copy taken (or confirmed by a signed-in visit) now stops opening: POVREG_OFFLINE_DAYS later."""
    return (now or timezone.now()) + datetime.timedelta(days=offline_days())


def offline_communes(user):
    """The communes whose households `user` may enter (the access policy's `edit`), in force first."""
    return communes_for(user, Action.EDIT).order_by("valid_to", "code")


def offline_commune_get(user, code: str | None) -> AdminUnit | None:
    """The commune to take offline: the one named (when the user may enter there), else the user's only one."""
    communes = offline_communes(user)
    if code:
        found = list(communes.filter(code=str(code).strip()[:10]).order_by("valid_to")[:2])
        in_force = [c for c in found if c.valid_to is None]
        return (in_force or found or [None])[0]
    found = list(communes[:2])
    return found[0] if len(found) == 1 else None


def _rule_json(rule: cl.Rule) -> dict:
    return {
        "category": rule.category.value,
        "income_above": rule.income_above,
        "income_upto": rule.income_upto,
        "upto_inclusive": rule.upto_inclusive,
        "min_deprived": rule.min_deprived,
        "max_deprived": rule.max_deprived,
    }


def spec_json(spec: cl.CriteriaSpec) -> dict:
    """The pure criteria spec as plain JSON, for the browser's port of `classify` (static/offline/classify.js)."""
    return {
        "code": spec.code,
        "rules": {area: [_rule_json(r) for r in rules] for area, rules in spec.rules.items()},
        "indicators": [{"code": i.code, "name_vi": i.name_vi, "name_en": i.name_en} for i in spec.indicators],
        "group_rule": spec.group_rule.value,
        "groups_for": sorted(c.value for c in spec.groups_for),
        "score": None
        if spec.score is None
        else {
            "lines": dict(spec.score.lines),
            "points_per_indicator": spec.score.points_per_indicator,
            "poor_min_b": spec.score.poor_min_b,
            "average_upto": dict(spec.score.average_upto),
        },
        "income_period": spec.income_period,
        "low_income_lines": dict(spec.low_income_lines),
    }


def criteria_json(criteria_set: CriteriaSet) -> dict:
    """A criteria set for the offline app: its spec (the rule table the server classifies with), its names, and each
    indicator's dimension and deprivation threshold in Vietnamese and English."""
    data = spec_json(criteria_spec(criteria_set))
    details = {i.code: i for i in criteria_set.indicators.all()}
    for indicator in data["indicators"]:
        row = details[indicator["code"]]
        indicator.update(dimension=row.dimension, threshold_vi=row.threshold_vi, threshold_en=row.threshold_en)
    data.update(name_vi=criteria_set.name_vi, name_en=criteria_set.name_en, legal_basis=criteria_set.legal_basis)
    return data


def _round_json(survey_round: SurveyRound | None, commune: AdminUnit) -> dict | None:
    if survey_round is None:
        return None
    current = survey_round.commune_lists.filter(commune=commune, is_current=True).values_list("status", flat=True).first()
    additional = round_additional_sets(survey_round)
    return {
        "code": survey_round.code,
        "year": survey_round.year,
        "criteria_set": survey_round.criteria_set.code,
        "area_type": area_in_round(round=survey_round, commune=commune),
        "list_status": current,
        "list_locked": current in LOCKED_LIST_STATES,
        "list_status_label": str(ListStatus(current).label) if current else "",
        # A scored household also needs its income when the round reports under an income-only standard too.
        "income_also": [s.code for s in income_sets(additional)] if survey_round.criteria_set.has_score_scale else [],
    }


def _members_json(household: Household) -> list[dict]:
    return [
        {
            "full_name": m.full_name,
            "sex": m.sex,
            "birth_year": m.birth_year,
            "relation": m.relation,
            "ethnicity": m.ethnic_group.code if m.ethnic_group_id else m.ethnicity,
            "able_to_work": m.able_to_work,
            "social_protection": m.social_protection,
            "merit": m.merit,
            "disability": m.disability,
        }
        for m in household.members.all()
    ]


def _assessments_json(survey_round: SurveyRound | None, household_ids: list[int]) -> dict[int, dict]:
    """Each household's current assessment in the round (inputs, the server's result and its version)."""
    if survey_round is None or not household_ids:
        return {}
    rows = list(
        Assessment.objects.filter(round=survey_round, household_id__in=household_ids).values(
            "id",
            "household_id",
            "version",
            "basis",
            "income_per_capita",
            "score_a",
            "score_b",
            "category",
            "group",
            "deprived_count",
            "explanation_vi",
            "explanation_en",
            "updated_at",
        )
    )
    codes: dict[int, list[str]] = {}
    through = Assessment.deprived_indicators.through
    for assessment_id, code in (
        through.objects.filter(assessment_id__in=[r["id"] for r in rows])
        .order_by("indicator__position", "indicator__code")
        .values_list("assessment_id", "indicator__code")
    ):
        codes.setdefault(assessment_id, []).append(code)
    out = {}
    for row in rows:
        assessment_id, household_id = row.pop("id"), row.pop("household_id")
        row["group"] = row["group"] or None
        row["deprived"] = codes.get(assessment_id, [])
        row["updated_at"] = row["updated_at"].isoformat()
        out[household_id] = row
    return out


_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


def next_household_code(commune: AdminUnit, codes: list[str]) -> str:
    """A suggestion for a new household's code: the commune's numbered codes ("25747-0012") continued, else the
    commune code and 0001. Only a suggestion: the server refuses a code that is taken by then."""
    best: tuple[int, str, int] | None = None
    for code in codes:
        match = _NUMBERED.match(code)
        if match and code.startswith(commune.code):
            number = int(match["number"])
            if best is None or number > best[0]:
                best = (number, match["prefix"], len(match["number"]))
    if best is None:
        return f"{commune.code}-0001"
    number, prefix, width = best
    return f"{prefix}{number + 1:0{width}d}"


def offline_package(*, user, commune: AdminUnit) -> tuple[dict, list[int]]:
    """The offline copy of one commune for `user` (who may enter there: the caller checks), with its expiry, and the
    ids of the households it holds (for the personal-data access log)."""
    survey_round = newest_open_round(commune.province)
    if survey_round is not None:
        survey_round = SurveyRound.objects.select_related("criteria_set").get(pk=survey_round.pk)
    households = list(
        Household.objects.visible_to(user)
        .filter(commune=commune, status=HouseholdStatus.ACTIVE)
        .select_related("hamlet")
        .prefetch_related(Prefetch("members", queryset=Member.objects.select_related("ethnic_group").order_by("position", "id")))
        .order_by("code")
    )
    assessments = _assessments_json(survey_round, [h.pk for h in households])
    lang = "en" if (get_language() or "vi").startswith("en") else "vi"
    now = timezone.now()
    package = {
        "format": PACKAGE_FORMAT,
        "user": {"id": user.pk, "username": user.get_username()},
        "commune": {"code": commune.code, "name": commune.name, "area_type": commune.area_type},
        "round": _round_json(survey_round, commune),
        "criteria_set": criteria_json(survey_round.criteria_set) if survey_round is not None else None,
        "hamlets": list(Hamlet.objects.filter(commune=commune).order_by("name").values_list("name", flat=True)),
        "households": [
            {
                "code": h.code,
                "hamlet": h.hamlet.name if h.hamlet_id else "",
                "head_name": h.head_name,
                "address": h.address,
                "version": h.version,
                "members": _members_json(h),
                "assessment": assessments.get(h.pk),
            }
            for h in households
        ],
        "ethnic_groups": [{"code": g.code, "name": g.name(lang)} for g in EthnicGroup.objects.order_by("code")],
        "choices": {
            "sex": [[v, str(label)] for v, label in Sex.choices],
            "relation": [[v, str(label)] for v, label in Relation.choices],
        },
        # An income per person outside these bounds is confirmed before it is kept (as the web form asks).
        "income_warn": {"above": settings.POVREG_INCOME_WARN_ABOVE, "below": settings.POVREG_INCOME_WARN_BELOW},
        "next_code": next_household_code(commune, list(Household.objects.filter(commune=commune).values_list("code", flat=True))),
        "downloaded_at": now.isoformat(),
        "expires_at": offline_expiry(now).isoformat(),
        "days": offline_days(),
    }
    return package, [h.pk for h in households]
