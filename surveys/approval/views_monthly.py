"""The monthly review's pages: the commune's applications (Form 04) with their deadlines, filing and deciding."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.policy import Action, can, communes_for
from households.models import Household
from surveys import monthly
from surveys.approval.forms import date_field
from surveys.models import Application, ApplicationKind, ApplicationStatus
from surveys.web import error_messages, form_error_messages


class ApplicationForm(forms.Form):
    household = forms.CharField(label=gettext_lazy("Household code"), max_length=40)
    kind = forms.ChoiceField(label=gettext_lazy("Applies"), choices=ApplicationKind.choices)
    received_on = date_field(gettext_lazy("Received on"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    recognise = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        coerce=lambda v: v == "yes",
        choices=[("yes", gettext_lazy("Recognised as applied for")), ("no", gettext_lazy("Not recognised"))],
    )
    number = forms.CharField(label=gettext_lazy("Decision number"), max_length=50)
    decided_on = date_field(gettext_lazy("Decision date"))


@login_required
def applications(request):
    """The applications of the user's communes: waiting ones first, overdue marked; filing and deciding forms."""
    communes = communes_for(request.user, Action.VIEW)
    if not communes.exists():
        raise Http404
    rows = list(
        Application.objects.filter(commune__in=communes)
        .select_related("household", "commune", "round")
        .order_by("status", "due_on", "-id")[:200]
    )
    can_record = can(request.user, Action.RECORD_STEPS)
    return render(
        request,
        "approval/applications.html",
        {
            "rows": rows,
            "can_record": can_record,
            "form": ApplicationForm(initial={"received_on": timezone.localdate()}),
            "decision_form": DecisionForm(initial={"decided_on": timezone.localdate()}),
            "overdue": sum(1 for a in rows if a.is_overdue),
            "working_days": monthly.decision_working_days(),
        },
    )


@login_required
@require_POST
def application_add(request):
    if not can(request.user, Action.RECORD_STEPS):
        raise PermissionDenied(_("Only the commune's officers or chairman record applications."))
    form = ApplicationForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form)
        return redirect("approval:applications")
    household = Household.objects.visible_to(request.user).filter(code=form.cleaned_data["household"].strip()).first()
    if household is None:
        messages.error(request, _("Unknown household %(code)s.") % {"code": form.cleaned_data["household"]})
        return redirect("approval:applications")
    try:
        application = monthly.application_file(
            actor=request.user,
            household=household,
            kind=form.cleaned_data["kind"],
            received_on=form.cleaned_data["received_on"],
            note=form.cleaned_data["note"],
        )
    except PermissionDenied:
        raise
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(
            request,
            _("The application was recorded; the decision is due by %(date)s.") % {"date": f"{application.due_on:%d/%m/%Y}"},
        )
    return redirect("approval:applications")


@login_required
@require_POST
def application_decide(request, pk: int):
    application = get_object_or_404(Application.objects.filter(commune__in=communes_for(request.user, Action.VIEW)), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form)
        return redirect("approval:applications")
    try:
        monthly.application_decide(actor=request.user, application=application, **form.cleaned_data)
    except ObjectDoesNotExist:
        raise Http404
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("The decision was recorded."))
    return redirect("approval:applications")


__all__ = ["ApplicationStatus", "application_add", "application_decide", "applications"]
