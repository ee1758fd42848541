"""Reads of the commune lists' approval: who acts next, the procedure state of a revision, the overview and queues,
the printable lists' rows. No writes here (surveys/approval/services.py and its siblings write)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.policy import Action, communes_for, roles_for
from households.models import AdminUnit, Hamlet, Structure, communes_visible_to
from surveys.models import (
    Appeal,
    AppealStatus,
    Assessment,
    Category,
    CommuneList,
    HamletMeeting,
    ListEntry,
    ListStatus,
    PublicPosting,
    RoundDecision,
    SurveyRound,
)
from surveys.round_areas import areas_in_round

# The roles of each step, from the one access policy (core/policy.py).
COMMUNE_ROLES = roles_for(Action.SUBMIT)
DISTRICT_ROLES = roles_for(Action.REVIEW)
DEPARTMENT_ROLES = roles_for(Action.APPROVE)
EDITABLE_STATES = (ListStatus.DRAFT, ListStatus.RETURNED)
RECOGNITION_STATES = (ListStatus.DRAFT, ListStatus.RETURNED, ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED)
POOR_OR_NEAR = (Category.POOR, Category.NEAR_POOR)
NOT_STARTED = "none"  # overview filter: communes with no list yet in the round


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


# --- who acts next ------------------------------------------------------------------------------------------


def next_step(status: str, *, has_districts: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who acts next on a current list in `status`, and what they may do: (roles, actions). The one answer behind the
    list page's buttons, the review queue and its bulk actions, and the dashboard's lists waiting for the user."""
    if status in EDITABLE_STATES:
        return COMMUNE_ROLES, ("submit", "record_steps")
    if status == ListStatus.SUBMITTED and has_districts:
        return DISTRICT_ROLES, ("review", "return")
    if status in (ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED):
        return DEPARTMENT_ROLES, ("approve", "return")
    return DEPARTMENT_ROLES, ("open_revision",)  # approved: only a correction, by a new revision


def waiting_on(user, *, statuses=(ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED)) -> Q:
    """The current lists in `statuses` whose next step is `user`'s (a filter on CommuneList): the lists under review
    by default; the dashboard adds the returned lists the commune must correct."""
    waiting = Q(pk__in=[])
    for status in statuses:
        for structure in Structure.values:
            roles, _actions = next_step(status, has_districts=structure == Structure.LEGACY)
            waiting |= Q(commune__in=communes_visible_to(user, roles=roles), status=status, round__province__structure=structure)
    return waiting


def allowed_actions(user, commune_list: CommuneList | None) -> set[str]:
    """The transitions `user` could try on the list now (buttons to show; the services decide)."""
    if commune_list is None or not commune_list.is_current:
        return set()
    commune, status = commune_list.commune, commune_list.status
    roles, actions = next_step(status, has_districts=commune_list.round.has_districts)
    allowed = set(actions) if acts_for(user, commune, roles) else set()
    if status == ListStatus.SUBMITTED and acts_for(user, commune, DEPARTMENT_ROLES):
        allowed.add("return")  # the department may send back a list the district has not reviewed yet
    return allowed


# --- a list and its procedure steps ----------------------------------------------------------------------


def current_list(*, round: SurveyRound, commune: AdminUnit) -> CommuneList | None:
    return CommuneList.objects.filter(round=round, commune=commune, is_current=True).first()


def approved_revision(*, round: SurveyRound, commune: AdminUnit, revision: int | None = None) -> CommuneList | None:
    """The approved revision of the commune's list: `revision` when given (and approved), else the latest
    approved one (a correction under way leaves it standing)."""
    lists = CommuneList.objects.filter(round=round, commune=commune, status=ListStatus.APPROVED)
    if revision is not None:
        return lists.filter(revision=revision).first()
    return lists.order_by("-revision").first()


def round_decision(survey_round: SurveyRound) -> RoundDecision | None:
    """The decision in force for the round: the latest recorded."""
    return survey_round.decisions.order_by("-date", "-id").first()


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
            round_id=commune_list.round_id,
            commune_id=commune_list.commune_id,
            revision__lt=commune_list.revision,
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
                _("The public posting runs until %(date)s; the list can be submitted after that.")
                % {"date": f"{posting.ends_on:%d/%m/%Y}"}
            )
        last_meeting = max((m.held_on for m in state.meetings.values()), default=None)
        if last_meeting is not None and posting.starts_on < last_meeting:
            blockers.append(
                _("The list must be posted after the hamlet meetings (last meeting %(date)s).")
                % {"date": f"{last_meeting:%d/%m/%Y}"}
            )
    if state.open_appeals:
        blockers.append(
            _("%(n)s appeal(s) of households of this commune are still open; decide them first.") % {"n": state.open_appeals}
        )
    return state


# --- pages: overview, queue, printable lists ---------------------------------------------------------------


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
        Assessment.objects.filter(round=round, commune_id__in=ids)
        .values("commune_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("commune_id", "n")
    )
    appeals = dict(
        Appeal.objects.filter(round=round, commune_id__in=ids, status=AppealStatus.OPEN)
        .values("commune_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("commune_id", "n")
    )
    past_deadline = timezone.localdate() > round.ends_on
    areas = areas_in_round(round=round, commune_ids=ids)
    rows = []
    for commune in communes:
        commune_list = lists.get(commune.pk)
        row = OverviewRow(
            commune=commune,
            commune_list=commune_list,
            assessed=assessed.get(commune.pk, 0),
            open_appeals=appeals.get(commune.pk, 0),
            area=areas.get(commune.pk, commune.area_type),
            late=past_deadline and (commune_list is None or commune_list.status != ListStatus.APPROVED),
        )
        if status and (row.status or NOT_STARTED) != status:
            continue
        rows.append(row)
    return rows


def review_queue(*, user, limit: int = 500) -> QuerySet[CommuneList]:
    """Current lists waiting for this user's level: submitted ones for district officers, reviewed (or, without
    districts, submitted) ones for the department."""
    return (
        CommuneList.objects.current()
        .filter(waiting_on(user))
        .select_related("round", "round__province", "commune", "commune__parent", "submitted_by")
        .order_by("round__ends_on", "submitted_at")[:limit]
    )


def bulk_items(*, user, wanted: list[tuple[str, str, int | None]]) -> list[tuple[CommuneList | None, int | None, str, str]]:
    """The current lists named by (round code, commune code, version) among the user's units, in the order given
    (one query)."""
    rounds = {r for r, _c, _v in wanted}
    communes = {c for _r, c, _v in wanted}
    found = {
        (cl.round.code, cl.commune.code): cl
        for cl in CommuneList.objects.visible_to(user)
        .current()
        .filter(round__code__in=rounds, commune__code__in=communes)
        .select_related("round", "round__province", "commune")
    }
    return [(found.get((r, c)), v, r, c) for r, c, v in wanted]


def posting_rows(
    *, round: SurveyRound, commune: AdminUnit, hamlet: Hamlet | None = None, frozen: CommuneList | None = None
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
