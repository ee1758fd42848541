"""The commune list's own transitions: start, submit, district review, approval (which freezes), return, and the
revision that corrects an approved list; and the same review, approval or return over many lists at once.
Locking, checks, exceptions and audit as the package says (surveys/approval/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.audit import audit, diff, snapshot
from core.audit_actions import AuditAction
from core.exceptions import ConflictError
from core.versions import check_version
from households.models import AdminUnit, Level, communes_visible_to
from surveys.approval.freeze import frozen_counts, list_entries_freeze
from surveys.approval.selectors import (
    COMMUNE_ROLES,
    DEPARTMENT_ROLES,
    DISTRICT_ROLES,
    EDITABLE_STATES,
    acts_for,
    current_list,
    procedure_state,
)
from surveys.approved_cache import approval_stamp_bump
from surveys.models import Appeal, AppealStatus, CommuneList, ListStatus, SurveyRound
from surveys.selectors import COUNT_FIELDS

LIST_AUDIT_FIELDS = [
    "status",
    "is_current",
    "returned_reason",
    "submitted_by",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "approved_by",
    "approved_at",
    "total_households",
    "total_persons",
    *COUNT_FIELDS,
]


# --- shared steps of every write ---------------------------------------------------------------------------


def _not_found() -> CommuneList.DoesNotExist:
    return CommuneList.DoesNotExist(_("No such commune list."))


def _lock(actor, commune_list: CommuneList) -> CommuneList:
    """The list row, locked for this transaction, as far as `actor` may see it."""
    try:
        return (
            CommuneList.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("round", "round__province", "commune")
            .get(pk=commune_list.pk)
        )
    except CommuneList.DoesNotExist:
        raise _not_found()


LIST_CHANGED = _lazy("This list was changed by someone else; reload it and try again.")


def _require_current(locked: CommuneList) -> None:
    if not locked.is_current:
        raise ValidationError({"status": _("This is an earlier revision of the list; act on the current one.")})


def _commune_of_round(round: SurveyRound, commune: AdminUnit) -> None:
    in_round = AdminUnit.objects.under(round.province).filter(pk=commune.pk, level=Level.COMMUNE).exists()
    if not in_round:
        raise ValidationError({"commune": _("%(unit)s is not a commune of the round's province.") % {"unit": commune.name}})


def _with_usernames(changes: dict) -> dict:
    """Users in a list's history read as usernames, not ids (`submitted_by`, `reviewed_by`, `approved_by`)."""
    ids = {v for k, pair in changes.items() if k.endswith("_by") for v in pair if v}
    if not ids:
        return changes
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    return {k: [names.get(int(v), v) if v else v for v in pair] if k.endswith("_by") else pair for k, pair in changes.items()}


def _transition(locked: CommuneList, *, actor, action: str, reason: str = "", **values) -> CommuneList:
    before = snapshot(locked, LIST_AUDIT_FIELDS)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.save()
    changes = _with_usernames(diff(before, snapshot(locked, LIST_AUDIT_FIELDS)))
    audit(actor=actor, action=action, target=locked, changes=changes, reason=reason)
    return locked


# --- the list ----------------------------------------------------------------------------------------------


@transaction.atomic
def commune_list_get_or_create(*, actor, round: SurveyRound, commune: AdminUnit) -> CommuneList:
    """The commune's current list for the round; a draft revision 1 is created (and audited) when none exists."""
    if not communes_visible_to(actor).filter(pk=commune.pk).exists():
        raise _not_found()
    existing = current_list(round=round, commune=commune)
    if existing is not None:
        return existing
    if not acts_for(actor, commune, COMMUNE_ROLES + DEPARTMENT_ROLES):
        raise PermissionDenied(_("Only the commune or the department can start a commune's list."))
    _commune_of_round(round, commune)
    revisions = CommuneList.objects.filter(round=round, commune=commune).order_by("-revision").values_list("revision", flat=True)
    revision = (revisions.first() or 0) + 1
    try:
        with transaction.atomic():
            created = CommuneList.objects.create(round=round, commune=commune, revision=revision)
    except IntegrityError:
        # Someone else created it at the same moment: theirs is the list.
        return CommuneList.objects.get(round=round, commune=commune, is_current=True)
    audit(
        actor=actor,
        action=AuditAction.COMMUNE_LIST_CREATED,
        target=created,
        changes={"status": [None, ListStatus.DRAFT], "revision": [None, revision]},
    )
    return created


@transaction.atomic
def commune_list_submit(
    *, actor, commune_list: CommuneList, expected_version: int | None = None, reason: str = ""
) -> CommuneList:
    """The commune (officer or chairman) sends its list up, once the procedure steps are complete."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, COMMUNE_ROLES):
        raise PermissionDenied(_("Only the commune's officers or chairman can submit its list."))
    check_version(locked, expected_version, message=LIST_CHANGED)
    _require_current(locked)
    if locked.status not in EDITABLE_STATES:
        raise ValidationError({"status": _("Only a draft or returned list can be submitted.")})
    blockers = procedure_state(locked).blockers
    if blockers:
        raise ValidationError({"procedure": blockers})
    return _transition(
        locked,
        actor=actor,
        action=AuditAction.COMMUNE_LIST_SUBMITTED,
        reason=reason,
        status=ListStatus.SUBMITTED,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def commune_list_review(
    *, actor, commune_list: CommuneList, expected_version: int | None = None, reason: str = ""
) -> CommuneList:
    """The district gives its favourable opinion on a submitted list (only where districts exist)."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, DISTRICT_ROLES):
        raise PermissionDenied(_("Only the district's officers can review the commune's list."))
    check_version(locked, expected_version, message=LIST_CHANGED)
    _require_current(locked)
    if not locked.round.has_districts:
        raise ValidationError({"status": _("This round has no district level; the department reviews lists directly.")})
    if locked.status != ListStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted list can be reviewed.")})
    return _transition(
        locked,
        actor=actor,
        action=AuditAction.COMMUNE_LIST_DISTRICT_REVIEWED,
        reason=reason,
        status=ListStatus.DISTRICT_REVIEWED,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
    )


@transaction.atomic
def commune_list_approve(
    *, actor, commune_list: CommuneList, expected_version: int | None = None, reason: str = ""
) -> CommuneList:
    """The department approves the list and freezes its counts (the numbers provincial rates read)."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, DEPARTMENT_ROLES):
        raise PermissionDenied(_("Only department staff can approve lists."))
    check_version(locked, expected_version, message=LIST_CHANGED)
    _require_current(locked)
    if locked.round.has_districts:
        if locked.status == ListStatus.SUBMITTED:
            raise ValidationError({"status": _("The district has not reviewed this list yet.")})
        if locked.status != ListStatus.DISTRICT_REVIEWED:
            raise ValidationError({"status": _("Only a list reviewed by the district can be approved.")})
    elif locked.status != ListStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted list can be approved.")})
    if Appeal.objects.filter(round_id=locked.round_id, commune_id=locked.commune_id, status=AppealStatus.OPEN).exists():
        raise ValidationError({"status": _("Appeals of this commune are still open; return the list so they can be decided.")})
    if not locked.is_recognised:
        raise ValidationError({"recognition": _("The commune chairman's recognition decision is not recorded yet.")})
    frozen = frozen_counts(round=locked.round, commune_ids=[locked.commune_id])[locked.commune_id]
    list_entries_freeze([locked])
    approval_stamp_bump([locked.round_id])
    return _transition(
        locked,
        actor=actor,
        action=AuditAction.COMMUNE_LIST_APPROVED,
        reason=reason,
        status=ListStatus.APPROVED,
        approved_by=actor,
        approved_at=timezone.now(),
        **frozen,
    )


@transaction.atomic
def commune_list_return(*, actor, commune_list: CommuneList, reason: str, expected_version: int | None = None) -> CommuneList:
    """A reviewing level sends the list back to the commune, saying why; the commune can then correct it."""
    locked = _lock(actor, commune_list)
    if locked.status == ListStatus.SUBMITTED:
        roles = DISTRICT_ROLES + DEPARTMENT_ROLES if locked.round.has_districts else DEPARTMENT_ROLES
    else:
        roles = DEPARTMENT_ROLES
    if not acts_for(actor, locked.commune, roles):
        raise PermissionDenied(_("You cannot return this commune's list."))
    check_version(locked, expected_version, message=LIST_CHANGED)
    _require_current(locked)
    if locked.status not in (ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED):
        raise ValidationError({"status": _("Only a list under review can be returned.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the list is returned.")})
    return _transition(
        locked,
        actor=actor,
        action=AuditAction.COMMUNE_LIST_RETURNED,
        reason=reason,
        status=ListStatus.RETURNED,
        returned_reason=reason,
        reviewed_by=None,
        reviewed_at=None,
    )


@transaction.atomic
def commune_list_open_revision(
    *, actor, commune_list: CommuneList, reason: str, expected_version: int | None = None
) -> CommuneList:
    """Department staff open a correction of an approved list: a new draft revision becomes current, the
    approved one stays as it was (readable, its frozen counts still the approved numbers)."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, DEPARTMENT_ROLES):
        raise PermissionDenied(_("Only department staff can open a revision of an approved list."))
    check_version(locked, expected_version, message=LIST_CHANGED)
    _require_current(locked)
    if locked.status != ListStatus.APPROVED:
        raise ValidationError({"status": _("Only an approved list is corrected by a new revision.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the approved list must be corrected.")})
    locked.is_current = False
    locked.save(update_fields=["is_current"])
    approval_stamp_bump([locked.round_id])
    revision = CommuneList.objects.create(
        round=locked.round, commune=locked.commune, revision=locked.revision + 1, revision_reason=reason
    )
    audit(
        actor=actor,
        action=AuditAction.COMMUNE_LIST_REVISION_OPENED,
        target=revision,
        reason=reason,
        changes={
            "revision": [locked.revision, revision.revision],
            "status": [ListStatus.APPROVED, ListStatus.DRAFT],
            "previous_revision": [None, str(locked.pk)],
        },
    )
    return revision


# --- many lists at once ------------------------------------------------------------------------------------------

BULK_ACTIONS = {"review": commune_list_review, "approve": commune_list_approve, "return": commune_list_return}
MAX_BULK_LISTS = 200


@dataclass
class BulkOutcome:
    """What became of one list of a bulk action: done (with its new status and version) or refused, and why."""

    round_code: str
    commune_code: str
    done: bool
    status: str = ""
    version: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    commune_name: str = ""


def commune_lists_bulk(
    *, actor, action: str, items: list[tuple[CommuneList | None, int | None, str, str]], reason: str = ""
) -> list[BulkOutcome]:
    """Review, approve or return many lists: each through its own service, with its own checks, in its own transaction
    (one refusal undoes nothing else, and each list gets its own audit event). `items` are (the current list or None
    when not found in the caller's units, the version the caller saw or None, round code, commune code)."""
    service = BULK_ACTIONS.get(action)
    if service is None:
        raise ValidationError({"action": _("The action is review, approve or return.")})
    if not items or len(items) > MAX_BULK_LISTS:
        raise ValidationError({"lists": _("Give from 1 to %(max)s lists.") % {"max": MAX_BULK_LISTS}})
    if action == "return" and not (reason or "").strip():
        raise ValidationError({"reason": ValidationError(_("Say why the lists are returned."), code="required_to_return")})
    outcomes = []
    for commune_list, version, round_code, commune_code in items:
        if commune_list is None:
            outcomes.append(
                BulkOutcome(
                    round_code,
                    commune_code,
                    False,
                    errors={"list": [_("No current list of this commune in this round among your units.")]},
                )
            )
            continue
        try:
            done = service(actor=actor, commune_list=commune_list, expected_version=version, reason=reason)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"list": exc.messages}
        except (PermissionDenied, ConflictError, CommuneList.DoesNotExist) as exc:
            key = "version" if isinstance(exc, ConflictError) else "permission"
            errors = {key: [str(exc) or _("You cannot do this on this list.")]}
        else:
            outcomes.append(
                BulkOutcome(
                    round_code,
                    commune_code,
                    True,
                    status=done.status,
                    version=done.version,
                    commune_name=commune_list.commune.name,
                )
            )
            continue
        outcomes.append(
            BulkOutcome(
                round_code,
                commune_code,
                False,
                status=commune_list.status,
                version=commune_list.version,
                errors=errors,
                commune_name=commune_list.commune.name,
            )
        )
    return outcomes
