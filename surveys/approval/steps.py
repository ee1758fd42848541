"""The procedure steps recorded on a draft list (Decision 24/2021/QĐ-TTg): hamlet meetings and the public posting, and
their withdrawal when recorded by mistake. Locked, checked and audited like the list's own transitions."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.audit_actions import AuditAction
from households.models import Hamlet
from surveys.approval.selectors import COMMUNE_ROLES, EDITABLE_STATES, acts_for, working_days
from surveys.approval.services import _lock, _require_current
from surveys.models import CommuneList, HamletMeeting, PublicPosting


def _lock_editable_for_commune(actor, commune_list: CommuneList) -> CommuneList:
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, COMMUNE_ROLES):
        raise PermissionDenied(_("Only the commune's officers or chairman record the procedure steps."))
    _require_current(locked)
    if locked.status not in EDITABLE_STATES:
        raise ValidationError({"status": _("The list is submitted or approved; its procedure steps cannot change.")})
    return locked


def _whole(value, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError({name: _("Enter a whole number, at least %(min)s.") % {"min": minimum}})
    return value


@transaction.atomic
def hamlet_meeting_record(
    *,
    actor,
    commune_list: CommuneList,
    hamlet: Hamlet,
    held_on: datetime.date,
    attendees: int,
    agreeing: int,
    minutes_note: str = "",
) -> HamletMeeting:
    """Record a hamlet meeting on the draft list; under 50% agreeing, that hamlet's part must be redone."""
    locked = _lock_editable_for_commune(actor, commune_list)
    if hamlet.commune_id != locked.commune_id:
        raise ValidationError({"hamlet": _("The hamlet is not in the list's commune.")})
    attendees = _whole(attendees, "attendees", minimum=1)
    agreeing = _whole(agreeing, "agreeing", minimum=0)
    if agreeing > attendees:
        raise ValidationError({"agreeing": _("More people agreeing than attending.")})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("The meeting date cannot be in the future.")})
    meeting = HamletMeeting.objects.create(
        commune_list=locked,
        hamlet=hamlet,
        held_on=held_on,
        attendees=attendees,
        agreeing=agreeing,
        minutes_note=(minutes_note or "").strip(),
        recorded_by=actor,
    )
    audit(
        actor=actor,
        action=AuditAction.HAMLET_MEETING_RECORDED,
        target=meeting,
        changes={
            "hamlet": [None, hamlet.name],
            "held_on": [None, held_on],
            "attendees": [None, attendees],
            "agreeing": [None, agreeing],
            "agreement_percent": [None, meeting.agreement_percent],
            "commune_list": [None, str(locked.pk)],
        },
    )
    return meeting


@transaction.atomic
def public_posting_record(
    *, actor, commune_list: CommuneList, starts_on: datetime.date, ends_on: datetime.date, place: str = ""
) -> PublicPosting:
    """Record the public posting of the draft list (where, from when, until when)."""
    locked = _lock_editable_for_commune(actor, commune_list)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The posting cannot end before it starts.")})
    posting = PublicPosting.objects.create(
        commune_list=locked, starts_on=starts_on, ends_on=ends_on, place=(place or "").strip(), recorded_by=actor
    )
    audit(
        actor=actor,
        action=AuditAction.PUBLIC_POSTING_RECORDED,
        target=posting,
        changes={
            "starts_on": [None, starts_on],
            "ends_on": [None, ends_on],
            "place": [None, posting.place],
            "working_days": [None, working_days(starts_on, ends_on)],
            "commune_list": [None, str(locked.pk)],
        },
    )
    return posting


@transaction.atomic
def procedure_step_withdraw(*, actor, commune_list: CommuneList, step, reason: str) -> None:
    """Withdraw a hamlet meeting or a public posting recorded by mistake (a wrong date, a wrong hamlet), while
    the list is a draft or returned; the audit trail keeps what it was and why it went."""
    locked = _lock_editable_for_commune(actor, commune_list)
    if step.commune_list_id != locked.pk:
        raise ValidationError({"step": _("This step does not belong to the list.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the step is withdrawn.")})
    if isinstance(step, HamletMeeting):
        action = AuditAction.HAMLET_MEETING_WITHDRAWN
        before = {"hamlet": step.hamlet.name, "held_on": step.held_on, "attendees": step.attendees, "agreeing": step.agreeing}
    else:
        action = AuditAction.PUBLIC_POSTING_WITHDRAWN
        before = {"starts_on": step.starts_on, "ends_on": step.ends_on, "place": step.place}
    target_pk = step.pk
    step.delete()
    step.pk = target_pk
    audit(
        actor=actor,
        action=action,
        target=step,
        reason=reason,
        changes={**{k: [v, None] for k, v in before.items()}, "commune_list": [str(locked.pk), None]},
    )
