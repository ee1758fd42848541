"""The monthly review (rà soát thường xuyên, Decision 24/2021 arts. 3 and 5) and the list in force.

A household (or an officer for it) files an application on Form 04: to be recognised as poor or near-poor, or to
leave the list. The officer assesses the household in the round in force (the usual assessment form or API); the
commune chairman decides within the deadline, counted in working days (POVREG_MONTHLY_DECISION_WORKING_DAYS,
default 15; LAW.md says "within 15 days" without saying which days: unverified), skipping weekends and the public
holidays of POVREG_PUBLIC_HOLIDAYS. A recognised application changes the list in force from its decision date.

The list in force on a date, for a unit: the entries of the latest approved list of each commune in the newest round
whose list was approved on or before that date, then every application decided on or before it (and after that
approval), latest decision last. Rates `as_of` a date count that list.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.audit_actions import AuditAction
from core.policy import Action, can, communes_for
from core.versions import check_version
from households.models import AdminUnit, Household, HouseholdStatus, Level
from surveys.models import (
    Application,
    ApplicationKind,
    ApplicationStatus,
    Assessment,
    Category,
    CommuneList,
    Group,
    ListEntry,
    ListStatus,
    SurveyRound,
)
from surveys.selectors import COUNT_FIELDS, RateRow, denominators_for, persons_denominators_for, rows_from_counts

IN_LIST = (Category.POOR, Category.NEAR_POOR)


def public_holidays() -> set[datetime.date]:
    raw = getattr(settings, "POVREG_PUBLIC_HOLIDAYS", "") or ""
    days = set()
    for part in str(raw).replace(";", ",").split(","):
        part = part.strip()
        if part:
            days.add(datetime.date.fromisoformat(part))
    return days


def add_working_days(start: datetime.date, days: int, holidays: set[datetime.date] | None = None) -> datetime.date:
    """The date `days` working days after `start` (Monday to Friday, not a public holiday)."""
    holidays = public_holidays() if holidays is None else holidays
    current, left = start, days
    while left > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current


def decision_working_days() -> int:
    return int(getattr(settings, "POVREG_MONTHLY_DECISION_WORKING_DAYS", 15))


def round_in_force(province: AdminUnit) -> SurveyRound | None:
    """The round a monthly application is assessed in: the newest open round of the household's province."""
    return SurveyRound.objects.filter(province=province, is_open=True).order_by("-year", "-starts_on", "-pk").first()


@transaction.atomic
def application_file(*, actor, household: Household, kind: str, received_on: datetime.date, note: str = "") -> Application:
    """Record a Form 04 application received by the commune, with its decision deadline."""
    household = Household.objects.select_related("commune").get(pk=household.pk)
    if not can(actor, Action.RECORD_STEPS, household.commune):
        raise PermissionDenied(_("Only the commune's officers or chairman record applications."))
    if kind not in ApplicationKind.values:
        raise ValidationError({"kind": _("Choose what the household applies for.")})
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationError({"household": _("Only an active household can apply.")})
    if not isinstance(received_on, datetime.date) or received_on > timezone.localdate():
        raise ValidationError({"received_on": _("Enter the date the application was received (not in the future).")})
    survey_round = round_in_force(household.commune.province)
    if survey_round is None:
        raise ValidationError({"round": _("No round is open in the province: open the year's round before taking applications.")})
    if Application.objects.filter(household=household, status=ApplicationStatus.RECEIVED).exists():
        raise ValidationError({"household": _("This household already has an application waiting for a decision.")})
    application = Application.objects.create(
        household=household,
        commune=household.commune,
        round=survey_round,
        kind=kind,
        received_on=received_on,
        due_on=add_working_days(received_on, decision_working_days()),
        note=(note or "").strip()[:2000],
        filed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        actor=actor,
        action=AuditAction.APPLICATION_FILED,
        target=application,
        changes={"kind": [None, kind], "received_on": [None, received_on], "due_on": [None, application.due_on]},
    )
    return application


@transaction.atomic
def application_decide(
    *,
    actor,
    application: Application,
    recognise: bool,
    number: str,
    decided_on: datetime.date,
    expected_version: int | None = None,
) -> Application:
    """The commune chairman's decision on an application, from the household's assessment in the round in force:
    recognised, it changes the list in force from `decided_on`; not recognised, nothing changes."""
    locked = Application.objects.select_for_update().select_related("household", "commune", "round").get(pk=application.pk)
    if not can(actor, Action.RECORD_STEPS, locked.commune):
        raise PermissionDenied(_("Only the commune's officers or chairman record the chairman's decision."))
    check_version(locked, expected_version, message=_("This application was changed by someone else; reload it and try again."))
    if locked.status != ApplicationStatus.RECEIVED:
        raise ValidationError({"status": _("This application is already decided.")})
    number = (number or "").strip()
    errors = {}
    if not number or len(number) > 50:
        errors["number"] = [_("Enter the decision's number (at most 50 characters).")]
    if not isinstance(decided_on, datetime.date) or decided_on > timezone.localdate() or decided_on < locked.received_on:
        errors["decided_on"] = [_("The decision date falls between the application and today.")]
    assessment = Assessment.objects.filter(household=locked.household, round=locked.round).first()
    if recognise and assessment is None:
        errors["assessment"] = [_("Assess the household in round %(round)s first.") % {"round": locked.round.code}]
    if recognise and assessment is not None:
        wants_list = locked.kind == ApplicationKind.ENTER
        if wants_list != (assessment.category in IN_LIST):
            errors["assessment"] = [
                _("The assessment (%(category)s) does not support what the household applied for.")
                % {"category": assessment.get_category_display()}
            ]
    if errors:
        raise ValidationError(errors)
    locked.status = ApplicationStatus.RECOGNISED if recognise else ApplicationStatus.REFUSED
    locked.decision_number, locked.decided_on = number, decided_on
    locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    if recognise:
        locked.category, locked.group, locked.member_count = assessment.category, assessment.group, assessment.member_count
    locked.version += 1
    locked.save()
    audit(
        actor=actor,
        action=AuditAction.APPLICATION_DECIDED,
        target=locked,
        changes={
            "status": [ApplicationStatus.RECEIVED, locked.status],
            "decision_number": [None, number],
            "decided_on": [None, decided_on],
            "category": [None, locked.category or None],
        },
    )
    return locked


def overdue_applications(user):
    """Applications waiting past their deadline in the communes the user works for (dashboard, department overview)."""
    communes = communes_for(user, Action.VIEW)
    return Application.objects.filter(commune__in=communes, status=ApplicationStatus.RECEIVED, due_on__lt=timezone.localdate())


@dataclass(frozen=True)
class InForce:
    household_id: int
    commune_id: int
    category: str
    group: str
    member_count: int
    source: str  # "list <round> r<revision>" or "decision <number>"


def list_in_force(*, unit: AdminUnit, on: datetime.date) -> dict[int, InForce]:
    """Household id → its standing on `on`, for the communes under `unit` (poor or near-poor only)."""
    communes = list(AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).values_list("pk", flat=True))
    end_of_day = timezone.make_aware(datetime.datetime.combine(on, datetime.time.max))
    approved = (
        CommuneList.objects.filter(commune_id__in=communes, status=ListStatus.APPROVED, approved_at__lte=end_of_day)
        .select_related("round")
        .order_by("commune_id", "-round__year", "-approved_at", "-revision")
    )
    base: dict[int, CommuneList] = {}
    for commune_list in approved:
        base.setdefault(commune_list.commune_id, commune_list)
    standing: dict[int, InForce] = {}
    entries = ListEntry.objects.filter(commune_list_id__in=[c.pk for c in base.values()], category__in=IN_LIST)
    labels = {c.pk: f"list {c.round.code} r{c.revision}" for c in base.values()}
    for e in entries.values("household_id", "commune_id", "category", "group", "member_count", "commune_list_id"):
        standing[e["household_id"]] = InForce(
            e["household_id"], e["commune_id"], e["category"], e["group"], e["member_count"], labels[e["commune_list_id"]]
        )
    since = {cid: timezone.localtime(c.approved_at).date() for cid, c in base.items()}
    decisions = Application.objects.filter(
        commune_id__in=communes, status=ApplicationStatus.RECOGNISED, decided_on__lte=on
    ).order_by("decided_on", "id")
    for a in decisions.values(
        "household_id", "commune_id", "kind", "category", "group", "member_count", "decided_on", "decision_number"
    ):
        if a["commune_id"] in since and a["decided_on"] < since[a["commune_id"]]:
            continue  # a later approved list already holds the household's standing
        if a["kind"] == ApplicationKind.LEAVE or a["category"] not in IN_LIST:
            standing.pop(a["household_id"], None)
        else:
            standing[a["household_id"]] = InForce(
                a["household_id"],
                a["commune_id"],
                a["category"],
                a["group"],
                a["member_count"] or 0,
                f"decision {a['decision_number']}",
            )
    return standing


def rates_as_of(*, round: SurveyRound, unit: AdminUnit, level: str, on: datetime.date, decimals: int) -> list[RateRow]:
    """Rates per unit of `level` from the list in force on `on`; the round gives the denominators."""
    communes = list(AdminUnit.objects.under(unit).filter(level=Level.COMMUNE).select_related("parent").order_by("code"))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    for item in list_in_force(unit=unit, on=on).values():
        c = counts[item.commune_id]
        if item.category == Category.POOR:
            c["poor"] += 1
            c["poor_persons"] += item.member_count
            c["poverty_reduction" if item.group == Group.POVERTY_REDUCTION else "social_protection"] += 1
        else:
            c["near_poor"] += 1
            c["near_poor_persons"] += item.member_count
    ids = [c.pk for c in communes]
    return rows_from_counts(
        unit=unit,
        level=level,
        communes=communes,
        counts=counts,
        denominators=denominators_for(round=round, commune_ids=ids),
        persons=persons_denominators_for(round=round, commune_ids=ids),
        decimals=decimals,
    )
