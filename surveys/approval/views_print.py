"""The approval's printable lists and their xlsx (public posting, recognition list) and the household certificate.
Each is a copy of personal data leaving the system: audited as an export and noted in the access log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.access_log import note_access
from core.audit import audit_export
from core.models import AccessChannel
from core.policy import Action, can
from surveys import excel
from surveys.approval.selectors import approved_revision, current_list, escaped_rows, posting_rows, round_decision
from surveys.approval.views import _commune, _round
from surveys.models import Category, CommuneList, ListStatus


@login_required
def certificate(request, round_code: str, commune_code: str, household_code: str):
    """The household's certificate (giấy chứng nhận hộ nghèo / cận nghèo) from the approved list in force, with
    the commune chairman's recognition decision."""
    survey_round = _round(round_code)
    commune = _commune(request.user, survey_round, commune_code)  # (a code can name a legacy and a 2025 commune)
    if not can(request.user, Action.VIEW, commune):
        raise Http404
    approved = approved_revision(round=survey_round, commune=commune)
    if approved is None:
        raise Http404
    entry = (
        approved.entries.select_related("household", "hamlet")
        .filter(household__code=household_code, category__in=["poor", "near_poor"])
        .first()
    )
    if entry is None:
        raise Http404
    note_access(request, [entry.household_id], AccessChannel.EXPORT)
    head = entry.household.members.filter(relation="head").first()
    return render(
        request,
        "approval/certificate.html",
        {
            "survey_round": survey_round,
            "commune": commune,
            "commune_list": approved,
            "entry": entry,
            "head": head,
            "members": entry.household.members.order_by("id"),
            "decision": round_decision(survey_round),
            "today": timezone.localdate(),
        },
    )


def _posting_context(request, round_code: str, commune_code: str) -> dict:
    survey_round = _round(round_code)
    commune = _commune(request.user, survey_round, commune_code)
    hamlet = None
    if request.GET.get("hamlet", "").isdigit():
        hamlet = get_object_or_404(commune.hamlets, pk=int(request.GET["hamlet"]))
    commune_list = current_list(round=survey_round, commune=commune)
    # The posting shows the draft being decided; once approved, the list's frozen entries.
    frozen = commune_list if commune_list is not None and commune_list.status == ListStatus.APPROVED else None
    rows = list(posting_rows(round=survey_round, commune=commune, hamlet=hamlet, frozen=frozen))
    return {
        "survey_round": survey_round,
        "commune": commune,
        "hamlet": hamlet,
        "rows": rows,
        "commune_list": commune_list,
        "today": timezone.localdate(),
    }


def _export_target(context: dict):
    return context["commune_list"] or context["commune"]


def _row_values(assessment) -> list:
    return [
        assessment.household.code,
        assessment.household.head_name,
        assessment.hamlet.name if assessment.hamlet else "",
        assessment.household.address,
        assessment.get_category_display(),
        assessment.get_group_display(),
        assessment.member_count,
    ]


def _row_header() -> list[str]:
    return [_("Household code"), _("Head of household"), _("Hamlet"), _("Address"), _("Category"), _("Group"), _("Members")]


@login_required
def print_posting(request, round_code: str, commune_code: str):
    """The public-posting list of the commune (or one hamlet), ready to print."""
    context = _posting_context(request, round_code, commune_code)
    # A printable page of names and categories leaves the system on paper: audited like the xlsx.
    audit_export(actor=request.user, what="posting_list", target=_export_target(context), count=len(context["rows"]), fmt="print")
    note_access(request, [r.household_id for r in context["rows"]], AccessChannel.EXPORT)
    return render(request, "approval/print_posting.html", context)


@login_required
def posting_xlsx(request, round_code: str, commune_code: str):
    context = _posting_context(request, round_code, commune_code)
    rows = [_row_values(a) for a in context["rows"]]
    audit_export(actor=request.user, what="posting_list", target=_export_target(context), count=len(rows))
    note_access(request, [r.household_id for r in context["rows"]], AccessChannel.EXPORT)
    name = f"posting-{context['survey_round'].code}-{context['commune'].code}"
    if context["hamlet"]:
        name += "-" + slugify(context["hamlet"].name)
    return excel.xlsx_response([excel.plain_table(_("Public posting"), _row_header(), rows)], f"{name}.xlsx")


def _recognition_context(request, round_code: str, commune_code: str) -> dict:
    survey_round = _round(round_code)
    commune = _commune(request.user, survey_round, commune_code)
    # The recognition list is the approved one (`?revision=N` for an earlier approved revision); while no
    # revision is approved yet, it previews the draft from the live assessments.
    revision = request.GET.get("revision", "")
    if revision and not revision.isdigit():
        raise ValidationError({"revision": _("A revision is a whole number.")})
    frozen = approved_revision(round=survey_round, commune=commune, revision=int(revision) if revision else None)
    if revision and frozen is None:
        raise Http404
    rows = list(posting_rows(round=survey_round, commune=commune, frozen=frozen))
    return {
        "survey_round": survey_round,
        "commune": commune,
        "poor": [a for a in rows if a.category == "poor"],
        "near_poor": [a for a in rows if a.category == "near_poor"],
        "escaped": list(escaped_rows(round=survey_round, commune=commune, frozen=frozen)),
        "commune_list": frozen or current_list(round=survey_round, commune=commune),
        "today": timezone.localdate(),
        "approved_revisions": list(
            CommuneList.objects.filter(round=survey_round, commune=commune, status=ListStatus.APPROVED)
            .order_by("revision")
            .values_list("revision", flat=True)
        ),
    }


@login_required
def print_recognition(request, round_code: str, commune_code: str):
    """The commune chairman's recognition list: poor, near-poor and escaped households."""
    context = _recognition_context(request, round_code, commune_code)
    count = len(context["poor"]) + len(context["near_poor"]) + len(context["escaped"])
    audit_export(
        actor=request.user,
        what="recognition_list",
        target=context["commune_list"] or context["commune"],
        count=count,
        fmt="print",
    )
    note_access(request, [r.household_id for k in ("poor", "near_poor", "escaped") for r in context[k]], AccessChannel.EXPORT)
    return render(request, "approval/print_recognition.html", context)


@login_required
def recognition_xlsx(request, round_code: str, commune_code: str):
    context = _recognition_context(request, round_code, commune_code)
    header = _row_header()
    escaped_header = [*header, _("Category in the previous round")]
    labels = dict(Category.choices)
    sheets = [
        (_("Poor"), header, [_row_values(a) for a in context["poor"]]),
        (_("Near-poor"), header, [_row_values(a) for a in context["near_poor"]]),
        (
            _("Escaped poverty"),
            escaped_header,
            [[*_row_values(a), str(labels.get(a.previous_category, a.previous_category))] for a in context["escaped"]],
        ),
    ]
    count = sum(len(rows) for _title, _header, rows in sheets)
    audit_export(actor=request.user, what="recognition_list", target=_export_target(context), count=count)
    note_access(request, [r.household_id for k in ("poor", "near_poor", "escaped") for r in context[k]], AccessChannel.EXPORT)
    return excel.xlsx_response(
        [excel.plain_table(*sheet) for sheet in sheets],
        f"recognition-{context['survey_round'].code}-{context['commune'].code}.xlsx",
    )
