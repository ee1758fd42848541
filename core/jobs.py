"""Background jobs: long work (imports today) runs in the task worker, never in a web request.

`job_start` records a `Job` and enqueues `run_job` in the same transaction (the database backend's queue row
commits with it, or neither does). The worker (`manage.py db_worker`; `make run` starts one) calls the handler
registered for the job's kind with the job and a progress callback. A handler that raises marks the job failed
with the reason; the work it wraps is atomic, so a failed job has written nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from core.models import Job, JobStatus

log = logging.getLogger(__name__)

# kind → dotted path of `handler(job, progress) -> dict`; the dict is stored as the job's result.
HANDLERS = {
    "import": "surveys.imports.jobs.import_job",
    "export": "surveys.reports.export_jobs.export_job",
    "reclassify": "surveys.round_jobs.reclassify_job",
}


class JobFailed(Exception):
    """A handler's way of failing with a message the owner should read (e.g. a file problem)."""


Progress = Callable[[str, int], None]


def job_start(*, owner, kind: str, label: str, params: dict) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    with transaction.atomic():
        # The job speaks its owner's language: messages it stores are read later, on the owner's page.
        params = {**params, "language": translation.get_language() or settings.LANGUAGE_CODE}
        job = Job.objects.create(owner=owner, kind=kind, label=label[:300], params=params)
        result = run_job.enqueue(job.id)
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


def job_progress(job: Job) -> Progress:
    """A callback that stores how far the job got. Progress written outside a transaction (an import's reading of the
    workbook, most of its time) shows at once; progress written inside the import's transaction shows when it ends."""

    def progress(phase: str, percent: int) -> None:
        Job.objects.filter(pk=job.pk).update(phase=phase[:20], percent=max(0, min(int(percent), 100)))

    return progress


@task()
def run_job(job_id: int) -> str:
    job = Job.objects.select_related("owner").filter(pk=job_id, status=JobStatus.QUEUED).first()
    if job is None:
        return "skipped"
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    try:
        handler = import_string(HANDLERS[job.kind])
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            result = handler(job, job_progress(job))
    except JobFailed as exc:
        _finish(job, JobStatus.FAILED, error=str(exc))
        return "failed"
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            message = _("The job stopped on an unexpected error (job %(id)s); nothing was written.") % {"id": job.pk}
        _finish(job, JobStatus.FAILED, error=message)
        return "failed"
    _finish(job, JobStatus.DONE, result=result or {})
    return "done"


def _finish(job: Job, status: str, *, result: dict | None = None, error: str = "") -> None:
    done = {"percent": 100, "phase": "done"} if status == JobStatus.DONE else {"phase": "failed"}
    Job.objects.filter(pk=job.pk).update(status=status, result=result or {}, error=error, finished_at=timezone.now(), **done)
