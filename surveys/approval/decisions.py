"""The decisions that make a list official: the commune chairman's recognition of a list revision, and the provincial
People's Committee's decision approving the round's result (with its scan)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, diff, snapshot
from core.audit_actions import AuditAction
from core.policy import Action
from households.models import AdminUnit
from surveys.approval.selectors import COMMUNE_ROLES, RECOGNITION_STATES, acts_for
from surveys.approval.services import _lock, _require_current
from surveys.approved_cache import approval_stamp_bump
from surveys.models import CommuneList, RoundDecision, SurveyRound


@transaction.atomic
def recognition_record(*, actor, commune_list: CommuneList, number: str, date: datetime.date, signer: str) -> CommuneList:
    """Record the commune chairman's decision recognising the list's poor and near-poor households (number, date,
    signer), after the public posting and before the department approves. Recording it again corrects it."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, COMMUNE_ROLES):
        raise PermissionDenied(_("Only the commune's officers or chairman record the chairman's decision."))
    _require_current(locked)
    if locked.status not in RECOGNITION_STATES:
        raise ValidationError({"status": _("The list is approved: its recognition decision cannot change.")})
    number, signer = (number or "").strip(), (signer or "").strip()
    errors = {}
    if not number:
        errors["recognition_number"] = [_("Enter the decision's number, e.g. 123/QĐ-UBND.")]
    elif len(number) > 50:
        errors["recognition_number"] = [_("At most 50 characters.")]
    if not signer:
        errors["recognition_signer"] = [_("Enter who signed the decision.")]
    elif len(signer) > 120:
        errors["recognition_signer"] = [_("At most 120 characters.")]
    if not isinstance(date, datetime.date):
        errors["recognition_date"] = [_("Enter the decision's date.")]
    elif date > timezone.localdate():
        errors["recognition_date"] = [_("A decision cannot be dated in the future.")]
    else:
        posting = locked.postings.order_by("-ends_on").first()
        if posting is not None and date < posting.ends_on:
            errors["recognition_date"] = [
                _("The decision comes after the public posting, which ended on %(date)s.")
                % {"date": f"{posting.ends_on:%d/%m/%Y}"}
            ]
    if errors:
        raise ValidationError(errors)
    before = snapshot(locked, ["recognition_number", "recognition_date", "recognition_signer"])
    locked.recognition_number, locked.recognition_date, locked.recognition_signer = number, date, signer
    locked.recognition_recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.version += 1
    locked.save(
        update_fields=["recognition_number", "recognition_date", "recognition_signer", "recognition_recorded_by", "version"]
    )
    audit(
        actor=actor,
        action=AuditAction.COMMUNE_LIST_RECOGNISED,
        target=locked,
        changes=diff(before, snapshot(locked, ["recognition_number", "recognition_date", "recognition_signer"])),
    )
    return locked


DECISION_MAGIC = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


@transaction.atomic
def round_decision_record(
    *, actor, round: SurveyRound, number: str, date: datetime.date, signer: str, document=None
) -> RoundDecision:
    """Record the provincial People's Committee's decision approving the round's result, with its scan (a PDF,
    JPEG or PNG, checked by its first bytes, at most POVREG_DECISION_MAX_BYTES)."""
    if not _department_of(actor, round.province):
        raise PermissionDenied(_("Only department staff record the province's approval decision."))
    number, signer = (number or "").strip(), (signer or "").strip()
    errors = {}
    if not number or len(number) > 50:
        errors["number"] = [_("Enter the decision's number (at most 50 characters).")]
    if not signer or len(signer) > 120:
        errors["signer"] = [_("Enter who signed the decision (at most 120 characters).")]
    if not isinstance(date, datetime.date) or date > timezone.localdate():
        errors["date"] = [_("Enter the decision's date (not in the future).")]
    if document is not None:
        limit = int(getattr(settings, "POVREG_DECISION_MAX_BYTES", 10 * 1024 * 1024))
        head = document.read(8)
        document.seek(0)
        kind = next((k for magic, k in DECISION_MAGIC.items() if head.startswith(magic)), None)
        if document.size > limit:
            errors["document"] = [_("The scan is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}]
        elif kind is None:
            errors["document"] = [_("The scan must be a PDF, JPEG or PNG file.")]
        else:
            document.name = f"decision.{kind}"
    if errors:
        raise ValidationError(errors)
    decision = RoundDecision(
        round=round,
        number=number,
        date=date,
        signer=signer,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if document is not None:
        decision.document.save(document.name, document, save=False)
    decision.save()
    approval_stamp_bump([round.pk])  # (the next round's flows say which decision they start from)
    audit(
        actor=actor,
        action=AuditAction.ROUND_DECISION_RECORDED,
        target=round,
        changes={
            "decision_number": [None, number],
            "decision_date": [None, date],
            "signer": [None, signer],
            "document": [None, bool(document)],
        },
    )
    return decision


def _department_of(user, province: AdminUnit) -> bool:
    """Department staff of the province (or the system: management commands and the demo pass no user)."""
    from core.policy import can

    return user is None or can(user, Action.APPROVE, province)
