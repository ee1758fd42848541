from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.models import Job, JobStatus

JOBS_SHOWN = 50


@login_required
@require_GET
def job_list(request):
    """The signed-in user's own background jobs, newest first (nobody else's: a job's result may name households)."""
    return render(request, "core/jobs.html", {"jobs": Job.objects.filter(owner=request.user)[:JOBS_SHOWN]})


@login_required
def job_file(request, pk: int):
    """The file a finished export job wrote: for its owner only (anyone else: 404)."""
    from django.http import FileResponse, Http404

    from surveys.reports.export_jobs import export_file

    job = Job.objects.filter(pk=pk, owner=request.user, status=JobStatus.DONE, kind="export").first()
    path = export_file(job) if job is not None else None
    if path is None:
        raise Http404("job file")
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result.get("filename") or path.name)
