"""The procedure's steps recorded from the list page: hamlet meetings, postings, the chairman's recognition, the province's decision, and withdrawing a step."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.policy import Action, can
from surveys.approval.decisions import recognition_record, round_decision_record
from surveys.approval.forms import HamletMeetingForm, PublicPostingForm, RecognitionForm, RoundDecisionForm
from surveys.approval.steps import hamlet_meeting_record, procedure_step_withdraw, public_posting_record
from surveys.approval.views import _current_list_or_404, _detail_url, _round, _rounds_for
from surveys.web import error_messages, form_error_messages


@login_required
@require_POST
def meeting_add(request, round_code: str, commune_code: str):
    commune_list = _current_list_or_404(request, round_code, commune_code)
    form = HamletMeetingForm(request.POST, hamlets=commune_list.commune.hamlets.all())
    return _record_step(request, form, hamlet_meeting_record, commune_list, _("The hamlet meeting was recorded."))


@login_required
@require_POST
def posting_add(request, round_code: str, commune_code: str):
    commune_list = _current_list_or_404(request, round_code, commune_code)
    form = PublicPostingForm(request.POST)
    return _record_step(request, form, public_posting_record, commune_list, _("The public posting was recorded."))


@login_required
@require_POST
def recognition_add(request, round_code: str, commune_code: str):
    commune_list = _current_list_or_404(request, round_code, commune_code)
    form = RecognitionForm(request.POST)
    return _record_step(request, form, recognition_record, commune_list, _("The recognition decision was recorded."))


@login_required
@require_POST
def round_decision_add(request, round_code: str):
    """Department staff record the provincial decision approving the round's result, with its scan."""
    survey_round = _round(round_code)
    if not can(request.user, Action.APPROVE, survey_round.province):
        raise PermissionDenied(_("Only the province's department staff record its approval decision."))
    form = RoundDecisionForm(request.POST, request.FILES)
    back = reverse("approval:overview", args=[survey_round.code])
    if not form.is_valid():
        form_error_messages(request, form)
        return redirect(back)
    try:
        round_decision_record(actor=request.user, round=survey_round, **form.cleaned_data)
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("The province's approval decision was recorded."))
    return redirect(back)


@login_required
def round_decision_file(request, round_code: str, pk: int):
    """The decision's scan, to whoever may read the round (it is a public act; it carries no household data)."""
    from django.http import FileResponse

    survey_round = _round(round_code)
    if not _rounds_for(request.user).filter(pk=survey_round.pk).exists():
        raise Http404
    decision = get_object_or_404(survey_round.decisions, pk=pk)
    if not decision.document:
        raise Http404
    kind = decision.document.name.rsplit(".", 1)[-1]
    types = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
    return FileResponse(
        decision.document.open("rb"),
        content_type=types.get(kind, "application/octet-stream"),
        filename=f"quyet-dinh-{survey_round.code}.{kind}",
    )


@login_required
@require_POST
def step_withdraw(request, round_code: str, commune_code: str, kind: str, pk: int):
    """Withdraw a meeting or a posting recorded by mistake (with a reason); the history keeps it."""
    commune_list = _current_list_or_404(request, round_code, commune_code)
    steps = {"meetings": commune_list.hamlet_meetings, "postings": commune_list.postings}
    if kind not in steps:
        raise Http404
    step = get_object_or_404(steps[kind].select_related("hamlet") if kind == "meetings" else steps[kind], pk=pk)
    try:
        procedure_step_withdraw(
            actor=request.user, commune_list=commune_list, step=step, reason=request.POST.get("reason", "")[:500]
        )
    except ObjectDoesNotExist:
        raise Http404
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("The step was withdrawn; record it again with the right details."))
    return redirect(_detail_url(commune_list.round, commune_list.commune))


def _record_step(request, form, service, commune_list, success: str):
    """Validate a procedure-step form, record it through `service`, and come back to the list page."""
    back = _detail_url(commune_list.round, commune_list.commune)
    if not form.is_valid():
        form_error_messages(request, form)
        return redirect(back)
    try:
        service(actor=request.user, commune_list=commune_list, **form.cleaned_data)
    except ObjectDoesNotExist:
        raise Http404
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, success)
    return redirect(back)
