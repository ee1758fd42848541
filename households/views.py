"""The officers' household screens: dashboard, register, detail, create and edit.

Thin views: every read starts from `visible_to(user)` (out of scope answers 404), every write goes through
`households.services`, and a rejected write re-renders the form with what the officer typed.
"""

from __future__ import annotations

import datetime
import secrets
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access_log import note_access
from core.exceptions import ConflictError
from core.policy import Action, can
from core.selectors import history_page
from households.filters import HouseholdFilterSet
from households.forms import HouseholdForm, HouseholdStatusForm, MemberFormSet, member_initial
from households.models import (
    WORKING_AGE_FROM,
    WORKING_AGE_TO,
    AdminUnit,
    Assignment,
    Hamlet,
    Household,
    HouseholdStatus,
    Level,
    Member,
    Role,
    communes_visible_to,
)
from households.permissions import EDIT_ROLES, can_edit_commune
from households.selectors import household_lookalikes
from households.services import hamlet_get_or_create, household_create, household_set_status, household_update
from households.templatetags.povreg_ui import ui_lang
from surveys import classification as cl
from surveys.models import Assessment, Category, CommuneList, ListStatus, StandardResult, SurveyRound

PAGE_SIZE = 25
COMMUNE_PAGE_SIZE = 30
UNIT_SELECT_LIMIT = 400

# The list states each role acts on next (the approval screens do the acting).
ACTION_STATUSES = {
    Role.COMMUNE_OFFICER: [ListStatus.RETURNED],
    Role.COMMUNE_CHAIRMAN: [ListStatus.RETURNED],
    Role.DISTRICT_OFFICER: [ListStatus.SUBMITTED],
    Role.DEPARTMENT_STAFF: [ListStatus.DISTRICT_REVIEWED],
    Role.ADMIN: [ListStatus.DISTRICT_REVIEWED],
}


# --- scope helpers (shared with surveys.views) ---------------------------------------------------------------


def personal_data_required(view):
    """Signed in, and assigned to a unit with a role that may read households: deny by default."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not communes_visible_to(request.user).exists():
            raise PermissionDenied(_("Your account has no access to household data."))
        return view(request, *args, **kwargs)

    return wrapper


def editable_communes(user):
    """Communes whose households `user` may register and change."""
    if getattr(user, "is_superuser", False):
        return communes_visible_to(user)
    return communes_visible_to(user, roles=EDIT_ROLES)


def provinces_of(user):
    """The provinces over the communes `user` may see (a lazy queryset, used as a subquery)."""
    communes = communes_visible_to(user)
    return AdminUnit.objects.filter(level=Level.PROVINCE).filter(
        Q(pk__in=communes.values("parent_id")) | Q(pk__in=communes.values("parent__parent_id"))
    )


def open_round_for_user(user) -> SurveyRound | None:
    """The current open round: open for entry, latest year, covering the user's province."""
    return (
        SurveyRound.objects.filter(is_open=True, province__in=provinces_of(user))
        .select_related("criteria_set", "province")
        .order_by("-year", "-starts_on", "code")
        .first()
    )


def province_ids(commune: AdminUnit) -> list[int]:
    ids = [commune.parent_id]
    if commune.parent_id is not None and commune.parent.parent_id is not None:
        ids.append(commune.parent.parent_id)
    return [i for i in ids if i is not None]


def rounds_for_household(household: Household):
    return SurveyRound.objects.filter(province_id__in=province_ids(household.commune)).select_related("criteria_set", "province")


def open_round_for_household(household: Household, code: str | None = None) -> SurveyRound | None:
    """The open round covering the household's province (or the named one, when open)."""
    rounds = rounds_for_household(household).filter(is_open=True)
    if code:
        return rounds.filter(code=code).first()
    return rounds.order_by("-year", "-starts_on", "code").first()


def visible_household(user, code: str) -> Household:
    return get_object_or_404(
        Household.objects.visible_to(user).select_related("commune__parent__parent", "hamlet"), code=code
    )


def next_unassessed(user, survey_round: SurveyRound, *, communes, after: Household | None = None) -> Household | None:
    """The next active household (by code) of `communes` without an assessment in the round."""
    candidates = (
        Household.objects.visible_to(user)
        .active()
        .filter(commune__in=communes)
        .exclude(assessments__round=survey_round)
        .order_by("code")
    )
    if after is not None:
        candidates = candidates.exclude(pk=after.pk)
        following = candidates.filter(code__gt=after.code).first()
        if following is not None:
            return following
    return candidates.first()


# --- dashboard ----------------------------------------------------------------------------------------------


def _count(qs) -> Coalesce:
    return Coalesce(Subquery(qs.order_by().values("commune").annotate(n=Count("pk")).values("n")[:1]), 0,
                    output_field=IntegerField())


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
        Assessment.objects.visible_to(user).filter(round=survey_round, commune__in=scope)
        .values("category", "group").annotate(n=Count("pk")).order_by()
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
    statuses = {s for role in roles for s in ACTION_STATUSES.get(role, [])}
    if user.is_superuser or roles & {Role.DEPARTMENT_STAFF, Role.ADMIN}:
        if not survey_round.has_districts:
            statuses.add(ListStatus.SUBMITTED)
    action_lists = list(
        CommuneList.objects.visible_to(user).current()
        .filter(round=survey_round, commune__in=scope, status__in=statuses)
        .select_related("commune").order_by("commune__code")[:50]
    ) if statuses else []

    can_edit = editable_communes(user).filter(pk__in=scope.values("pk")).exists()
    # "Enter the next household" is the commune officer's day; department staff (who may edit too) are offered
    # the lists waiting for their approval instead.
    next_household = (
        next_unassessed(user, survey_round, communes=editable_communes(user).filter(pk__in=scope.values("pk")))
        if can_edit and assessed < listed and Role.COMMUNE_OFFICER in roles else None
    )

    commune_page = None
    if scope.count() > 1:
        in_round = Household.objects.filter(commune=OuterRef("pk"), status=HouseholdStatus.ACTIVE)
        round_rows = Assessment.objects.filter(round=survey_round, commune=OuterRef("pk"))
        rows = scope.select_related("parent").annotate(
            household_count=_count(in_round),
            assessed=_count(in_round.filter(assessments__round=survey_round)),
            poor=_count(round_rows.filter(category=Category.POOR)),
            near_poor=_count(round_rows.filter(category=Category.NEAR_POOR)),
            list_status=Subquery(
                CommuneList.objects.filter(round=survey_round, commune=OuterRef("pk"), is_current=True).values("status")[:1]
            ),
        ).order_by("parent__code", "code")
        commune_page = Paginator(rows, COMMUNE_PAGE_SIZE).get_page(request.GET.get("page"))
        status_labels = dict(ListStatus.choices)
        for row in commune_page:
            row.remaining = row.household_count - row.assessed
            row.list_status_label = status_labels.get(row.list_status, "")

    from surveys.monthly import overdue_applications

    context.update(
        assessed=assessed, remaining=max(listed - assessed, 0), categories=categories, action_lists=action_lists,
        can_edit=can_edit, next_household=next_household, commune_page=commune_page,
        overdue_applications=overdue_applications(user).count(),
    )
    return render(request, "households/dashboard.html", context)


# --- household register -------------------------------------------------------------------------------------


def _unit_choices(user, communes) -> list[AdminUnit] | None:
    """Districts and communes to filter by, or None when there are too many for a select."""
    units = AdminUnit.objects.filter(Q(pk__in=communes.values("pk")) | Q(pk__in=communes.values("parent_id"))).exclude(
        level=Level.PROVINCE
    ).order_by("code")[: UNIT_SELECT_LIMIT + 1]
    units = list(units)
    return None if len(units) > UNIT_SELECT_LIMIT else units


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
        data, queryset=Household.objects.visible_to(user).select_related("commune", "hamlet"), user=user, request=request,
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
        in_round = Assessment.objects.filter(household=OuterRef("pk"), round=survey_round)
        households = households.annotate(
            round_category=Subquery(in_round.values("category")[:1]), round_group=Subquery(in_round.values("group")[:1])
        )
    households = households.annotate(
        member_count=Coalesce(
            Subquery(Member.objects.filter(household=OuterRef("pk")).order_by().values("household").annotate(n=Count("pk")).values("n")[:1]),
            0, output_field=IntegerField(),
        )
    )
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    note_access(request, [h.pk for h in page.object_list])
    return render(
        request, "households/household_list.html",
        {
            "filter": filterset, "form": form, "page": page, "survey_round": survey_round, "multi_commune": multi_commune,
            "unit_choices": _unit_choices(user, communes) if multi_commune else None,
            "can_create": editable_communes(user).exists(),
        },
    )


@personal_data_required
def household_detail(request, code: str):
    user = request.user
    household = visible_household(user, code)
    members = list(household.members.all())
    assessments = list(
        Assessment.objects.visible_to(user).filter(household=household)
        .select_related("round", "criteria_set", "assessed_by")
        .prefetch_related("deprived_indicators", Prefetch("standard_results", queryset=StandardResult.objects.select_related("criteria_set")))
        .order_by("-round__year", "-round__starts_on")
    )
    can_edit = can_edit_commune(user, household.commune)
    open_round = open_round_for_household(household) if can_edit else None
    note_access(request, [household.pk])
    accesses = (
        household.accesses.select_related("user").order_by("-day", "-first_at")[:100]
        if can(user, Action.READ_ACCESS_LOG, household.commune) else None
    )
    return render(
        request, "households/household_detail.html",
        {
            "household": household, "members": members, "assessments": assessments, "can_edit": can_edit,
            "open_round": open_round,
            "open_assessment": next((a for a in assessments if open_round and a.round_id == open_round.pk), None),
            "events": history_page(household, user, page=request.GET.get("history_page")),
            "accesses": accesses,
            "status_form": HouseholdStatusForm(initial={"status": household.status, "expected_version": household.version}) if can_edit else None,
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
                actor=request.user, household=household, status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"], merged_into=merged_into, expected_version=form.cleaned_data["expected_version"],
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


def _apply_errors(form, formset, exc: ValidationError, member_forms: list) -> None:
    """Put a service's ValidationError beside the fields it names; the rest goes on top of the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages_ in exc.message_dict.items():
        if key.startswith("members[") and "]." in key:
            index, field = key[len("members["):].split("].", 1)
            if index.isdigit() and int(index) < len(member_forms) and field in member_forms[int(index)].fields:
                member_forms[int(index)].add_error(field, messages_)
                continue
        if key in form.fields and key != "expected_version":
            form.add_error(key, messages_)
        else:
            for message in messages_:
                form.add_error(None, message)


def _resolve_hamlet(*, commune: AdminUnit, name: str, actor) -> Hamlet | None:
    """The commune's hamlet of that name (case aside), or a new one created through the service."""
    if not name:
        return None
    existing = Hamlet.objects.visible_to(actor).filter(commune=commune, name__iexact=name).first()
    return existing or hamlet_get_or_create(commune=commune, name=name, actor=actor)


def _form_page(request, template_context: dict, status: int = 200):
    # The working-age bounds for the member rows' "able to work" default (static/js/povreg.js reads them).
    template_context.update(working_age_from=WORKING_AGE_FROM, working_age_to=WORKING_AGE_TO, this_year=datetime.date.today().year)
    return render(request, "households/household_form.html", template_context, status=status)


def _continue_to(request, household: Household) -> str:
    if request.POST.get("then") == "assess":
        return reverse("assessment-entry", args=[household.code])
    return reverse("household-detail", args=[household.code])


def _submit_household(form, formset, *, actor, write) -> tuple[Household | None, int]:
    """Validate the household form and its member rows, then resolve the hamlet and `write` in one transaction.
    A refused write puts its errors beside the fields and keeps what was typed: (None, HTTP status)."""
    if not (form.is_valid() and formset.is_valid()):
        return None, 400
    kept = formset.kept_forms()
    data = form.cleaned_data
    try:
        with transaction.atomic():
            hamlet = _resolve_hamlet(commune=data["commune"], name=data["hamlet"], actor=actor)
            return write(data, hamlet, [f.member_data() for f in kept]), 200
    except ValidationError as exc:
        _apply_errors(form, formset, exc, kept)
        return None, 400
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return None, 403


def _warn_children_marked_able(request, formset) -> None:
    """Saved as ticked (the officer may know better), but said: a child under working age is rarely able to work."""
    names = formset.children_marked_able()
    if names:
        messages.warning(request, _("Marked able to work although under %(age)s: %(names)s. Check the birth year and the tick.")
                         % {"age": WORKING_AGE_FROM, "names": ", ".join(names)})


# One-time tokens of the registration form, in the session: token → "" while the form is open, then the code of
# the household it registered. A form sent again (back twice, then save) finds its token used and creates nothing.
FORM_TOKENS_KEY = "household_form_tokens"
FORM_TOKENS_KEPT = 50


def _issue_form_token(request) -> str:
    tokens = dict(request.session.get(FORM_TOKENS_KEY, {}))
    token = secrets.token_urlsafe(18)
    tokens[token] = ""
    for stale in list(tokens)[:-FORM_TOKENS_KEPT]:
        del tokens[stale]
    request.session[FORM_TOKENS_KEY] = tokens
    return token


def _form_token_state(request, token: str) -> str | None:
    """"" for a token issued and not used yet, the household code it registered once used, None when unknown."""
    return request.session.get(FORM_TOKENS_KEY, {}).get(token) if token else None


def _use_form_token(request, token: str, household: Household) -> None:
    tokens = dict(request.session.get(FORM_TOKENS_KEY, {}))
    tokens[token] = household.code
    request.session[FORM_TOKENS_KEY] = tokens


def _renew_form_token(request, form) -> None:
    form.data = form.data.copy()
    form.data["form_token"] = _issue_form_token(request)


def _lookalikes(user, form, formset) -> list[Household]:
    """Households like the one about to be registered (same commune, head name and birth year, address) that the
    officer has not yet said to register anyway."""
    if not (form.is_valid() and formset.is_valid()):
        return []
    head = next(f.cleaned_data for f in formset.kept_forms() if f.cleaned_data["relation"] == "head")
    found = household_lookalikes(
        user=user, commune=form.cleaned_data["commune"], head_name=head["full_name"],
        head_birth_year=head["birth_year"], address=form.cleaned_data["address"],
    )
    return [] if {h.code for h in found} <= form.acknowledged_duplicates else found


@personal_data_required
def household_create_view(request):
    user = request.user
    communes = editable_communes(user).order_by("code")
    commune_list = list(communes[:2])
    if not commune_list:
        raise PermissionDenied(_("You cannot register households."))
    single = commune_list[0] if len(commune_list) == 1 else None
    status = 200
    lookalikes: list[Household] = []
    already_registered = None
    if request.method == "POST":
        form = HouseholdForm(request.POST, communes=communes)
        formset = MemberFormSet(request.POST, prefix="members")
        token = request.POST.get("form_token", "")
        token_state = _form_token_state(request, token)
        if token_state:
            # This form already registered a household: sent again, it registers nothing.
            already_registered = Household.objects.visible_to(user).filter(code=token_state).first()
            form.is_valid()
            form.add_error(None, _("This form was already saved: it registered household %(code)s. Nothing new was registered.")
                           % {"code": token_state})
            _renew_form_token(request, form)
            status = 409
        elif token_state is None:
            form.is_valid()
            formset.is_valid()
            form.add_error(None, _("This form was not opened here or has expired, so nothing was saved. "
                                   "Check the values below and save again."))
            _renew_form_token(request, form)
            status = 400
        elif lookalikes := _lookalikes(user, form, formset):
            status = 200  # a warning, not an error: ticking "register anyway" and saving again goes through
        else:
            household, status = _submit_household(
                form, formset, actor=user,
                write=lambda data, hamlet, members: household_create(
                    actor=user, code=data["code"], commune=data["commune"], hamlet=hamlet,
                    address=data["address"], members=members,
                ),
            )
            if household is not None:
                _use_form_token(request, token, household)
                messages.success(request, _("Household %(code)s registered.") % {"code": household.code})
                _warn_children_marked_able(request, formset)
                return redirect(_continue_to(request, household))
    else:
        form = HouseholdForm(
            communes=communes,
            initial={"commune": single, "code": suggested_code(single) if single else "", "form_token": _issue_form_token(request)},
        )
        formset = MemberFormSet(prefix="members", initial=[{"relation": "head"}])
    hamlet_commune = single or _chosen_commune(form, communes)
    return _form_page(
        request,
        {
            "form": form, "formset": formset, "single_commune": single, "editing": False,
            "hamlets": Hamlet.objects.visible_to(user).filter(commune=hamlet_commune).order_by("name") if hamlet_commune else [],
            "open_round": open_round_for_user(user),
            "lookalikes": lookalikes, "lookalike_codes": ",".join(h.code for h in lookalikes),
            "already_registered": already_registered,
            # A new row's "able to work" follows the birth year typed (static/js/povreg.js) until the officer ticks it.
            "new_rows_follow_age": not form.is_bound,
        },
        status,
    )


def suggested_code(commune: AdminUnit) -> str:
    """The commune's next code in its "CCCCC-NNNN" series (a suggestion the officer may overwrite)."""
    prefix = f"{commune.code}-"
    last = Household.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    suffix = last[len(prefix):] if last else "0"
    if not suffix.isdigit():
        return ""
    return f"{prefix}{int(suffix) + 1:0{max(len(suffix), 4)}d}"


def _chosen_commune(form, communes) -> AdminUnit | None:
    value = form["commune"].value()
    if not value:
        return None
    try:
        return communes.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


@personal_data_required
def household_edit_view(request, code: str):
    user = request.user
    household = visible_household(user, code)
    if not can_edit_commune(user, household.commune):
        raise PermissionDenied(_("You can read this household but not change it."))
    communes = editable_communes(user).order_by("code")
    commune_list = list(communes[:2])
    single = commune_list[0] if len(commune_list) == 1 else None
    status = 200
    if request.method == "POST":
        form = HouseholdForm(request.POST, communes=communes, editing=True)
        formset = MemberFormSet(request.POST, prefix="members")
        try:
            saved, status = _submit_household(
                form, formset, actor=user,
                write=lambda data, hamlet, members: household_update(
                    actor=user, household=household, expected_version=data["expected_version"],
                    members=members, commune=data["commune"], hamlet=hamlet, address=data["address"],
                ),
            )
        except ConflictError as exc:
            # Keep what was typed; the next save (after reading the message) applies it over the newer version.
            current = Household.objects.get(pk=household.pk)
            form.add_error(None, f"{exc} " + _("Your changes are kept below: check them and save again to apply them."))
            form.data = form.data.copy()
            form.data["expected_version"] = str(current.version)
            saved, status = None, 409
        if saved is not None:
            messages.success(request, _("Household %(code)s saved.") % {"code": saved.code})
            _warn_children_marked_able(request, formset)
            return redirect(_continue_to(request, saved))
    else:
        form = HouseholdForm(
            communes=communes, editing=True,
            initial={
                "commune": household.commune, "hamlet": household.hamlet.name if household.hamlet else "",
                "address": household.address, "expected_version": household.version,
            },
        )
        formset = MemberFormSet(prefix="members", initial=member_initial(household.members.all()))
    hamlet_commune = _chosen_commune(form, communes) or household.commune
    return _form_page(
        request,
        {
            "form": form, "formset": formset, "single_commune": single, "editing": True, "household": household,
            "hamlets": Hamlet.objects.visible_to(user).filter(commune=hamlet_commune).order_by("name"),
            "open_round": open_round_for_household(household),
        },
        status,
    )

