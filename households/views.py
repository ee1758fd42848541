"""The officers' household screens: dashboard, register, detail and status (create and edit:
views_forms.py).

Thin views: every read starts from `visible_to(user)` (out of scope answers 404), every write goes through
`households.services`, and a rejected write re-renders the form with what the officer typed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access_log import note_access
from core.exceptions import ConflictError
from core.policy import Action, can
from core.selectors import history_page
from households.decorators import personal_data_required
from households.filters import HouseholdFilterSet
from households.forms import HouseholdStatusForm
from households.models import Assignment, Hamlet, Household, HouseholdStatus, Role, communes_visible_to
from households.permissions import can_edit_commune
from households.selectors import (
    editable_communes,
    next_unassessed,
    open_round_for_household,
    open_round_for_user,
    provinces_of,
    unit_choices,
    visible_household,
)
from households.services import household_set_status
from households.templatetags.povreg_ui import ui_lang
from surveys import classification as cl
from surveys.approval.selectors import waiting_on
from surveys.models import Assessment, Category, CommuneList, ListStatus, StandardResult, SurveyRound

PAGE_SIZE = 25
COMMUNE_PAGE_SIZE = 30


# --- dashboard ----------------------------------------------------------------------------------------------


def _count(qs) -> Coalesce:
    return Coalesce(
        Subquery(qs.order_by().values("commune").annotate(n=Count("pk")).values("n")[:1]), 0, output_field=IntegerField()
    )


@login_required
def dashboard(request):
    user = request.user
    assignments = list(Assignment.objects.filter(user=user).select_related("unit").order_by("role", "unit__code"))
    context = {"assignments": assignments, "has_access": communes_visible_to(user).exists()}
    if not context["has_access"]:
        return render(request, "households/dashboard.html", context)

    survey_round = open_round_for_user(user)
    scope = communes_visible_to(user)
    if survey_round is not None:
        scope = scope.filter(Q(parent_id=survey_round.province_id) | Q(parent__parent_id=survey_round.province_id))
    households = Household.objects.visible_to(user).filter(commune__in=scope).active()
    listed = households.count()
    context.update(survey_round=survey_round, listed=listed)
    if survey_round is None:
        return render(request, "households/dashboard.html", context)

    assessed = households.filter(assessments__round=survey_round).count()
    lang = ui_lang()
    counts = {c: {"total": 0, "groups": {}} for c in Category.values}
    for row in (
        Assessment.objects.visible_to(user)
        .filter(round=survey_round, commune__in=scope)
        .values("category", "group")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["category"]]["total"] += row["n"]
        if row["group"]:
            counts[row["category"]]["groups"][row["group"]] = row["n"]
    categories = [
        {
            "value": value,
            "label": cl.CATEGORY_LABELS[lang][cl.Category(value)],
            "count": counts[value]["total"],
            "groups": [(cl.GROUP_LABELS[lang][cl.Group(g)], n) for g, n in sorted(counts[value]["groups"].items())],
        }
        for value in Category.values
    ]

    roles = {a.role for a in assignments}
    # The lists whose next step is the user's (the approval's one answer to "who acts next").
    waiting = waiting_on(user, statuses=(ListStatus.RETURNED, ListStatus.SUBMITTED, ListStatus.DISTRICT_REVIEWED))
    action_lists = list(
        CommuneList.objects.visible_to(user)
        .current()
        .filter(waiting, round=survey_round, commune__in=scope)
        .select_related("commune")
        .order_by("commune__code")[:50]
    )

    can_edit = editable_communes(user).filter(pk__in=scope.values("pk")).exists()
    # "Enter the next household" is the commune officer's day; department staff (who may edit too) are offered
    # the lists waiting for their approval instead.
    next_household = (
        next_unassessed(user, survey_round, communes=editable_communes(user).filter(pk__in=scope.values("pk")))
        if can_edit and assessed < listed and Role.COMMUNE_OFFICER in roles
        else None
    )

    commune_page = None
    if scope.count() > 1:
        in_round = Household.objects.filter(commune=OuterRef("pk"), status=HouseholdStatus.ACTIVE)
        round_rows = Assessment.objects.filter(round=survey_round, commune=OuterRef("pk"))
        rows = (
            scope.select_related("parent")
            .annotate(
                household_count=_count(in_round),
                assessed=_count(in_round.filter(assessments__round=survey_round)),
                poor=_count(round_rows.filter(category=Category.POOR)),
                near_poor=_count(round_rows.filter(category=Category.NEAR_POOR)),
                list_status=Subquery(
                    CommuneList.objects.filter(round=survey_round, commune=OuterRef("pk"), is_current=True).values("status")[:1]
                ),
            )
            .order_by("parent__code", "code")
        )
        commune_page = Paginator(rows, COMMUNE_PAGE_SIZE).get_page(request.GET.get("page"))
        status_labels = dict(ListStatus.choices)
        for row in commune_page:
            row.remaining = row.household_count - row.assessed
            row.list_status_label = status_labels.get(row.list_status, "")

    from surveys.monthly import overdue_applications

    context.update(
        assessed=assessed,
        remaining=max(listed - assessed, 0),
        categories=categories,
        action_lists=action_lists,
        can_edit=can_edit,
        next_household=next_household,
        commune_page=commune_page,
        overdue_applications=overdue_applications(user).count(),
    )
    return render(request, "households/dashboard.html", context)


@personal_data_required
def household_list(request):
    user = request.user
    lang = ui_lang()
    open_round = open_round_for_user(user)
    data = request.GET.copy() if request.GET else None
    if data is not None and not data.get("round") and open_round is not None:
        # Category and "assessed" filters refer to the current open round unless another round is chosen.
        data["round"] = open_round.code
    filterset = HouseholdFilterSet(
        data, queryset=Household.objects.visible_to(user).select_related("commune", "hamlet"), user=user, request=request
    )
    filterset.filters["round"].queryset = SurveyRound.objects.filter(province__in=provinces_of(user))
    form = filterset.form
    form.fields["category"].choices = [(c.value, cl.CATEGORY_LABELS[lang][c]) for c in cl.Category]
    for name in ("category", "status"):
        form.fields[name].empty_label = _("Any")
    form.fields["hamlet"].empty_label = _("All")
    form.fields["round"].empty_label = _("Current open round") if open_round else _("All")
    form.fields["assessed"].widget = forms.Select(
        choices=[("", _("Any")), ("true", _("Assessed")), ("false", _("Not assessed yet"))]
    )
    communes = communes_visible_to(user)
    multi_commune = communes[:2].count() > 1
    if multi_commune:
        form.fields["hamlet"].label_from_instance = lambda h: f"{h.name} · {h.commune.name}"

    survey_round = None
    if filterset.is_bound and form.is_valid():
        survey_round = form.cleaned_data.get("round")
    if survey_round is None:
        survey_round = open_round

    households = filterset.qs
    if survey_round is not None:
        in_round = Assessment.objects.filter(household=OuterRef("pk"), round=survey_round).order_by()
        households = households.annotate(
            round_category=Subquery(in_round.values("category")[:1]), round_group=Subquery(in_round.values("group")[:1])
        )
    # member_count is the household's own column (kept by the services), not a count per row.
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    note_access(request, [h.pk for h in page.object_list])
    return render(
        request,
        "households/household_list.html",
        {
            "filter": filterset,
            "form": form,
            "page": page,
            "survey_round": survey_round,
            "multi_commune": multi_commune,
            "unit_choices": unit_choices(user, communes) if multi_commune else None,
            "can_create": editable_communes(user).exists(),
        },
    )


@personal_data_required
def household_detail(request, code: str):
    user = request.user
    household = visible_household(user, code)
    members = list(household.members.all())
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(household=household)
        .select_related("round", "criteria_set", "assessed_by")
        .prefetch_related(
            "deprived_indicators", Prefetch("standard_results", queryset=StandardResult.objects.select_related("criteria_set"))
        )
        .order_by("-round__year", "-round__starts_on")
    )
    can_edit = can_edit_commune(user, household.commune)
    open_round = open_round_for_household(household) if can_edit else None
    note_access(request, [household.pk])
    accesses = (
        household.accesses.select_related("user").order_by("-day", "-first_at")[:100]
        if can(user, Action.READ_ACCESS_LOG, household.commune)
        else None
    )
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "members": members,
            "assessments": assessments,
            "can_edit": can_edit,
            "open_round": open_round,
            "open_assessment": next((a for a in assessments if open_round and a.round_id == open_round.pk), None),
            "events": history_page(household, user, page=request.GET.get("history_page")),
            "accesses": accesses,
            "status_form": HouseholdStatusForm(initial={"status": household.status, "expected_version": household.version})
            if can_edit
            else None,
        },
    )


@personal_data_required
@require_POST
def household_status_view(request, code: str):
    """Mark a household moved, merged, dissolved or active again (never deleted), with a reason."""
    household = visible_household(request.user, code)
    if not can_edit_commune(request.user, household.commune):
        raise PermissionDenied(_("You cannot change households of this commune."))
    form = HouseholdStatusForm(request.POST)
    if form.is_valid():
        target_code = form.cleaned_data["merged_into"].strip()
        merged_into = Household.objects.visible_to(request.user).filter(code=target_code).first() if target_code else None
        try:
            if target_code and merged_into is None:
                raise ValidationError({"merged_into": _("No household %(code)s in your area.") % {"code": target_code}})
            household_set_status(
                actor=request.user,
                household=household,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                merged_into=merged_into,
                expected_version=form.cleaned_data["expected_version"],
            )
        except ConflictError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}: {error}" if label else error)
        else:
            messages.success(request, _("The household's status was changed."))
    else:
        for field, errors in form.errors.items():
            if field == "expected_version":
                messages.error(request, _("This page was out of date; look at the household again before changing its status."))
                continue
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}")
    return redirect("household-detail", code=household.code)


@personal_data_required
@require_GET
def hamlet_options(request):
    """The hamlets of one commune, as <option>s of the hamlet field's datalist (htmx)."""
    raw = request.GET.get("commune", "")
    if raw and not raw.isdigit():
        raise ValidationError({"commune": _("A commune is given by its number.")})
    commune = get_object_or_404(communes_visible_to(request.user), pk=int(raw or 0))
    hamlets = Hamlet.objects.visible_to(request.user).filter(commune=commune).order_by("name")
    return render(request, "households/_hamlet_options.html", {"hamlets": hamlets})
