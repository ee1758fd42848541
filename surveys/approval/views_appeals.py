"""The appeals' pages: the list, lodging one, and deciding it (surveys/approval/appeals.py writes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.exceptions import ConflictError
from core.selectors import history_page
from households.models import Household
from surveys.approval.appeals import appeal_decide, appeal_lodge
from surveys.approval.forms import AppealDecideForm, AppealLodgeForm
from surveys.approval.selectors import COMMUNE_ROLES, DEPARTMENT_ROLES, acts_for
from surveys.approval.views import _rounds_for
from surveys.models import Appeal, AppealStatus


@login_required
def appeal_list(request):
    appeals = Appeal.objects.visible_to(request.user).select_related("household", "round", "commune", "lodged_by")
    status = request.GET.get("status", "")
    if status in AppealStatus.values:
        appeals = appeals.filter(status=status)
    if request.GET.get("round"):
        appeals = appeals.filter(round__code=request.GET["round"])
    return render(
        request,
        "approval/appeal_list.html",
        {"appeals": appeals.order_by("-lodged_at")[:500], "status": status, "statuses": AppealStatus.choices},
    )


@login_required
def appeal_new(request):
    rounds = _rounds_for(request.user).filter(is_open=True)
    initial = {"household_code": request.GET.get("household", ""), "round": request.GET.get("round", "")}
    form = AppealLodgeForm(request.POST or None, rounds=rounds, initial=initial)
    if request.method == "POST" and form.is_valid():
        household = Household.objects.visible_to(request.user).filter(code=form.cleaned_data["household_code"].strip()).first()
        if household is None:
            form.add_error("household_code", _("No such household."))
        else:
            try:
                appeal = appeal_lodge(
                    actor=request.user,
                    household=household,
                    round=form.cleaned_data["round"],
                    complaint=form.cleaned_data["complaint"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("The appeal was lodged; the household's assessment can now be reviewed."))
                return redirect("approval:appeal", pk=appeal.pk)
    return render(request, "approval/appeal_new.html", {"form": form})


@login_required
def appeal_detail(request, pk: int):
    appeal = get_object_or_404(
        Appeal.objects.visible_to(request.user).select_related(
            "household", "round", "commune", "assessment", "lodged_by", "decided_by"
        ),
        pk=pk,
    )
    form = AppealDecideForm(request.POST or None, initial={"version": appeal.version})
    if request.method == "POST" and form.is_valid():
        try:
            appeal_decide(
                actor=request.user,
                appeal=appeal,
                status=form.cleaned_data["status"],
                outcome=form.cleaned_data["outcome"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ObjectDoesNotExist:
            raise Http404
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The appeal's outcome was recorded."))
            return redirect("approval:appeal", pk=appeal.pk)
    can_decide = appeal.status == AppealStatus.OPEN and acts_for(request.user, appeal.commune, COMMUNE_ROLES + DEPARTMENT_ROLES)
    return render(
        request,
        "approval/appeal_detail.html",
        {
            "appeal": appeal,
            "form": form,
            "can_decide": can_decide,
            "events": history_page(appeal, request.user, page=request.GET.get("history_page")),
        },
    )
