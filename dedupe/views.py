"""The duplicate review pages: the queue, one pair side by side with its decision, "Scan now", and the check of a
household being registered. Thin: reads are `dedupe.selectors`, writes `dedupe.services`."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.access_log import note_access
from core.jobs import job_start
from core.models import Job, JobStatus
from core.policy import Action, can
from dedupe import matching
from dedupe.apps import JOB_KIND
from dedupe.models import CandidateStatus
from dedupe.selectors import candidate_get, candidate_list, candidate_members, entry_matches, last_scans, scan_provinces
from dedupe.services import can_merge, duplicate_decide
from households.models import AdminUnit, Level
from households.templatetags.povreg_ui import ui_lang

PAGE_SIZE = 25
TABS = ("open", "decided")
# Reason codes (dedupe.matching) as reviewers read them.
REASONS = {
    "name_exact": gettext_lazy("same name"),
    "name_without_marks": gettext_lazy("same name, typed without tone marks"),
    "name_marks_missing": gettext_lazy("same name, some tone marks left out"),
    "name_marks_differ": gettext_lazy("same letters, different tone marks"),
    "name_order": gettext_lazy("same words in another order"),
    "name_typo": gettext_lazy("similar name (a typo?)"),
    "middle_name_missing": gettext_lazy("middle name missing on one side"),
    "sex_differs": gettext_lazy("sex differs"),
    "citizen_id_typo": gettext_lazy("citizen IDs one keystroke apart"),
    "citizen_ids_differ": gettext_lazy("citizen IDs differ"),
    "citizen_id_missing": gettext_lazy("citizen ID missing on one side"),
    "same_commune": gettext_lazy("same commune"),
    "neighbouring_commune": gettext_lazy("neighbouring commune"),
    "common_name": gettext_lazy("a common name: others of that name and year live nearby"),
    "other_members_match": gettext_lazy("other members match too"),
    "other_members_differ": gettext_lazy("no other member matches"),
    "both_heads": gettext_lazy("both are heads of household"),
}


def review_required(view):
    """Signed in with a role that reviews duplicates somewhere (district officers, department staff)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not can(request.user, Action.REVIEW_DUPLICATES):
            raise PermissionDenied(_("Your account does not review possible duplicates."))
        return view(request, *args, **kwargs)

    return wrapper


def reason_labels(codes) -> list[str]:
    return [str(REASONS.get(code, code)) for code in codes]


@review_required
@require_GET
def queue(request):
    """The pairs to review (or decided), best score first, in the units the user reviews."""
    tab = request.GET.get("status", "open")
    if tab not in TABS:
        tab = "open"
    rows = candidate_list(user=request.user, status=CandidateStatus.OPEN if tab == "open" else "decided")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    pairs = [{"c": c, "reasons": reason_labels(c.reasons)} for c in page.object_list]
    # Household codes and heads' names are personal data: the access log notes each household listed.
    note_access(request, [c.household_a_id for c in page.object_list] + [c.household_b_id for c in page.object_list])
    provinces = scan_provinces(request.user)
    running = set(
        Job.objects.filter(kind=JOB_KIND, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).values_list(
            "params__province", flat=True
        )
    )
    scans = last_scans(provinces)
    return render(
        request,
        "dedupe/queue.html",
        {
            "tab": tab,
            "page": page,
            "pairs": pairs,
            "open_count": page.paginator.count if tab == "open" else candidate_list(user=request.user).count(),
            "provinces": [{"unit": p, "scan": scans.get(p.pk), "running": p.pk in running} for p in provinces],
            "queue_min": matching.QUEUE_MIN,
        },
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (CandidateStatus.SAME, gettext_lazy("Same household: merge")),
            (CandidateStatus.DIFFERENT, gettext_lazy("Different people: do not show again")),
        ],
    )
    keep = forms.ChoiceField(label=gettext_lazy("Household to keep"), required=False, widget=forms.RadioSelect, choices=[])
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, candidate, **kwargs):
        super().__init__(*args, **kwargs)
        a, b = candidate.household_a, candidate.household_b
        self.fields["keep"].choices = [
            (str(a.pk), _("Keep %(code)s, merge %(other)s into it") % {"code": a.code, "other": b.code}),
            (str(b.pk), _("Keep %(code)s, merge %(other)s into it") % {"code": b.code, "other": a.code}),
        ]
        self.candidate = candidate

    def clean(self):
        data = super().clean()
        if data.get("decision") == CandidateStatus.SAME and not data.get("keep"):
            self.add_error("keep", _("Choose the household to keep (the other is merged into it)."))
        return data

    def kept(self):
        pk = self.cleaned_data.get("keep")
        c = self.candidate
        return {str(c.household_a_id): c.household_a, str(c.household_b_id): c.household_b}.get(pk or "")


def _side(household, members, matched_ids: set[int], matched_names: set[tuple[str, int]]) -> dict:
    return {
        "household": household,
        "members": [{"m": m, "matched": m.pk in matched_ids or (m.full_name, m.birth_year) in matched_names} for m in members],
    }


def _pair_page(request, candidate, form=None, status: int = 200):
    members_a, members_b = candidate_members(candidate)
    matched = candidate.matches or []
    sides = [
        _side(candidate.household_a, members_a, {m["a"] for m in matched}, {(m["a_name"], m["birth_year"]) for m in matched}),
        _side(candidate.household_b, members_b, {m["b"] for m in matched}, {(m["b_name"], m["birth_year"]) for m in matched}),
    ]
    note_access(request, [candidate.household_a_id, candidate.household_b_id])
    a, b = candidate.household_a, candidate.household_b
    decidable = candidate.status == CandidateStatus.OPEN or candidate.merge_pending
    may_merge = {h.pk: can_merge(request.user, candidate, h) for h in (a, b)}
    if form is None and decidable:
        initial = {"keep": str(candidate.kept_id)} if candidate.kept_id else {"keep": str(min(a.pk, b.pk))}
        if candidate.merge_pending:
            initial["decision"] = CandidateStatus.SAME
        form = DecisionForm(candidate=candidate, initial=initial)
    return render(
        request,
        "dedupe/pair.html",
        {
            "c": candidate,
            "sides": sides,
            "reasons": reason_labels(candidate.reasons),
            "matches": [{**m, "reason_labels": reason_labels(m.get("reasons", []))} for m in matched],
            "form": form if decidable else None,
            "may_merge_any": any(may_merge.values()),
            "may_merge": may_merge,
            "queue_min": matching.QUEUE_MIN,
            "lang": ui_lang(),
        },
        status=status,
    )


@review_required
@require_GET
def pair(request, pk: int):
    """One pair side by side: both households, their members (the matching ones marked), the score and why."""
    return _pair_page(request, candidate_get(user=request.user, pk=pk))


@review_required
@require_POST
def decide(request, pk: int):
    candidate = candidate_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST, candidate=candidate)
    if not form.is_valid():
        return _pair_page(request, candidate, form, status=400)
    try:
        decided = duplicate_decide(
            actor=request.user,
            candidate=candidate,
            decision=form.cleaned_data["decision"],
            keep=form.kept(),
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _pair_page(request, candidate_get(user=request.user, pk=pk), form, status=400)
    if decided.status == CandidateStatus.DIFFERENT:
        messages.success(request, _("Marked as different people: this pair will not be proposed again."))
    elif decided.merged:
        merged = decided.household_b if decided.kept_id == decided.household_a_id else decided.household_a
        messages.success(
            request, _("Household %(merged)s is merged into %(kept)s.") % {"merged": merged.code, "kept": decided.kept.code}
        )
    else:
        messages.warning(
            request,
            _(
                "Recorded as the same household. Someone who may change the households (department "
                "staff) completes the merge from the decided pairs."
            ),
        )
    following = candidate_list(user=request.user).first()
    return redirect(reverse("dedupe:duplicate", args=[following.pk]) if following else reverse("dedupe:duplicates"))


@review_required
@require_POST
def scan(request):
    """Start a province's scan as a background job (department staff: review rights over the whole province)."""
    provinces = {str(p.pk): p for p in scan_provinces(request.user)}
    if not provinces:
        raise PermissionDenied(_("Only department staff can scan a whole province."))
    chosen = request.POST.get("province") or (next(iter(provinces)) if len(provinces) == 1 else "")
    province = provinces.get(chosen)
    if province is None:
        messages.error(request, _("Choose the province to scan."))
        return redirect("dedupe:duplicates")
    busy = Job.objects.filter(kind=JOB_KIND, params__province=province.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
    if busy.exists():
        messages.info(request, _("A scan of %(province)s is already under way.") % {"province": province.name})
        return redirect("dedupe:duplicates")
    job = job_start(
        owner=request.user,
        kind=JOB_KIND,
        label=_("Duplicate scan: %(province)s") % {"province": province.name},
        params={"province": province.pk},
    )
    job.refresh_from_db()
    if job.status == JobStatus.DONE:
        messages.success(
            request,
            _("Scan finished: %(n)s pairs to review (%(new)s new).")
            % {"n": job.result.get("candidates", 0), "new": job.result.get("new", 0)},
        )
    elif job.status == JobStatus.FAILED:
        messages.error(request, job.error)
    else:
        messages.info(
            request, _("The scan runs in the background; its progress is under My jobs, and the queue fills when it ends.")
        )
    return redirect("dedupe:duplicates")


# --- the household being registered ----------------------------------------------------------------------------


def _typed_people(data, commune_id: int) -> list[matching.Person]:
    """The member rows of the household form as typed (rows removed or without a name or a year are skipped)."""
    try:
        total = min(int(data.get("members-TOTAL_FORMS", 0)), 100)
    except (TypeError, ValueError):
        total = 0
    people = []
    for i in range(total):
        prefix = f"members-{i}-"
        name = (data.get(prefix + "full_name") or "").strip()[:120]
        year = (data.get(prefix + "birth_year") or "").strip()
        if not name or not year.isdigit() or data.get(prefix + "DELETE") in ("on", "1", "true"):
            continue
        citizen_id = (data.get(prefix + "citizen_id") or "").strip()
        people.append(
            matching.Person(
                None,
                None,
                commune_id,
                name,
                int(year),
                (data.get(prefix + "sex") or "")[:1],
                citizen_id if citizen_id.isdigit() else "",
                data.get(prefix + "relation") == "head",
            )
        )
    return people


@login_required
@require_POST
def check(request):
    """The household form's live warning (htmx): people already registered in this or a neighbouring commune whom
    the members typed may be. Warns only; saving is never refused. A household the user may not read is named
    by its commune alone."""
    if not can(request.user, Action.EDIT):
        raise PermissionDenied(_("You cannot register households."))
    commune_pk = request.POST.get("commune") or ""
    if not commune_pk.isdigit():
        return render(request, "dedupe/_check.html", {"found": []})
    commune = get_object_or_404(AdminUnit, pk=int(commune_pk), level=Level.COMMUNE)
    if not can(request.user, Action.EDIT, commune):
        raise PermissionDenied(_("You cannot register households in %(unit)s.") % {"unit": commune.name})
    found = entry_matches(user=request.user, commune=commune, people=_typed_people(request.POST, commune.pk))
    note_access(request, [f.household.pk for f in found if f.household is not None])
    return render(request, "dedupe/_check.html", {"found": found})
