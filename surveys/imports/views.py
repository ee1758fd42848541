"""The survey import in the browser: upload → check (a job) → preview → confirm (a job) → result, with the
annotated error copy and the blank template. The work is `surveys.imports.importer`'s; the jobs are
`surveys.imports.jobs`'."""

from __future__ import annotations

import os
import secrets
import tempfile
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.jobs import job_start
from core.models import Job
from core.policy import Action, can
from surveys import classification as cl
from surveys.imports.importer import Issue, import_template, write_error_copy
from surveys.imports.jobs import PREVIEW_LIST_LIMIT, cleanup_old_imports, import_files, read_state
from surveys.models import SurveyRound

MAX_UPLOAD_BYTES = 60 * 1024 * 1024
PREVIEW_ISSUE_LIMIT = 2000


def _language() -> str:
    return "vi" if (get_language() or "vi").startswith("vi") else "en"


def import_access(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not can(request.user, Action.IMPORT):
            raise PermissionDenied(_("Your account cannot import survey data."))
        return view(request, *args, **kwargs)

    return wrapper


def _session_import(request, token: str) -> dict:
    """The upload behind `token`: from this session, else from the user's own job for it (another device)."""
    entry = request.session.get("imports", {}).get(token)
    if entry is None:
        job = Job.objects.filter(owner=request.user, kind="import", params__token=token).order_by("-id").first()
        if job is None:
            raise Http404("import")
        entry = {"round": job.params.get("round", ""), "filename": job.params.get("filename", ""), "job": job.pk}
    return entry


def _import_job(request, entry: dict) -> Job | None:
    return Job.objects.filter(pk=entry.get("job"), owner=request.user).first() if entry.get("job") else None


def _open_rounds():
    return SurveyRound.objects.filter(is_open=True).select_related("criteria_set", "province").order_by("-year", "code")


def _start_import_job(request, token: str, entry: dict, *, apply: bool) -> Job:
    label = (_("Import %(file)s into %(round)s") if apply else _("Check %(file)s for %(round)s")) % {
        "file": entry["filename"],
        "round": entry["round"],
    }
    job = job_start(
        owner=request.user,
        kind="import",
        label=label,
        params={"token": token, "round": entry["round"], "filename": entry["filename"], "apply": apply},
    )
    imports = request.session.get("imports", {})
    imports[token] = {**entry, "job": job.pk}
    request.session["imports"] = imports
    return job


@import_access
def import_upload(request):
    """Upload form; on POST, store the file privately under a random token and queue its check (nothing is written)."""
    rounds = list(_open_rounds())
    if request.method == "POST":
        token = request.POST.get("token", "")
        pending = request.session.get("import_pending", [])
        upload = request.FILES.get("file")
        survey_round = next((r for r in rounds if r.code == request.POST.get("round")), None)
        error = None
        if token not in pending:
            error = _("The form expired; please choose the file again.")
        elif survey_round is None:
            error = _("Choose an open survey round.")
        elif upload is None:
            error = _("Choose a workbook (.xlsx) to upload.")
        elif upload.size > MAX_UPLOAD_BYTES:
            error = _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        if error:
            messages.error(request, error)
            return redirect("reports:import")
        files = import_files(token)
        cleanup_old_imports()
        with os.fdopen(os.open(files["xlsx"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        files["state"].unlink(missing_ok=True)
        request.session["import_pending"] = [t for t in pending if t != token]
        _start_import_job(request, token, {"round": survey_round.code, "filename": upload.name[:200]}, apply=False)
        return redirect("reports:import-preview", token=token)
    token = secrets.token_urlsafe(18)
    request.session["import_pending"] = [*request.session.get("import_pending", [])[-9:], token]
    return render(
        request, "reports/import_upload.html", {"rounds": rounds, "token": token, "template_round": rounds[0] if rounds else None}
    )


@import_access
@require_GET
def import_preview(request, token: str):
    """The check's result (or the import's, once confirmed); while its job runs, a progress bar that refreshes."""
    entry = _session_import(request, token)
    job = _import_job(request, entry)
    state = read_state(token)
    if job is not None and not job.is_finished:
        return render(request, "reports/import_running.html", {"token": token, "job": job, "entry": entry})
    if state is None:
        if job is not None and job.error:
            state = {"round": entry["round"], "filename": entry["filename"], "file_problem": job.error}
        else:
            raise Http404("import")
    issues = state.get("issues", [])
    warnings = state.get("warnings", [])
    return render(
        request,
        "reports/import_preview.html",
        {
            "token": token,
            "state": state,
            "issues": issues[:PREVIEW_ISSUE_LIMIT],
            "issues_total": len(issues),
            "issues_truncated": len(issues) > PREVIEW_ISSUE_LIMIT,
            "limit": PREVIEW_LIST_LIMIT,
            "warnings": warnings[:PREVIEW_ISSUE_LIMIT],
            "warnings_total": len(warnings),
            "warnings_truncated": len(warnings) > PREVIEW_ISSUE_LIMIT,
            "categories": [
                (cl.CATEGORY_LABELS[_language()][cl.Category(c)], n) for c, n in sorted(state.get("categories", {}).items())
            ],
            "file_exists": import_files(token)["xlsx"].exists(),
            "job": job,
        },
    )


@import_access
@require_POST
def import_apply(request, token: str):
    entry = _session_import(request, token)
    job = _import_job(request, entry)
    if job is not None and not job.is_finished:
        return redirect("reports:import-preview", token=token)
    if not import_files(token)["xlsx"].exists():
        messages.error(request, _("The uploaded file is no longer available; upload it again."))
        return redirect("reports:import")
    if not _open_rounds().filter(code=entry["round"]).exists():
        messages.error(request, _("The round is closed for entry."))
        return redirect("reports:import")
    import_files(token)["state"].unlink(missing_ok=True)
    _start_import_job(request, token, entry, apply=True)
    return redirect("reports:import-preview", token=token)


@import_access
@require_POST
def import_cancel(request, token: str):
    """Drop an upload that will not be imported: its stored file and state go at once."""
    entry = _session_import(request, token)
    job = _import_job(request, entry)
    if job is None or job.is_finished:
        for path in import_files(token).values():
            path.unlink(missing_ok=True)
        imports = request.session.get("imports", {})
        imports.pop(token, None)
        request.session["imports"] = imports
        messages.info(request, _("The upload was cancelled and its file removed."))
    return redirect("reports:import")


@import_access
@require_GET
def import_progress(request, token: str):
    entry = request.session.get("imports", {}).get(token)
    if entry is None:
        if token in request.session.get("import_pending", []):
            return JsonResponse({"phase": "upload", "percent": 0, "finished": False})
        raise Http404("import")
    job = _import_job(request, entry)
    if job is None:
        return JsonResponse({"phase": "done", "percent": 100, "finished": True})
    return JsonResponse({"phase": job.phase, "percent": job.percent, "status": job.status, "finished": job.is_finished})


@import_access
@require_GET
def import_errors(request, token: str):
    _session_import(request, token)
    state = read_state(token)
    files = import_files(token)
    if state is None or not files["xlsx"].exists():
        raise Http404("file")
    issues = [Issue(message=m, sheet=s or "", row=r, column=c or "") for s, r, c, m in state.get("issues", [])]
    issues += [
        Issue(message=m, sheet=s or "", row=r, column=c or "", severity="warning") for s, r, c, m in state.get("warnings", [])
    ]
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    write_error_copy(files["xlsx"], issues, handle)
    handle.seek(0)
    stem = Path(state.get("filename") or "survey").stem
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{stem}-errors.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_GET
def import_template_download(request):
    survey_round = (
        SurveyRound.objects.select_related("criteria_set", "province").filter(code=request.GET.get("round", "")).first()
    )
    wb = import_template(survey_round=survey_round)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(handle)
    handle.seek(0)
    name = f"povreg-import-{survey_round.code}.xlsx" if survey_round else "povreg-import.xlsx"
    return FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
