"""The what-if simulation page: department staff copy an official criteria set into a draft and compare a round's
numbers under both (surveys/reports/simulation.py computes; nothing is stored)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from surveys.models import CriteriaSet, SurveyRound
from surveys.reports import rates
from surveys.reports.simulation import criteria_set_copy_as_draft, simulate
from surveys.reports.tables import RATE_COLUMNS, category_label, lang


def staff_only(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not rates.can_see_all(request.user):
            raise PermissionDenied(_("Only department staff can run simulations."))
        return view(request, *args, **kwargs)

    return wrapper


def _compared(official, draft) -> tuple:
    """(official, draft, difference) for one cell of the comparison: the difference is draft − official, signed,
    for counts and for rates (strings such as "9.80"); None when either side has no value."""
    import decimal

    if official in (None, "") or draft in (None, ""):
        return official, draft, None
    difference = decimal.Decimal(str(draft)) - decimal.Decimal(str(official))
    return official, draft, difference


@staff_only
def simulation(request):
    drafts = list(CriteriaSet.objects.filter(is_official=False).order_by("code"))
    officials = list(CriteriaSet.objects.filter(is_official=True).order_by("code"))
    rounds = [
        r
        for r in SurveyRound.objects.select_related("criteria_set", "province").order_by("-year", "code")
        if rates.can_see_live(request.user, r)
    ]
    ctx = {"drafts": drafts, "officials": officials, "rounds": rounds, "result": None, "copy_errors": {}}
    if request.method == "POST":
        source = next((c for c in officials if c.code == request.POST.get("source")), None)
        try:
            if source is None:
                raise ValidationError({"source": _("Choose an official criteria set to copy.")})
            draft = criteria_set_copy_as_draft(actor=request.user, source=source, code=request.POST.get("code", ""))
        except ValidationError as exc:
            ctx["copy_errors"] = exc.message_dict
        else:
            messages.success(
                request, _("Draft %(code)s created: edit its lines and rules in the admin, then simulate.") % {"code": draft.code}
            )
            return redirect(reverse("reports:simulation") + "?" + urlencode({"draft": draft.code}))
    draft = next((d for d in drafts if d.code == request.GET.get("draft")), None)
    survey_round = next((r for r in rounds if r.code == request.GET.get("round")), None)
    ctx.update(selected_draft=draft, selected_round=survey_round or (rounds[0] if rounds else None))
    if draft is not None and survey_round is not None:
        if not rates.can_see_live(request.user, survey_round):
            raise PermissionDenied(_("Only the province's department staff can simulate on its round."))
        unit = rates.unit_in_round(survey_round, request.GET.get("unit"))
        level = rates.child_level(unit)
        result = simulate(actor=request.user, round=survey_round, draft=draft, unit=unit, level=level)
        language = lang()
        keys = [key for key, *_x in RATE_COLUMNS[2:11]]
        ctx.update(
            result=result,
            unit=unit,
            headers=[labels[language] for *_x, labels in RATE_COLUMNS[2:11]],
            compare_rows=[
                (o.unit_name, [_compared(getattr(o, key), getattr(d, key)) for key in keys], False)
                for o, d in zip(result.official, result.draft_rows, strict=True)
            ]
            + [
                (
                    _("Total"),
                    [_compared(getattr(result.official_total, key), getattr(result.draft_total, key)) for key in keys],
                    True,
                )
            ],
            transitions=sorted(
                ((category_label(a, language), category_label(b, language), n) for (a, b), n in result.transitions.items()),
                key=lambda t: -t[2],
            ),
            admin_url=reverse("admin:surveys_criteriaset_change", args=[draft.pk]),
        )
    return render(request, "reports/simulation.html", ctx)
