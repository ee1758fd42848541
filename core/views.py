from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.models import Job

JOBS_SHOWN = 50


@login_required
@require_GET
def job_list(request):
    """The signed-in user's own background jobs, newest first (nobody else's: a job's result may name households)."""
    return render(request, "core/jobs.html", {"jobs": Job.objects.filter(owner=request.user)[:JOBS_SHOWN]})
