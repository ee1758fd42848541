"""Assessment entry for one household in the open round, with the live classification preview (htmx).

The category comes only from surveys.services (which calls the one classification module); saving goes
through `assessment_save`. A rejected save re-renders the form with everything the officer typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError
from households.decorators import personal_data_required
from households.models import AreaType, Household, HouseholdStatus
from households.permissions import can_edit_commune
from households.selectors import next_unassessed, open_round_for_household, rounds_for_household, visible_household
from households.templatetags.povreg_ui import ui_lang
from surveys import classification as cl
from surveys.assessment_refresh import preview
from surveys.assessment_rules import income_sets
from surveys.consistency import possible_warnings, warnings_for
from surveys.forms import AssessmentForm, format_amount
from surveys.models import Assessment, SurveyRound
from surveys.round_areas import area_in_round
from surveys.services import assessment_save, list_is_locked, member_facts, round_additional_sets


def _preview_context(form: AssessmentForm, household: Household, survey_round: SurveyRound, members: list[dict]) -> dict:
    """What the preview box shows for the typed inputs: the category and its explanation, or why not yet."""
    if not form.has_income:
        return {"preview_hint": _("Enter the income to see the category.")}
    if not form.is_valid():
        errors = [e for name in ("income_per_capita", "total_income", "score_a", "deprived") for e in form.errors.get(name, [])]
        return {"preview_errors": errors or [_("Check the highlighted fields.")]}
    income = form.cleaned_data["income"]
    area = area_in_round(round=survey_round, commune=household.commune)
    additional = round_additional_sets(survey_round)
    try:
        result = preview(
            criteria_set=survey_round.criteria_set,
            area=area,
            income_per_capita=income,
            score_a=form.cleaned_data.get("score_a"),
            deprived=form.cleaned_data["deprived"],
            members=members,
            additional=additional,
        )
    except ValidationError as exc:
        return {"preview_errors": exc.messages}
    lang = ui_lang()
    standards = []
    for criteria_set in additional:  # the same inputs under the round's other standards
        score_a = form.cleaned_data.get("score_a") if criteria_set.has_score_scale else None
        known = set(criteria_set.indicators.values_list("code", flat=True))
        try:
            other = preview(
                criteria_set=criteria_set,
                area=area,
                income_per_capita=None if score_a is not None else income,
                score_a=score_a,
                deprived=[c for c in form.cleaned_data["deprived"] if c in known],
                members=members,
            )
        except ValidationError:
            continue
        standards.append(
            {
                "code": criteria_set.code,
                "name": criteria_set.name(lang),
                "category": other.category,
                "label": cl.CATEGORY_LABELS[lang][other.category],
                "explanation": other.explanation(lang),
            }
        )
    return {
        "standards": standards,
        "result": result,
        "category_text": cl.CATEGORY_LABELS[lang][result.category],
        "group_text": cl.GROUP_LABELS[lang][result.group] if result.group else "",
        "explanation": result.explanation(lang),
        "income": income,
        "divided": income is not None and form.cleaned_data.get("income_per_capita") is None,
        "member_count": len(members),
    }


def _lock_reason(household: Household, survey_round: SurveyRound) -> str:
    if household.status != HouseholdStatus.ACTIVE:
        return _("Only an active household can be assessed.")
    if not survey_round.is_open:
        return _("The round %(round)s is closed for entry.") % {"round": survey_round.code}
    if list_is_locked(round=survey_round, commune=household.commune):
        return _("The commune's list for this round is submitted or approved: its assessments are read-only.")
    return ""


def _apply_errors(form: AssessmentForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages_ in exc.message_dict.items():
        if key == "income_per_capita":
            form.add_error(form.income_field, messages_)
        elif key == "score_a" and "score_a" in form.fields:
            form.add_error("score_a", messages_)
        elif key == "deprived":
            form.add_error("deprived", messages_)
        else:
            for message in messages_:
                form.add_error(None, message)


@personal_data_required
def assessment_entry(request, code: str):
    user = request.user
    household = visible_household(user, code)
    if not can_edit_commune(user, household.commune):
        raise PermissionDenied(_("You can read this household but not assess it."))
    round_code = request.POST.get("round") or request.GET.get("round")
    survey_round = open_round_for_household(household, round_code)
    if survey_round is None:
        if round_code:
            # A closed or foreign round: show its stored assessment read-only on the household page.
            get_object_or_404(rounds_for_household(household), code=round_code)
            return redirect("household-detail", code=household.code)
        return render(request, "surveys/assessment_form.html", {"household": household, "survey_round": None})

    members = member_facts(household)
    indicators = list(survey_round.criteria_set.indicators.all())
    score_scale = survey_round.criteria_set.has_score_scale
    income_also = tuple(s.code for s in income_sets(round_additional_sets(survey_round)))
    existing = Assessment.objects.filter(household=household, round=survey_round).prefetch_related("deprived_indicators").first()
    lock_reason = _lock_reason(household, survey_round)
    status = 200
    income_warning = ""

    if request.method == "POST":
        form = AssessmentForm(
            request.POST, indicators=indicators, member_count=len(members), score_scale=score_scale, income_also=income_also
        )
        if lock_reason:
            form.is_valid()
            form.add_error(None, lock_reason)
            status = 409
        elif form.is_valid() and form.income_warning:
            # Implausible, not impossible: shown with a "confirm this value" box; saved once confirmed as it is.
            income_warning = form.income_warning
        elif form.is_valid():
            try:
                if form.cleaned_data["expected_version"] is None:
                    # A form without the version it was opened with cannot prove it saw the latest values.
                    raise ConflictError(_("This form did not say which version it was opened with."))
                assessment = assessment_save(
                    actor=user,
                    household=household,
                    round=survey_round,
                    income_per_capita=form.cleaned_data["income"],
                    score_a=form.cleaned_data.get("score_a"),
                    deprived=form.cleaned_data["deprived"],
                    expected_version=form.cleaned_data["expected_version"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                status = 400
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ConflictError as exc:
                current = Assessment.objects.filter(household=household, round=survey_round).first()
                existing = current
                if current is None:
                    form.add_error(None, f"{exc} " + _("Nothing is saved yet. Your input is kept: save again."))
                else:
                    form.add_error(
                        None,
                        f"{exc} "
                        + _("Saved meanwhile: %(category)s, income %(income)s ₫. Your input is kept: save again to replace it.")
                        % {
                            "category": cl.CATEGORY_LABELS[ui_lang()][cl.Category(current.category)],
                            "income": format_amount(current.income_per_capita)
                            if current.income_per_capita is not None
                            else f"— (score A {current.score_a})",
                        },
                    )
                form.data = form.data.copy()
                form.data["expected_version"] = str(current.version if current else 0)
                status = 409
            else:
                label = cl.CATEGORY_LABELS[ui_lang()][cl.Category(assessment.category)]
                messages.success(
                    request, _("Assessment of %(code)s saved: %(category)s.") % {"code": household.code, "category": label}
                )
                for warning in warnings_for(
                    criteria_set_code=survey_round.criteria_set.code,
                    year=survey_round.year,
                    deprived=form.cleaned_data["deprived"],
                    members=members,
                ):
                    messages.warning(request, _("Saved, but check: %(warning)s") % {"warning": warning.message})
                if "save_next" in request.POST:
                    following = next_unassessed(user, survey_round, communes=[household.commune_id], after=household)
                    if following is None:
                        messages.info(request, _("Every household of the commune is assessed in this round."))
                        return redirect("dashboard")
                    return redirect(f"{reverse('assessment-entry', args=[following.code])}?round={survey_round.code}")
                return redirect("household-detail", code=household.code)
        else:
            status = 400
    else:
        initial = {"expected_version": 0}  # a new assessment: saving fails if someone else creates it first
        if existing is not None:
            initial = {
                "income_per_capita": existing.income_per_capita,
                "score_a": existing.score_a,
                "deprived": [i.code for i in existing.deprived_indicators.all()],
                "expected_version": existing.version,
            }
        form = AssessmentForm(
            initial=initial, indicators=indicators, member_count=len(members), score_scale=score_scale, income_also=income_also
        )

    stored_input = {}
    if existing and existing.score_a is not None:
        stored_input["score_a"] = str(existing.score_a)
    if existing and existing.income_per_capita is not None:
        stored_input["income_per_capita"] = format_amount(existing.income_per_capita)
    preview_form = (
        form
        if form.is_bound
        else AssessmentForm(
            {**stored_input, "deprived": form.initial.get("deprived", [])} if existing else {},
            indicators=indicators,
            member_count=len(members),
            score_scale=score_scale,
            income_also=income_also,
        )
    )
    selected = set(form["deprived"].value() or [])
    lang = ui_lang()
    # Deprivations the members contradict: a warning beside the indicator (shown for the box's state), never a refusal.
    possible = possible_warnings(criteria_set_code=survey_round.criteria_set.code, year=survey_round.year, members=members)
    return render(
        request,
        "surveys/assessment_form.html",
        {
            "household": household,
            "survey_round": survey_round,
            "form": form,
            "existing": existing,
            "lock_reason": lock_reason,
            "members": members,
            "income_warning": income_warning,
            "income_to_confirm": form.cleaned_data["income"] if income_warning else None,
            "able_count": sum(1 for m in members if m["able_to_work"]),
            "social_protection_count": sum(1 for m in members if m["social_protection"]),
            "indicators": [
                {
                    "code": i.code,
                    "name": i.name(lang),
                    "threshold": i.threshold(lang),
                    "checked": i.code in selected,
                    "warn_checked": possible.get(i.code, {}).get(True),
                    "warn_unchecked": possible.get(i.code, {}).get(False),
                }
                for i in indicators
            ],
            "criteria_name": survey_round.criteria_set.name(lang),
            "income_also": income_also,
            "area_label": AreaType(area_in_round(round=survey_round, commune=household.commune)).label,
            **_preview_context(preview_form, household, survey_round, members),
        },
        status=status,
    )


@require_POST
@personal_data_required
def assessment_preview(request, code: str):
    """The live preview: classify the typed inputs with the one classification module; stores nothing."""
    household = visible_household(request.user, code)
    survey_round = get_object_or_404(rounds_for_household(household), code=request.POST.get("round", ""))
    members = member_facts(household)
    form = AssessmentForm(
        request.POST,
        indicators=list(survey_round.criteria_set.indicators.all()),
        member_count=len(members),
        score_scale=survey_round.criteria_set.has_score_scale,
        income_also=tuple(s.code for s in income_sets(round_additional_sets(survey_round))),
    )
    return render(request, "surveys/_preview.html", _preview_context(form, household, survey_round, members))
