"""Background jobs on the real queue: django-tasks' database backend and its `db_worker`, as `make run` and
production run them (the rest of the suite runs jobs inside the request, POVREG_TASKS_IMMEDIATE=1)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from core.models import AuditEvent, Job, JobStatus
from households.models import Household
from surveys.models import Assessment
from tests.factories import write

# The worker opens and closes its own connections: transactional tests, with the shipped criteria sets put
# back after each flush as the browser tests do.
pytestmark = pytest.mark.django_db(transaction=True)


DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queue(settings, tmp_path, client):
    settings.TASKS = DB_QUEUE
    settings.POVREG_IMPORT_DIR = str(tmp_path / "imports")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the pages and the jobs started from them speak English


def run_worker() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def _upload(client, round_code, path) -> str:
    token = client.get("/reports/import/").context["token"]
    with open(path, "rb") as fh:
        response = client.post("/reports/import/", {"token": token, "round": round_code, "file": fh})
    assert response.status_code == 302 and token in response["Location"]
    return token


def test_an_import_is_checked_and_written_by_the_worker_not_the_request(queue, client, tmp_path, round_2024, officer_a):
    client.force_login(officer_a)
    token = _upload(client, round_2024.code, write(tmp_path))

    # The upload answered at once: the check waits in the queue, and the page says so.
    job = Job.objects.get(owner=officer_a)
    assert job.status == JobStatus.QUEUED and DBTaskResult.objects.filter(id=job.task_id).exists()
    waiting = client.get(f"/reports/import/{token}/")
    assert waiting.status_code == 200 and "data-job-progress" in waiting.content.decode()
    assert client.get(f"/reports/import/{token}/progress/").json() == {
        "phase": "",
        "percent": 0,
        "status": "queued",
        "finished": False,
    }

    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.percent == 100 and job.result["households_created"] == 3
    preview = client.get(f"/reports/import/{token}/").content.decode()
    assert 'data-stat="households_created">3<' in preview and not Household.objects.exists()

    # Confirming queues the write; nothing is written until the worker runs it.
    assert client.post(f"/reports/import/{token}/apply/").status_code == 302
    assert not Household.objects.exists()
    run_worker()
    apply_job = Job.objects.filter(owner=officer_a).first()
    assert apply_job.status == JobStatus.DONE and apply_job.result["applied"] is True
    assert Household.objects.count() == 3 and Assessment.objects.filter(round=round_2024).count() == 3
    assert AuditEvent.objects.filter(action="survey.imported", actor=officer_a).count() == 1
    assert not (tmp_path / "imports" / f"{token}.xlsx").exists()  # removed after apply

    # The owner's job page lists both; the result reads in words.
    page = client.get("/jobs/").content.decode()
    assert page.count("data-job=") == 2 and "3 households created" in page


def test_a_job_that_fails_says_why_and_writes_nothing(queue, client, tmp_path, round_2024, officer_a, officer_b):
    client.force_login(officer_a)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK-not-really")
    token = _upload(client, round_2024.code, junk)
    run_worker()
    job = Job.objects.get(owner=officer_a)
    assert job.params["language"] == "en"  # the worker writes the reason in the owner's language
    assert job.status == JobStatus.FAILED and "not an Excel workbook" in job.error
    assert "data-file-problem" in client.get(f"/reports/import/{token}/").content.decode()
    assert not Household.objects.exists()

    # A job and its result are its owner's only.
    client.force_login(officer_b)
    assert "data-job=" not in client.get("/jobs/").content.decode()
    assert client.get(f"/reports/import/{token}/").status_code == 404
    assert client.get(f"/reports/import/{token}/progress/").status_code == 404


def test_a_failing_write_leaves_the_registry_as_it_was(queue, client, tmp_path, round_2024, officer_a):
    """A round closed between check and confirm: the write job fails with the reason and writes nothing."""
    client.force_login(officer_a)
    token = _upload(client, round_2024.code, write(tmp_path))
    run_worker()
    client.post(f"/reports/import/{token}/apply/")
    round_2024.is_open = False
    round_2024.save(update_fields=["is_open"])
    run_worker()
    job = Job.objects.filter(owner=officer_a).first()
    assert job.status == JobStatus.FAILED and "closed" in job.error
    assert not Household.objects.exists()


def test_cancel_removes_the_stored_file(queue, client, tmp_path, round_2024, officer_a):
    client.force_login(officer_a)
    token = _upload(client, round_2024.code, write(tmp_path))
    run_worker()
    assert (tmp_path / "imports" / f"{token}.xlsx").exists()
    assert client.post(f"/reports/import/{token}/cancel/").status_code == 302
    assert not any((tmp_path / "imports").glob(f"{token}*"))
