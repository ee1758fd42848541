"""Reading the audit trail: the history of one object, as far as the reader may see that object."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent

HISTORY_LIMIT = 200

ACTION_LABELS = {
    "household.created": _("Household registered"),
    "household.updated": _("Household changed"),
    "household.status_changed": _("Household status changed"),
    "household.imported": _("Imported from a survey workbook"),
    "household.rehomed": _("Moved to the commune of 1 July 2025"),
    "round.area_set": _("Area type in the round changed"),
    "assessment.created": _("Assessment entered"),
    "assessment.updated": _("Assessment changed"),
    "commune_list.created": _("List started"),
    "commune_list.submitted": _("List submitted"),
    "commune_list.district_reviewed": _("List reviewed by the district"),
    "commune_list.approved": _("List approved"),
    "commune_list.returned": _("List returned"),
    "commune_list.revision_opened": _("Revision opened"),
    "hamlet_meeting.recorded": _("Hamlet meeting recorded"),
    "public_posting.recorded": _("Public posting recorded"),
    "hamlet_meeting.withdrawn": _("Hamlet meeting withdrawn"),
    "public_posting.withdrawn": _("Public posting withdrawn"),
    "appeal.lodged": _("Appeal lodged"),
    "appeal.decided": _("Appeal decided"),
}


def _label(event: AuditEvent) -> AuditEvent:
    event.action_label = ACTION_LABELS.get(event.action, event.action)
    return event


def _targets(label: str, ids) -> Q:
    return Q(target_type=label, target_id__in=[str(i) for i in ids])


def _visible(obj, user) -> bool:
    manager = type(obj)._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user).filter(pk=obj.pk).exists()
    # Objects without personal data (criteria sets, rounds): department staff and administrators.
    from households.permissions import is_staff_of_province

    return is_staff_of_province(user)


def _related_targets(obj) -> Q:
    """The object itself, plus what belongs to its story: a list's other revisions, procedure steps and
    appeals; a household's assessments and appeals; an assessment's appeals."""
    from households.models import Household
    from surveys.models import Appeal, Assessment, CommuneList, HamletMeeting, PublicPosting

    where = _targets(obj._meta.label_lower, [obj.pk])
    if isinstance(obj, CommuneList):
        revisions = list(CommuneList.objects.filter(round_id=obj.round_id, commune_id=obj.commune_id).values_list("pk", flat=True))
        where |= _targets(CommuneList._meta.label_lower, revisions)
        where |= _targets(
            HamletMeeting._meta.label_lower,
            HamletMeeting.objects.filter(commune_list_id__in=revisions).values_list("pk", flat=True),
        )
        where |= _targets(
            PublicPosting._meta.label_lower,
            PublicPosting.objects.filter(commune_list_id__in=revisions).values_list("pk", flat=True),
        )
        where |= _targets(
            Appeal._meta.label_lower,
            Appeal.objects.filter(round_id=obj.round_id, commune_id=obj.commune_id).values_list("pk", flat=True),
        )
    elif isinstance(obj, Household):
        where |= _targets(Assessment._meta.label_lower, Assessment.objects.filter(household=obj).values_list("pk", flat=True))
        where |= _targets(Appeal._meta.label_lower, Appeal.objects.filter(household=obj).values_list("pk", flat=True))
    elif isinstance(obj, Assessment):
        where |= _targets(Appeal._meta.label_lower, Appeal.objects.filter(assessment=obj).values_list("pk", flat=True))
    return where


def audit_events_for(obj, user, *, limit: int = HISTORY_LIMIT) -> list[AuditEvent]:
    """The newest audit events of `obj` and what belongs to it, or nothing when `user` may not see `obj`.

    Each event gets an `action_label` for display; pass the result as `events` to templates/core/history.html.
    """
    if obj is None or obj.pk is None or not _visible(obj, user):
        return []
    events = AuditEvent.objects.filter(_related_targets(obj)).select_related(None).order_by("-created_at", "-id")[:limit]
    return [_label(e) for e in events]
