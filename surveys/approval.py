"""The commune list's way to approval (Decision 24/2021/QĐ-TTg): procedure steps, transitions, appeals.

Every write here is `@transaction.atomic`, locks the list row it acts on (`select_for_update`), checks the
actor's role over the commune, and writes exactly one audit event. A list the actor cannot see raises
`DoesNotExist` (views answer 404, as for a missing one); a list they can see but may not act on raises
`PermissionDenied`; a wrong state or a missing procedure step raises `ValidationError`.

Choices made here (see also DESIGN.md §1 "Review and approval"):
- Procedure steps belong to one revision of the list. Revision 1 needs a hamlet meeting (≥ 50% agreeing,
  the latest meeting of a hamlet counts) for every hamlet with households assessed in the round; a later
  revision needs one only for the hamlets whose assessments changed since the previous revision was
  approved. Every revision needs a public posting of at least `POVREG_POSTING_WORKING_DAYS` working days
  (Monday to Friday; public holidays are not known to Povreg), starting on or after the last meeting, and
  can be submitted only after the posting has ended.
- Appeals are lodged while the commune's current list is not approved (draft, returned, or under review);
  an open appeal blocks submission and approval, so a list under review with an appeal must be returned.
  After approval, department staff first open a new revision (with a reason), then the appeal is lodged
  and the reassessment happens in that revision. The reassessment itself is the ordinary
  `assessment_save` of the household (possible whenever the list is draft or returned).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, diff, snapshot
from core.exceptions import ConflictError
from core.policy import Action, communes_for, roles_for
from households.ethnicity import head_ethnic_minority
from households.models import AdminUnit, Hamlet, Household, Level, communes_visible_to
from surveys.approved_cache import approval_stamp_bump
from surveys.models import (
    Appeal,
    AppealStatus,
    Assessment,
    Category,
    CommuneList,
    EntryResult,
    HamletMeeting,
    ListEntry,
    ListStatus,
    PublicPosting,
    RoundDecision,
    StandardResult,
    SurveyRound,
)
from surveys.selectors import COUNT_FIELDS, denominators_for, live_commune_counts, persons_denominators_for
from surveys.services import areas_in_round

# The roles of each step, from the one access policy (core/policy.py).
COMMUNE_ROLES = roles_for(Action.SUBMIT)
DISTRICT_ROLES = roles_for(Action.REVIEW)
DEPARTMENT_ROLES = roles_for(Action.APPROVE)
EDITABLE_STATES = (ListStatus.DRAFT, ListStatus.RETURNED)
LIST_AUDIT_FIELDS = [
    "status", "is_current", "returned_reason", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at",
    "approved_by", "approved_at", "total_households", "total_persons", *COUNT_FIELDS,
]
POOR_OR_NEAR = (Category.POOR, Category.NEAR_POOR)
NOT_STARTED = "none"  # overview filter: communes with no list yet in the round


# --- who may act -------------------------------------------------------------------------------------------


def acts_for(user, commune: AdminUnit, roles) -> bool:
    """Whether `user` holds one of `roles` over `commune` (directly, or through its district or province)."""
    return communes_for(user, roles=roles).filter(pk=commune.pk).exists()


def posting_working_days() -> int:
    return int(getattr(settings, "POVREG_POSTING_WORKING_DAYS", 3))


def working_days(start: datetime.date, end: datetime.date) -> int:
    """Monday-to-Friday days from `start` to `end`, both included."""
    if end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (start + datetime.timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


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


def _check_version(obj, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise ConflictError(_("This list was changed by someone else; reload it and try again."))


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
    return {
        k: [names.get(int(v), v) if v else v for v in pair] if k.endswith("_by") else pair for k, pair in changes.items()
    }


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


def current_list(*, round: SurveyRound, commune: AdminUnit) -> CommuneList | None:
    return CommuneList.objects.filter(round=round, commune=commune, is_current=True).first()


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
    audit(actor=actor, action="commune_list.created", target=created,
          changes={"status": [None, ListStatus.DRAFT], "revision": [None, revision]})
    return created


@dataclass
class ProcedureState:
    """What the procedure requires of a list before submission, and what is still missing."""

    required_hamlets: list[Hamlet] = field(default_factory=list)
    meetings: dict[int, HamletMeeting] = field(default_factory=dict)  # hamlet id → latest meeting
    posting: PublicPosting | None = None
    posting_days: int = 0
    open_appeals: int = 0
    assessed: int = 0
    blockers: list[str] = field(default_factory=list)


def _previous_approval(commune_list: CommuneList) -> datetime.datetime | None:
    return (
        CommuneList.objects.filter(
            round_id=commune_list.round_id, commune_id=commune_list.commune_id, revision__lt=commune_list.revision,
            status=ListStatus.APPROVED,
        )
        .order_by("-revision")
        .values_list("approved_at", flat=True)
        .first()
    )


def procedure_state(commune_list: CommuneList, *, today: datetime.date | None = None) -> ProcedureState:
    """The recorded procedure steps of a list revision and the reasons it cannot be submitted yet."""
    today = today or timezone.localdate()
    state = ProcedureState()
    assessments = Assessment.objects.filter(round_id=commune_list.round_id, commune_id=commune_list.commune_id)
    state.assessed = assessments.count()
    changed = assessments
    if commune_list.revision > 1:
        approved_at = _previous_approval(commune_list)
        if approved_at is not None:
            changed = assessments.filter(updated_at__gt=approved_at)
    hamlet_ids = changed.exclude(hamlet=None).values("hamlet_id")
    state.required_hamlets = list(Hamlet.objects.filter(pk__in=hamlet_ids).order_by("name"))
    for meeting in commune_list.hamlet_meetings.select_related("hamlet").order_by("hamlet_id", "-held_on", "-id"):
        state.meetings.setdefault(meeting.hamlet_id, meeting)
    state.posting = commune_list.postings.order_by("-ends_on", "-id").first()
    state.open_appeals = Appeal.objects.filter(
        round_id=commune_list.round_id, commune_id=commune_list.commune_id, status=AppealStatus.OPEN
    ).count()

    blockers = state.blockers
    if not state.assessed:
        blockers.append(_("No household of the commune is assessed in this round."))
    for hamlet in state.required_hamlets:
        meeting = state.meetings.get(hamlet.pk)
        if meeting is None:
            blockers.append(_("No hamlet meeting is recorded for %(hamlet)s.") % {"hamlet": hamlet.name})
        elif not meeting.is_agreed:
            blockers.append(
                _("At the meeting in %(hamlet)s only %(share)s%% agreed (under 50%%): the review of that hamlet must be redone.")
                % {"hamlet": hamlet.name, "share": meeting.agreement_percent}
            )
    needed = posting_working_days()
    posting = state.posting
    if posting is None:
        blockers.append(_("No public posting of the list is recorded."))
    else:
        state.posting_days = working_days(posting.starts_on, posting.ends_on)
        if state.posting_days < needed:
            blockers.append(
                _("The list was posted for %(days)s working day(s); it must stay posted for at least %(needed)s.")
                % {"days": state.posting_days, "needed": needed}
            )
        if posting.ends_on >= today:
            blockers.append(
                _("The public posting runs until %(date)s; the list can be submitted after that.") % {"date": f"{posting.ends_on:%d/%m/%Y}"}
            )
        last_meeting = max((m.held_on for m in state.meetings.values()), default=None)
        if last_meeting is not None and posting.starts_on < last_meeting:
            blockers.append(_("The list must be posted after the hamlet meetings (last meeting %(date)s).") % {"date": f"{last_meeting:%d/%m/%Y}"})
    if state.open_appeals:
        blockers.append(
            _("%(n)s appeal(s) of households of this commune are still open; decide them first.") % {"n": state.open_appeals}
        )
    return state


@transaction.atomic
def commune_list_submit(*, actor, commune_list: CommuneList, expected_version: int | None = None, reason: str = "") -> CommuneList:
    """The commune (officer or chairman) sends its list up, once the procedure steps are complete."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, COMMUNE_ROLES):
        raise PermissionDenied(_("Only the commune's officers or chairman can submit its list."))
    _check_version(locked, expected_version)
    _require_current(locked)
    if locked.status not in EDITABLE_STATES:
        raise ValidationError({"status": _("Only a draft or returned list can be submitted.")})
    blockers = procedure_state(locked).blockers
    if blockers:
        raise ValidationError({"procedure": blockers})
    return _transition(
        locked, actor=actor, action="commune_list.submitted", reason=reason,
        status=ListStatus.SUBMITTED, submitted_by=actor, submitted_at=timezone.now(),
    )


@transaction.atomic
def commune_list_review(*, actor, commune_list: CommuneList, expected_version: int | None = None, reason: str = "") -> CommuneList:
    """The district gives its favourable opinion on a submitted list (only where districts exist)."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, DISTRICT_ROLES):
        raise PermissionDenied(_("Only the district's officers can review the commune's list."))
    _check_version(locked, expected_version)
    _require_current(locked)
    if not locked.round.has_districts:
        raise ValidationError({"status": _("This round has no district level; the department reviews lists directly.")})
    if locked.status != ListStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted list can be reviewed.")})
    return _transition(
        locked, actor=actor, action="commune_list.district_reviewed", reason=reason,
        status=ListStatus.DISTRICT_REVIEWED, reviewed_by=actor, reviewed_at=timezone.now(),
    )


@transaction.atomic
def commune_list_approve(*, actor, commune_list: CommuneList, expected_version: int | None = None, reason: str = "") -> CommuneList:
    """The department approves the list and freezes its counts (the numbers provincial rates read)."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, DEPARTMENT_ROLES):
        raise PermissionDenied(_("Only department staff can approve lists."))
    _check_version(locked, expected_version)
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
        locked, actor=actor, action="commune_list.approved", reason=reason,
        status=ListStatus.APPROVED, approved_by=actor, approved_at=timezone.now(), **frozen,
    )


def frozen_counts(*, round: SurveyRound, commune_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per commune, what approval freezes on the list row: the denominators and the counts of its assessments."""
    counts = live_commune_counts(round=round, commune_ids=commune_ids)
    households = denominators_for(round=round, commune_ids=commune_ids)
    persons = persons_denominators_for(round=round, commune_ids=commune_ids)
    return {
        cid: {"total_households": households.get(cid, 0), "total_persons": persons.get(cid, 0),
              **{f: counts.get(cid, {}).get(f, 0) for f in COUNT_FIELDS}}
        for cid in commune_ids
    }


def entry_facts(members_snapshot: list[dict], able_to_work_count: int) -> dict:
    """The breakdown facts of a household from the member facts its assessment was decided on. "Ethnic
    minority": households.ethnicity.head_ethnic_minority, the one definition (the head's group is not Kinh)."""
    heads = [m for m in members_snapshot if m.get("relation") == "head"]
    return {
        "head_ethnic_minority": head_ethnic_minority(heads),
        "head_female": any(m.get("sex") == "F" for m in heads),
        "merit": any(bool(m.get("merit")) for m in members_snapshot),
        "disability": any(bool(m.get("disability")) for m in members_snapshot),
        "no_working_capacity": able_to_work_count == 0,
    }


def list_entries_freeze(commune_lists: list[CommuneList]) -> int:
    """Store one frozen entry per assessed household of each list's commune and round (all categories, so
    that flows and the escaped list read approved data too). Bulk: a few queries per list."""
    through = Assessment.deprived_indicators.through
    created = 0
    for commune_list in commune_lists:
        assessments = Assessment.objects.filter(round_id=commune_list.round_id, commune_id=commune_list.commune_id)
        codes: dict[int, list[str]] = {}
        for aid, code in through.objects.filter(assessment__in=assessments).values_list("assessment_id", "indicator__code"):
            codes.setdefault(aid, []).append(code)
        entries = [
            ListEntry(
                commune_list=commune_list, round_id=a["round_id"], commune_id=a["commune_id"], household_id=a["household_id"],
                hamlet_id=a["hamlet_id"], area_type=a["area_type"], category=a["category"], group=a["group"],
                member_count=a["member_count"], deprived=sorted(codes.get(a["id"], [])),
                low_income_workers=a["low_income_workers"],
                **entry_facts(a["members_snapshot"] or [], a["able_to_work_count"]),
            )
            for a in assessments.values(
                "id", "round_id", "commune_id", "household_id", "hamlet_id", "area_type", "category", "group",
                "member_count", "members_snapshot", "able_to_work_count", "low_income_workers",
            )
        ]
        ListEntry.objects.filter(commune_list=commune_list).delete()
        ListEntry.objects.bulk_create(entries, batch_size=2000)
        # The results under the round's additional standards, frozen with the entries.
        EntryResult.objects.filter(commune_list=commune_list).delete()
        EntryResult.objects.bulk_create(
            (
                EntryResult(commune_list=commune_list, **r)
                for r in StandardResult.objects.filter(round_id=commune_list.round_id, commune_id=commune_list.commune_id).values(
                    "criteria_set_id", "round_id", "commune_id", "household_id", "member_count", "category", "group",
                    "low_income_workers",
                )
            ),
            batch_size=2000,
        )
        created += len(entries)
    return created


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
    _check_version(locked, expected_version)
    _require_current(locked)
    if locked.status not in (ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED):
        raise ValidationError({"status": _("Only a list under review can be returned.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the list is returned.")})
    return _transition(
        locked, actor=actor, action="commune_list.returned", reason=reason,
        status=ListStatus.RETURNED, returned_reason=reason, reviewed_by=None, reviewed_at=None,
    )


@transaction.atomic
def commune_list_open_revision(*, actor, commune_list: CommuneList, reason: str, expected_version: int | None = None) -> CommuneList:
    """Department staff open a correction of an approved list: a new draft revision becomes current, the
    approved one stays as it was (readable, its frozen counts still the approved numbers)."""
    locked = _lock(actor, commune_list)
    if not acts_for(actor, locked.commune, DEPARTMENT_ROLES):
        raise PermissionDenied(_("Only department staff can open a revision of an approved list."))
    _check_version(locked, expected_version)
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
        round=locked.round, commune=locked.commune, revision=locked.revision + 1, revision_reason=reason,
    )
    audit(
        actor=actor, action="commune_list.revision_opened", target=revision, reason=reason,
        changes={"revision": [locked.revision, revision.revision], "status": [ListStatus.APPROVED, ListStatus.DRAFT],
                 "previous_revision": [None, str(locked.pk)]},
    )
    return revision


# --- procedure steps ---------------------------------------------------------------------------------------


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
    *, actor, commune_list: CommuneList, hamlet: Hamlet, held_on: datetime.date, attendees: int, agreeing: int,
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
        commune_list=locked, hamlet=hamlet, held_on=held_on, attendees=attendees, agreeing=agreeing,
        minutes_note=(minutes_note or "").strip(), recorded_by=actor,
    )
    audit(
        actor=actor, action="hamlet_meeting.recorded", target=meeting,
        changes={"hamlet": [None, hamlet.name], "held_on": [None, held_on], "attendees": [None, attendees],
                 "agreeing": [None, agreeing], "agreement_percent": [None, meeting.agreement_percent],
                 "commune_list": [None, str(locked.pk)]},
    )
    return meeting


@transaction.atomic
def public_posting_record(
    *, actor, commune_list: CommuneList, starts_on: datetime.date, ends_on: datetime.date, place: str = "",
) -> PublicPosting:
    """Record the public posting of the draft list (where, from when, until when)."""
    locked = _lock_editable_for_commune(actor, commune_list)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The posting cannot end before it starts.")})
    posting = PublicPosting.objects.create(
        commune_list=locked, starts_on=starts_on, ends_on=ends_on, place=(place or "").strip(), recorded_by=actor,
    )
    audit(
        actor=actor, action="public_posting.recorded", target=posting,
        changes={"starts_on": [None, starts_on], "ends_on": [None, ends_on], "place": [None, posting.place],
                 "working_days": [None, working_days(starts_on, ends_on)], "commune_list": [None, str(locked.pk)]},
    )
    return posting


RECOGNITION_STATES = (ListStatus.DRAFT, ListStatus.RETURNED, ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED)


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
                _("The decision comes after the public posting, which ended on %(date)s.") % {"date": f"{posting.ends_on:%d/%m/%Y}"}
            ]
    if errors:
        raise ValidationError(errors)
    before = snapshot(locked, ["recognition_number", "recognition_date", "recognition_signer"])
    locked.recognition_number, locked.recognition_date, locked.recognition_signer = number, date, signer
    locked.recognition_recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.version += 1
    locked.save(update_fields=["recognition_number", "recognition_date", "recognition_signer", "recognition_recorded_by", "version"])
    audit(actor=actor, action="commune_list.recognised", target=locked,
          changes=diff(before, snapshot(locked, ["recognition_number", "recognition_date", "recognition_signer"])))
    return locked


DECISION_MAGIC = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


@transaction.atomic
def round_decision_record(*, actor, round: SurveyRound, number: str, date: datetime.date, signer: str, document=None) -> RoundDecision:
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
    decision = RoundDecision(round=round, number=number, date=date, signer=signer,
                             recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    if document is not None:
        decision.document.save(document.name, document, save=False)
    decision.save()
    approval_stamp_bump([round.pk])  # (the next round's flows say which decision they start from)
    audit(actor=actor, action="round.decision_recorded", target=round,
          changes={"decision_number": [None, number], "decision_date": [None, date], "signer": [None, signer],
                   "document": [None, bool(document)]})
    return decision


def round_decision(survey_round: SurveyRound) -> RoundDecision | None:
    """The decision in force for the round: the latest recorded."""
    return survey_round.decisions.order_by("-date", "-id").first()


def _department_of(user, province: AdminUnit) -> bool:
    """Department staff of the province (or the system: management commands and the demo pass no user)."""
    from core.policy import can

    return user is None or can(user, Action.APPROVE, province)


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
        action = "hamlet_meeting.withdrawn"
        before = {"hamlet": step.hamlet.name, "held_on": step.held_on, "attendees": step.attendees, "agreeing": step.agreeing}
    else:
        action = "public_posting.withdrawn"
        before = {"starts_on": step.starts_on, "ends_on": step.ends_on, "place": step.place}
    target_pk = step.pk
    step.delete()
    step.pk = target_pk
    audit(actor=actor, action=action, target=step, reason=reason,
          changes={**{k: [v, None] for k, v in before.items()}, "commune_list": [str(locked.pk), None]})


# --- appeals -----------------------------------------------------------------------------------------------


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
        household=household, round=round, commune_id=assessment.commune_id, assessment=assessment, complaint=complaint,
        category_before=assessment.category, lodged_by=actor,
    )
    audit(
        actor=actor, action="appeal.lodged", target=appeal, reason=complaint,
        changes={"status": [None, AppealStatus.OPEN], "household": [None, household.code], "round": [None, round.code],
                 "category": [None, assessment.category]},
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
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(_("This appeal was changed by someone else; reload it and try again."))
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
    audit(actor=actor, action="appeal.decided", target=locked, changes=diff(before, snapshot(locked, fields)), reason=outcome)
    return locked


# --- reads for the pages -----------------------------------------------------------------------------------


def allowed_actions(user, commune_list: CommuneList | None) -> set[str]:
    """The transitions `user` could try on the list now (buttons to show; the services decide)."""
    if commune_list is None or not commune_list.is_current:
        return set()
    commune = commune_list.commune
    is_commune = acts_for(user, commune, COMMUNE_ROLES)
    is_district = commune_list.round.has_districts and acts_for(user, commune, DISTRICT_ROLES)
    is_department = acts_for(user, commune, DEPARTMENT_ROLES)
    status = commune_list.status
    actions = set()
    if status in EDITABLE_STATES and is_commune:
        actions |= {"submit", "record_steps"}
    if status == ListStatus.SUBMITTED and is_district:
        actions |= {"review", "return"}
    if status == ListStatus.SUBMITTED and is_department:
        actions.add("return")
        if not commune_list.round.has_districts:
            actions.add("approve")
    if status == ListStatus.DISTRICT_REVIEWED and is_department:
        actions |= {"approve", "return"}
    if status == ListStatus.APPROVED and is_department:
        actions.add("open_revision")
    return actions


def approved_revision(*, round: SurveyRound, commune: AdminUnit, revision: int | None = None) -> CommuneList | None:
    """The approved revision of the commune's list: `revision` when given (and approved), else the latest
    approved one (a correction under way leaves it standing)."""
    lists = CommuneList.objects.filter(round=round, commune=commune, status=ListStatus.APPROVED)
    if revision is not None:
        return lists.filter(revision=revision).first()
    return lists.order_by("-revision").first()


def posting_rows(
    *, round: SurveyRound, commune: AdminUnit, hamlet: Hamlet | None = None, frozen: CommuneList | None = None,
) -> QuerySet:
    """Poor and near-poor households of the commune (or one hamlet) for public posting: no incomes, no IDs.
    From the frozen entries of `frozen` (an approved revision), else from the live assessments of the draft."""
    if frozen is not None:
        rows = ListEntry.objects.filter(commune_list=frozen, category__in=POOR_OR_NEAR)
    else:
        rows = Assessment.objects.filter(round=round, commune=commune, category__in=POOR_OR_NEAR)
    if hamlet is not None:
        rows = rows.filter(hamlet=hamlet)
    return rows.select_related("household", "hamlet").order_by("hamlet__name", "category", "household__code")


def escaped_rows(*, round: SurveyRound, commune: AdminUnit, frozen: CommuneList | None = None) -> QuerySet:
    """Households poor or near-poor in a previous round that are neither now: they escaped poverty. An
    approved revision compares its entries with the previous rounds' approved entries; a draft compares
    live assessments."""
    previous_ids = list(round.previous_rounds.values_list("pk", flat=True))
    model = ListEntry if frozen is not None else Assessment
    if not previous_ids:
        return model.objects.none()
    if frozen is not None:
        previous = ListEntry.objects.approved(round_ids=previous_ids)
        now = ListEntry.objects.filter(commune_list=frozen)
    else:
        previous = Assessment.objects.filter(round_id__in=previous_ids)
        now = Assessment.objects.filter(round=round, commune=commune)
    previous = previous.filter(household_id=OuterRef("household_id"), category__in=POOR_OR_NEAR).order_by("-round__year")
    return (
        now.exclude(category__in=POOR_OR_NEAR)
        .filter(Exists(previous))
        .annotate(previous_category=Subquery(previous.values("category")[:1]))
        .select_related("household", "hamlet")
        .order_by("hamlet__name", "household__code")
    )


@dataclass
class OverviewRow:
    commune: AdminUnit
    commune_list: CommuneList | None
    assessed: int
    open_appeals: int
    late: bool
    area: str = ""

    @property
    def status(self) -> str:
        return self.commune_list.status if self.commune_list else ""


def list_overview(*, user, round: SurveyRound, status: str = "", district: str = "") -> list[OverviewRow]:
    """Every commune of the round the user can see, with its current list, in four queries.
    `status` filters on the list's state, or `NOT_STARTED` for communes without a list."""
    communes = (
        communes_visible_to(user)
        .filter(Q(parent=round.province) | Q(parent__parent=round.province))
        .select_related("parent")
        .order_by("parent__code", "code")
    )
    if district:
        communes = communes.filter(parent__code=district)
    communes = list(communes)
    ids = [c.pk for c in communes]
    lists = {
        cl.commune_id: cl
        for cl in CommuneList.objects.filter(round=round, commune_id__in=ids, is_current=True).select_related(
            "submitted_by", "reviewed_by", "approved_by"
        )
    }
    assessed = dict(
        Assessment.objects.filter(round=round, commune_id__in=ids).values("commune_id").annotate(n=Count("id"))
        .order_by().values_list("commune_id", "n")
    )
    appeals = dict(
        Appeal.objects.filter(round=round, commune_id__in=ids, status=AppealStatus.OPEN).values("commune_id")
        .annotate(n=Count("id")).order_by().values_list("commune_id", "n")
    )
    past_deadline = timezone.localdate() > round.ends_on
    areas = areas_in_round(round=round, commune_ids=ids)
    rows = []
    for commune in communes:
        commune_list = lists.get(commune.pk)
        row = OverviewRow(
            commune=commune, commune_list=commune_list, assessed=assessed.get(commune.pk, 0),
            open_appeals=appeals.get(commune.pk, 0), area=areas.get(commune.pk, commune.area_type),
            late=past_deadline and (commune_list is None or commune_list.status != ListStatus.APPROVED),
        )
        if status and (row.status or NOT_STARTED) != status:
            continue
        rows.append(row)
    return rows


def review_queue(*, user, limit: int = 500) -> QuerySet[CommuneList]:
    """Current lists waiting for this user's level: submitted ones for district officers, reviewed (or, without
    districts, submitted) ones for the department."""
    district_communes = communes_visible_to(user, roles=DISTRICT_ROLES)
    department_communes = communes_visible_to(user, roles=DEPARTMENT_ROLES)
    waiting = Q(commune__in=district_communes, status=ListStatus.SUBMITTED, round__province__structure="legacy") | Q(
        commune__in=department_communes, status=ListStatus.DISTRICT_REVIEWED
    ) | Q(commune__in=department_communes, status=ListStatus.SUBMITTED, round__province__structure="2025")
    return (
        CommuneList.objects.current().filter(waiting)
        .select_related("round", "round__province", "commune", "commune__parent", "submitted_by")
        .order_by("round__ends_on", "submitted_at")[:limit]
    )


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


def commune_lists_bulk(*, actor, action: str, items: list[tuple[CommuneList | None, int | None, str, str]], reason: str = "") -> list[BulkOutcome]:
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
            outcomes.append(BulkOutcome(round_code, commune_code, False, errors={"list": [_("No current list of this commune in this round among your units.")]}))
            continue
        try:
            done = service(actor=actor, commune_list=commune_list, expected_version=version, reason=reason)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"list": exc.messages}
        except (PermissionDenied, ConflictError, CommuneList.DoesNotExist) as exc:
            key = "version" if isinstance(exc, ConflictError) else "permission"
            errors = {key: [str(exc) or _("You cannot do this on this list.")]}
        else:
            outcomes.append(BulkOutcome(round_code, commune_code, True, status=done.status, version=done.version,
                                        commune_name=commune_list.commune.name))
            continue
        outcomes.append(BulkOutcome(round_code, commune_code, False, status=commune_list.status, version=commune_list.version,
                                    errors=errors, commune_name=commune_list.commune.name))
    return outcomes


def bulk_items(*, user, wanted: list[tuple[str, str, int | None]]) -> list[tuple[CommuneList | None, int | None, str, str]]:
    """The current lists named by (round code, commune code, version) among the user's units, in the order given
    (one query)."""
    rounds = {r for r, _c, _v in wanted}
    communes = {c for _r, c, _v in wanted}
    found = {
        (cl.round.code, cl.commune.code): cl
        for cl in CommuneList.objects.visible_to(user).current()
        .filter(round__code__in=rounds, commune__code__in=communes)
        .select_related("round", "round__province", "commune")
    }
    return [(found.get((r, c)), v, r, c) for r, c, v in wanted]
