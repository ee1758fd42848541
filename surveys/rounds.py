"""Survey rounds: opening one, its additional standards, its communes' area types and denominators, and
reclassifying it after a rule was corrected. Department staff's writes, each audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit, snapshot
from core.audit_actions import AuditAction
from core.policy import Action, can
from households.models import AdminUnit, Level
from surveys import classification as cl
from surveys.assessment_rules import classify_household
from surveys.assessment_rules import rule_members as _member_facts
from surveys.models import (
    Assessment,
    CommuneList,
    CriteriaSet,
    Denominator,
    RoundArea,
    RoundKind,
    SurveyRound,
    criteria_set_covers,
)
from surveys.round_areas import round_areas_fill, round_communes
from surveys.services import LOCKED_LIST_STATES, criteria_spec, list_is_locked, standard_results_refresh


def _require_department(actor) -> None:
    if not can(actor, Action.MANAGE_ROUNDS):
        raise PermissionDenied(_("Only department staff can do this."))


def predecessor_rounds(*, province: AdminUnit, year: int) -> list[SurveyRound]:
    """The rounds a new round of `province` follows by default: the province's latest earlier round, or,
    for a province of the 2025 structure with none, the latest earlier round of each province it absorbed."""
    own = SurveyRound.objects.filter(province=province, year__lt=year).order_by("-year", "-starts_on").first()
    if own is not None:
        return [own]
    found = []
    for old_province in AdminUnit.objects.filter(successors=province, level=Level.PROVINCE).order_by("code"):
        latest = SurveyRound.objects.filter(province=old_province, year__lt=year).order_by("-year", "-starts_on").first()
        if latest is not None:
            found.append(latest)
    return found


@transaction.atomic
def round_create(
    *,
    actor,
    code: str,
    year: int,
    criteria_set: CriteriaSet,
    province: AdminUnit,
    kind: str = RoundKind.PERIODIC,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    reference_date: datetime.date | None = None,
    previous_round: SurveyRound | None = None,
    previous_rounds: Iterable[SurveyRound] | None = None,
    additional_sets: Iterable[CriteriaSet] = (),
) -> SurveyRound:
    """Open a survey round for a province under an official criteria set valid in its year; records each
    commune's area type as of the round and the predecessor rounds (several after a merger of provinces), and
    the additional standards the same review is also classified under."""
    if actor is not None:
        _require_department(actor)
    if province.level != Level.PROVINCE:
        raise ValidationError({"province": _("A round covers a province.")})
    if not criteria_set.is_official:
        raise ValidationError({"criteria": _("A round needs an official criteria set; drafts are for simulation.")})
    if not criteria_set_covers(criteria_set, year):
        from surveys.models.rounds import _criteria_validity_message

        raise ValidationError({"criteria": _criteria_validity_message(criteria_set, year)})
    if kind not in RoundKind.values:
        raise ValidationError({"kind": _("Unknown round kind %(kind)s.") % {"kind": kind}})
    if kind == RoundKind.PERIODIC:
        starts_on = starts_on or datetime.date(year, 9, 1)
        ends_on = ends_on or datetime.date(year, 12, 14)
    else:
        starts_on = starts_on or datetime.date(year, 1, 1)
        ends_on = ends_on or datetime.date(year, 12, 31)
    if previous_rounds is None:
        previous_rounds = [previous_round] if previous_round is not None else predecessor_rounds(province=province, year=year)
    previous_rounds = list(dict.fromkeys(previous_rounds))
    for previous in previous_rounds:
        if previous.year > year or (previous.year == year and previous.code == code.strip()):
            raise ValidationError(
                {"previous": _("The previous round %(code)s is not earlier than this round.") % {"code": previous.code}}
            )
    survey_round = SurveyRound(
        code=code.strip(),
        year=year,
        kind=kind,
        criteria_set=criteria_set,
        province=province,
        starts_on=starts_on,
        ends_on=ends_on,
        reference_date=reference_date or starts_on,
    )
    survey_round.full_clean()
    survey_round.save()
    survey_round.previous_rounds.set(previous_rounds)
    areas = round_areas_fill(round=survey_round)
    changes = {
        k: [None, v]
        for k, v in snapshot(survey_round, ["code", "year", "kind", "criteria_set", "province", "starts_on", "ends_on"]).items()
    }
    changes["previous_rounds"] = [None, [r.code for r in previous_rounds]]
    changes["communes"] = [None, areas]
    audit(actor=actor, action=AuditAction.ROUND_CREATED, target=survey_round, changes=changes)
    if additional_sets:
        round_standards_set(actor=actor, round=survey_round, additional_sets=additional_sets)
    return survey_round


@transaction.atomic
def round_standards_set(*, actor, round: SurveyRound, additional_sets: Iterable[CriteriaSet]) -> int:
    """Set the standards a round is classified under besides its official set (a province's own, or the next
    period's for a dry run) and classify the round's assessments under them. Lists already approved keep what
    was frozen with them. Returns the number of results stored."""
    if actor is not None:
        _require_department(actor)
    wanted = list(dict.fromkeys(additional_sets))
    for criteria_set in wanted:
        if criteria_set.pk == round.criteria_set_id:
            raise ValidationError(
                {"additional_sets": _("%(code)s is the round's official standard.") % {"code": criteria_set.code}}
            )
    before = sorted(round.additional_sets.values_list("code", flat=True))
    round.additional_sets.set(wanted)
    after = sorted(s.code for s in wanted)
    stored = standard_results_refresh(Assessment.objects.filter(round=round).values_list("pk", flat=True))
    if before != after:
        audit(actor=actor, action=AuditAction.ROUND_STANDARDS_SET, target=round, changes={"additional_sets": [before, after]})
    return stored


def round_area_change_blocker(*, round: SurveyRound, commune: AdminUnit, except_households=()) -> str:
    """Why the commune's area type in the round cannot change now ("" when it can): only before its first
    assessment in the round (other than those of `except_households`, which are about to be reassessed)."""
    assessed = Assessment.objects.filter(round=round, commune=commune)
    if except_households:
        assessed = assessed.exclude(household_id__in=list(except_households))
    if assessed.exists():
        return _("%(unit)s already has assessments in round %(round)s; its area type can no longer change.") % {
            "unit": commune.name,
            "round": round.code,
        }
    if list_is_locked(round=round, commune=commune):
        return _("The commune's list for this round is submitted or approved; its assessments cannot change.")
    return ""


@transaction.atomic
def round_area_set(*, actor, round: SurveyRound, commune: AdminUnit, area_type: str) -> RoundArea:
    """Correct a commune's area type as of the round (e.g. a ward that was a rural commune that year)."""
    if actor is not None:
        _require_department(actor)
    if area_type not in ("urban", "rural"):
        raise ValidationError({"area": _("The area type is urban or rural.")})
    if not round_communes(round).filter(pk=commune.pk).exists():
        raise ValidationError({"commune_code": _("%(code)s is not a commune of the round's province.") % {"code": commune.code}})
    area, _created = RoundArea.objects.select_for_update().get_or_create(
        round=round, commune=commune, defaults={"area_type": commune.area_type}
    )
    if area.area_type == area_type:
        return area
    blocker = round_area_change_blocker(round=round, commune=commune)
    if blocker:
        raise ValidationError({"area": blocker})
    before = area.area_type
    area.area_type = area_type
    area.save(update_fields=["area_type"])
    audit(actor=actor, action=AuditAction.ROUND_AREA_SET, target=round, changes={f"area[{commune.code}]": [before, area_type]})
    return area


@transaction.atomic
def denominator_set(
    *, actor, round: SurveyRound, commune: AdminUnit, total_households: int, total_persons: int | None = None
) -> Denominator:
    """Record a commune's total households at the round's date (the rate's denominator)."""
    if actor is not None:
        _require_department(actor)
    if commune.level != Level.COMMUNE or commune.province.pk != round.province_id:
        raise ValidationError({"commune_code": _("%(code)s is not a commune of the round's province.") % {"code": commune.code}})
    if isinstance(total_households, bool) or not isinstance(total_households, int) or total_households < 0:
        raise ValidationError({"total_households": _("Total households must be a whole number, 0 or more.")})
    existing = Denominator.objects.select_for_update().filter(round=round, commune=commune).first()
    before = existing.total_households if existing else None
    if existing and existing.total_households == total_households and existing.total_persons == total_persons:
        return existing
    denominator = existing or Denominator(round=round, commune=commune)
    denominator.total_households, denominator.total_persons = total_households, total_persons
    denominator.save()
    audit(
        actor=actor,
        action=AuditAction.DENOMINATOR_SET,
        target=denominator,
        changes={"total_households": [before, total_households]},
    )
    return denominator


@transaction.atomic
def round_reclassify(*, actor, round: SurveyRound) -> int:
    """Recompute every assessment of the round from its stored inputs under the criteria set as it now
    stands (after staff corrected a rule); communes whose lists are submitted or approved keep their results."""
    if actor is not None:
        _require_department(actor)
    spec = criteria_spec(round.criteria_set)
    locked = CommuneList.objects.filter(round=round, is_current=True, status__in=LOCKED_LIST_STATES).values("commune_id")
    through = Assessment.deprived_indicators.through
    codes: dict[int, list[str]] = {}
    for assessment_id, code in through.objects.filter(assessment__round=round).values_list("assessment_id", "indicator__code"):
        codes.setdefault(assessment_id, []).append(code)
    changed = []
    unlocked = []
    for assessment in Assessment.objects.filter(round=round).exclude(commune_id__in=locked).iterator(chunk_size=2000):
        unlocked.append(assessment.pk)
        result = classify_household(
            spec=spec,
            area=assessment.area_type,
            income_per_capita=None if assessment.score_a is not None else assessment.income_per_capita,
            score_a=assessment.score_a,
            deprived=codes.get(assessment.pk, []),
            members=assessment.members_snapshot,
        )
        low_income = cl.low_income_workers(
            spec,
            area=assessment.area_type,
            income=assessment.income_per_capita,
            category=result.category,
            members=_member_facts(assessment.members_snapshot or []),
        )
        new = (
            result.category.value,
            result.group.value if result.group else "",
            result.explanation_vi,
            result.explanation_en,
            result.score_b,
            low_income,
        )
        if new != (
            assessment.category,
            assessment.group,
            assessment.explanation_vi,
            assessment.explanation_en,
            assessment.score_b,
            assessment.low_income_workers,
        ):
            (
                assessment.category,
                assessment.group,
                assessment.explanation_vi,
                assessment.explanation_en,
                assessment.score_b,
                assessment.low_income_workers,
            ) = new
            assessment.criteria_set = round.criteria_set
            assessment.version += 1
            changed.append(assessment)
    Assessment.objects.bulk_update(
        changed,
        ["category", "group", "explanation_vi", "explanation_en", "score_b", "low_income_workers", "criteria_set", "version"],
        batch_size=1000,
    )
    # Results under the additional standards: recomputed for every unlocked assessment (a standard may have been
    # added to the round, or its rules corrected).
    standard_results_refresh(unlocked)
    audit(actor=actor, action=AuditAction.ROUND_RECLASSIFIED, target=round, changes={"assessments_changed": [None, len(changed)]})
    return len(changed)
