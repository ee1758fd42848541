"""Pages of the list approval: a commune's list per round, the queues and the department overview. Thin: reads come
from surveys/approval/selectors.py (starting from what the user may see), writes call the approval services.
Printable lists: views_print.py; appeals: views_appeals.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError
from core.policy import Action, can
from core.selectors import history_page
from households.models import AdminUnit, Level, communes_visible_to
from surveys.approval.forms import HamletMeetingForm, PublicPostingForm, RecognitionForm, RoundDecisionForm, TransitionForm
from surveys.approval.selectors import (
    COMMUNE_ROLES,
    NOT_STARTED,
    RECOGNITION_STATES,
    allowed_actions,
    bulk_items,
    current_list,
    list_overview,
    next_step,
    posting_working_days,
    procedure_state,
    review_queue,
    round_decision,
)
from surveys.approval.services import (
    MAX_BULK_LISTS,
    commune_list_approve,
    commune_list_get_or_create,
    commune_list_open_revision,
    commune_list_return,
    commune_list_review,
    commune_list_submit,
    commune_lists_bulk,
)
from surveys.models import Appeal, CommuneList, ListStatus, SurveyRound
from surveys.selectors import COUNT_FIELDS, denominators_for, live_commune_counts, rate
from surveys.web import error_messages

TRANSITIONS = {
    "submit": (commune_list_submit, gettext_lazy("The list was submitted.")),
    "review": (commune_list_review, gettext_lazy("The list was reviewed and sent to the department.")),
    "approve": (commune_list_approve, gettext_lazy("The list was approved; its numbers are frozen.")),
    "return": (commune_list_return, gettext_lazy("The list was returned to the commune.")),
    "open-revision": (commune_list_open_revision, gettext_lazy("A new revision of the list was opened.")),
}


# --- lookups (out of scope answers 404, like a missing object) ----------------------------------------------


def _rounds_for(user):
    visible = communes_visible_to(user)
    return (
        SurveyRound.objects.filter(Q(province__children__in=visible) | Q(province__children__children__in=visible))
        .distinct()
        .select_related("province", "criteria_set")
        .order_by("-year", "code")
    )


def _round(code: str) -> SurveyRound:
    return get_object_or_404(
        SurveyRound.objects.select_related("province", "criteria_set").prefetch_related("previous_rounds"), code=code
    )


def _commune(user, survey_round: SurveyRound, code: str) -> AdminUnit:
    communes = communes_visible_to(user).filter(Q(parent=survey_round.province) | Q(parent__parent=survey_round.province))
    return get_object_or_404(communes.select_related("parent"), code=code)


def _detail_url(survey_round: SurveyRound, commune: AdminUnit) -> str:
    return reverse("approval:detail", args=[survey_round.code, commune.code])


def _current_list_or_404(request, round_code: str, commune_code: str) -> CommuneList:
    survey_round = _round(round_code)
    commune_list = current_list(round=survey_round, commune=_commune(request.user, survey_round, commune_code))
    if commune_list is None:
        raise Http404
    return commune_list


# --- pages -------------------------------------------------------------------------------------------------


@login_required
def index(request):
    """Rounds the user works on, with the commune lists they hold a role over, and links to the queues."""
    rounds = list(_rounds_for(request.user)[:20])
    own_communes = (
        list(communes_visible_to(request.user, roles=COMMUNE_ROLES).select_related("parent").order_by("code")[:20])
        if not request.user.is_superuser
        else []
    )
    from surveys.monthly import overdue_applications

    return render(
        request,
        "approval/index.html",
        {"rounds": rounds, "own_communes": own_communes, "overdue_applications": overdue_applications(request.user).count()},
    )


@login_required
def overview(request, round_code: str):
    """Every commune's list state for a round, the deadline and who is late."""
    survey_round = _round(round_code)
    if not _rounds_for(request.user).filter(pk=survey_round.pk).exists():
        raise Http404
    status = request.GET.get("status", "")
    district = request.GET.get("district", "")
    rows = list_overview(user=request.user, round=survey_round, status=status, district=district)
    districts = (
        AdminUnit.objects.filter(parent=survey_round.province, level=Level.DISTRICT).order_by("code")
        if survey_round.has_districts
        else AdminUnit.objects.none()
    )
    today = timezone.localdate()
    summary: dict[str, int] = {}
    for row in rows:
        summary[row.status or NOT_STARTED] = summary.get(row.status or NOT_STARTED, 0) + 1
    statuses = [(NOT_STARTED, _("Not started")), *ListStatus.choices]
    from surveys.monthly import overdue_applications

    return render(
        request,
        "approval/overview.html",
        {
            "overdue_applications": overdue_applications(request.user).filter(round=survey_round).count(),
            "decision": round_decision(survey_round),
            "decision_form": RoundDecisionForm(),
            "can_decide": can(request.user, Action.APPROVE, survey_round.province),
            "survey_round": survey_round,
            "rows": rows,
            "districts": districts,
            "status": status,
            "district": district,
            "statuses": statuses,
            "days_left": (survey_round.ends_on - today).days,
            "late": sum(1 for r in rows if r.late),
            "summary": [(label, summary.get(value, 0)) for value, label in statuses],
        },
    )


@login_required
def queue(request):
    """The lists waiting for the user's level, with a bulk action over the ticked ones."""
    lists = list(review_queue(user=request.user))
    for cl in lists:  # what the queue's level may do on it (the services decide)
        cl.bulk_actions = next_step(cl.status, has_districts=cl.round.has_districts)[1]
    offered = [a for a in ("review", "approve", "return") if any(a in cl.bulk_actions for cl in lists)]
    return render(
        request,
        "approval/queue.html",
        {
            "lists": lists,
            "bulk_offered": [(a, BULK_LABELS[a]) for a in offered],
            "bulk_results": request.session.pop("bulk_results", None),
        },
    )


BULK_LABELS = {
    "review": gettext_lazy("Review (district opinion)"),
    "approve": gettext_lazy("Approve"),
    "return": gettext_lazy("Return to the commune"),
}


@login_required
@require_POST
def queue_bulk(request):
    """Review, approve or return the ticked lists: each through its own service (commune_lists_bulk); the
    queue then says, per list, done or why not."""
    wanted = []
    for value in request.POST.getlist("lists")[: MAX_BULK_LISTS + 1]:
        round_code, _sep, rest = value.partition("|")
        commune_code, _sep, version = rest.partition("|")
        wanted.append((round_code, commune_code, int(version) if version.isdigit() else None))
    try:
        outcomes = commune_lists_bulk(
            actor=request.user,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", "")[:2000],
            items=bulk_items(user=request.user, wanted=wanted),
        )
    except ValidationError as exc:
        for messages_ in exc.message_dict.values():
            for message in messages_:
                messages.error(request, message)
        return redirect("approval:queue")
    done = sum(1 for o in outcomes if o.done)
    request.session["bulk_results"] = {
        "action": str(BULK_LABELS.get(request.POST.get("action"), "")),
        "done": done,
        "refused": len(outcomes) - done,
        "rows": [
            {
                "round": o.round_code,
                "commune": o.commune_code,
                "name": o.commune_name,
                "done": o.done,
                "status": str(ListStatus(o.status).label) if o.status else "",
                "errors": [str(m) for ms in o.errors.values() for m in ms],
            }
            for o in outcomes
        ],
    }
    return redirect("approval:queue")


def _counts_for(commune_list: CommuneList | None, survey_round: SurveyRound, commune: AdminUnit) -> dict:
    if commune_list is not None and commune_list.status == ListStatus.APPROVED:
        values = {f: getattr(commune_list, f) or 0 for f in COUNT_FIELDS}
        total = commune_list.total_households or 0
        frozen = True
    else:
        values = {f: 0 for f in COUNT_FIELDS}
        values.update(live_commune_counts(round=survey_round, commune_ids=[commune.pk]).get(commune.pk, {}))
        total = denominators_for(round=survey_round, commune_ids=[commune.pk]).get(commune.pk, 0)
        frozen = False
    return {
        "frozen": frozen,
        "total_households": total,
        **values,
        "poor_rate": rate(values["poor"], total),
        "poverty_reduction_rate": rate(values["poverty_reduction"], total),
        "social_protection_rate": rate(values["social_protection"], total),
        "near_poor_rate": rate(values["near_poor"], total),
    }


@login_required
def detail(request, round_code: str, commune_code: str):
    """A commune's list for a round: state, numbers, procedure steps, allowed actions and history."""
    survey_round = _round(round_code)
    commune = _commune(request.user, survey_round, commune_code)
    # Reading the page never writes: a list is started by its POST ("Start the list").
    current = current_list(round=survey_round, commune=commune)
    revisions = list(
        CommuneList.objects.filter(round=survey_round, commune=commune)
        .select_related("submitted_by", "reviewed_by", "approved_by")
        .order_by("-revision")
    )
    shown = current
    if request.GET.get("revision", "").isdigit():
        shown = next((r for r in revisions if r.revision == int(request.GET["revision"])), None)
        if shown is None:
            raise Http404
    if shown is not None:
        shown = next(r for r in revisions if r.pk == shown.pk)
    actions = allowed_actions(request.user, current) if current is not None and shown == current else set()
    state = procedure_state(shown) if shown is not None else None
    hamlets = commune.hamlets.order_by("name")
    context = {
        "survey_round": survey_round,
        "commune": commune,
        "commune_list": shown,
        "current": current,
        "revisions": revisions,
        "actions": actions,
        "state": state,
        "meetings": shown.hamlet_meetings.select_related("hamlet", "recorded_by").order_by("hamlet__name", "-held_on", "-id")
        if shown
        else [],
        "postings": shown.postings.select_related("recorded_by").order_by("-ends_on", "-id") if shown else [],
        "counts": _counts_for(shown, survey_round, commune),
        "hamlets": hamlets,
        "appeals": Appeal.objects.filter(round=survey_round, commune=commune)
        .select_related("household")
        .order_by("-lodged_at")[:100],
        "meeting_form": HamletMeetingForm(hamlets=hamlets, initial={"held_on": timezone.localdate()}),
        "posting_form": PublicPostingForm(),
        "recognition_form": RecognitionForm(initial={"date": timezone.localdate()}),
        "can_recognise": current is not None
        and current.status in RECOGNITION_STATES
        and can(request.user, Action.RECORD_STEPS, commune),
        "events": history_page(shown, request.user, page=request.GET.get("history_page")) if shown else [],
        "posting_days_required": posting_working_days(),
        "can_start": current is None and can(request.user, Action.START_LIST, commune),
    }
    return render(request, "approval/detail.html", context)


@login_required
@require_POST
def start(request, round_code: str, commune_code: str):
    """Start the commune's list for the round (a draft, revision 1): the commune or the department."""
    survey_round = _round(round_code)
    commune = _commune(request.user, survey_round, commune_code)
    try:
        commune_list_get_or_create(actor=request.user, round=survey_round, commune=commune)
    except ObjectDoesNotExist:
        raise Http404
    messages.success(request, _("The list was started."))
    return redirect(_detail_url(survey_round, commune))


@login_required
@require_POST
def transition(request, round_code: str, commune_code: str, action: str):
    survey_round = _round(round_code)
    commune = _commune(request.user, survey_round, commune_code)
    if action not in TRANSITIONS:
        raise Http404
    service, done = TRANSITIONS[action]
    commune_list = current_list(round=survey_round, commune=commune)
    if commune_list is None:
        raise Http404
    form = TransitionForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    try:
        service(
            actor=request.user, commune_list=commune_list, reason=data.get("reason") or "", expected_version=data.get("version")
        )
    except ObjectDoesNotExist:
        raise Http404
    except ValidationError as exc:
        error_messages(request, exc)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(_detail_url(survey_round, commune))
