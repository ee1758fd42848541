"""Appeals: a household's complaint against its classification, lodged while the commune's list is not approved, and
its outcome once the household is reassessed (the reassessment is the ordinary `assessment_save`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, diff, snapshot
from core.audit_actions import AuditAction
from core.versions import check_version
from households.models import Household
from surveys.approval.selectors import COMMUNE_ROLES, DEPARTMENT_ROLES, acts_for
from surveys.models import Appeal, AppealStatus, Assessment, CommuneList, ListStatus, SurveyRound


@transaction.atomic
def appeal_lodge(*, actor, household: Household, round: SurveyRound, complaint: str) -> Appeal:
    """A household's complaint against its classification, lodged by an officer; opens its reassessment."""
    try:
        household = Household.objects.visible_to(actor).get(pk=household.pk)
    except Household.DoesNotExist:
        raise Household.DoesNotExist(_("No such household."))
    complaint = (complaint or "").strip()
    if not complaint:
        raise ValidationError({"complaint": _("Write down the household's complaint.")})
    assessment = Assessment.objects.select_for_update().filter(household=household, round=round).first()
    if assessment is None:
        raise ValidationError({"household": _("The household has no assessment in this round to appeal against.")})
    if not acts_for(actor, assessment.commune, COMMUNE_ROLES + DEPARTMENT_ROLES):
        raise PermissionDenied(_("Only the commune's officers or the department can lodge an appeal."))
    # Lock the list row so an appeal cannot slip in while the list is being approved.
    commune_list = (
        CommuneList.objects.select_for_update().filter(round=round, commune_id=assessment.commune_id, is_current=True).first()
    )
    if commune_list is not None and commune_list.status == ListStatus.APPROVED:
        raise ValidationError(
            {"round": _("The commune's list is approved; department staff must open a revision before an appeal can change it.")}
        )
    if Appeal.objects.filter(household=household, round=round, status=AppealStatus.OPEN).exists():
        raise ValidationError({"household": _("This household already has an open appeal in this round.")})
    appeal = Appeal.objects.create(
        household=household,
        round=round,
        commune_id=assessment.commune_id,
        assessment=assessment,
        complaint=complaint,
        category_before=assessment.category,
        lodged_by=actor,
    )
    audit(
        actor=actor,
        action=AuditAction.APPEAL_LODGED,
        target=appeal,
        reason=complaint,
        changes={
            "status": [None, AppealStatus.OPEN],
            "household": [None, household.code],
            "round": [None, round.code],
            "category": [None, assessment.category],
        },
    )
    return appeal


@transaction.atomic
def appeal_decide(*, actor, appeal: Appeal, status: str, outcome: str, expected_version: int | None = None) -> Appeal:
    """Record the outcome of an appeal (upheld or rejected) with the household's category as reassessed."""
    try:
        locked = Appeal.objects.visible_to(actor).select_for_update(of=("self",)).get(pk=appeal.pk)
    except Appeal.DoesNotExist:
        raise Appeal.DoesNotExist(_("No such appeal."))
    if not acts_for(actor, locked.commune, COMMUNE_ROLES + DEPARTMENT_ROLES):
        raise PermissionDenied(_("Only the commune's officers or chairman or the department can decide an appeal."))
    check_version(locked, expected_version, message=_("This appeal was changed by someone else; reload it and try again."))
    if locked.status != AppealStatus.OPEN:
        raise ValidationError({"status": _("This appeal is already decided.")})
    if status not in (AppealStatus.UPHELD, AppealStatus.REJECTED):
        raise ValidationError({"status": _("Decide an appeal as upheld or rejected.")})
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Write down the outcome.")})
    fields = ["status", "outcome", "category_after", "decided_by", "decided_at"]
    before = snapshot(locked, fields)
    locked.status, locked.outcome = status, outcome
    locked.category_after = Assessment.objects.filter(pk=locked.assessment_id).values_list("category", flat=True).get()
    locked.decided_by, locked.decided_at = actor, timezone.now()
    locked.version += 1
    locked.save()
    audit(
        actor=actor,
        action=AuditAction.APPEAL_DECIDED,
        target=locked,
        changes=diff(before, snapshot(locked, fields)),
        reason=outcome,
    )
    return locked
