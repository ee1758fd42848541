"""Long household list exports run as background jobs (issue 15 item 3): the request returns at once, the worker
writes a private file, and only the job's owner downloads it from "My jobs"."""

from __future__ import annotations

import io
import stat

from openpyxl import load_workbook

from core.models import AuditEvent, Job
from surveys.reports.export_jobs import export_file
from tests.factories import assess, make_household


def test_a_long_export_becomes_a_job_whose_file_only_its_owner_downloads(
    client, settings, round_2024, officer_a, commune_a, department, officer_b
):
    for income in (1_000_000, 1_800_000, 5_000_000):
        assess(officer_a, make_household(officer_a, commune_a), round_2024, income)
    settings.POVREG_EXPORT_INLINE_ROWS = 2
    client.force_login(department)
    answer = client.get("/reports/households.xlsx", {"round": round_2024.code})
    assert answer.status_code == 302 and answer["Location"].startswith("/jobs/")
    job = Job.objects.get(owner=department, kind="export")
    assert job.status == "done" and job.result["rows"] == 3, (job.status, job.error)
    path = export_file(job)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    page = client.get("/jobs/").content.decode()
    assert f'href="/jobs/{job.pk}/file/"' in page
    download = client.get(f"/jobs/{job.pk}/file/")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    codes = [r[0] for r in sheet.iter_rows(values_only=True) if r and str(r[0] or "").startswith(commune_a.code)]
    assert len(codes) == 3
    assert AuditEvent.objects.filter(action="export.household_list", actor=department).count() == 1
    # Nobody else gets the file, not even staff of the same units.
    client.force_login(officer_b)
    assert client.get(f"/jobs/{job.pk}/file/").status_code == 404
    client.force_login(officer_a)
    assert client.get(f"/jobs/{job.pk}/file/").status_code == 404


def test_a_short_export_still_downloads_at_once(client, round_2024, officer_a, commune_a):
    assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_000_000)
    client.force_login(officer_a)
    answer = client.get("/reports/households.csv", {"round": round_2024.code})
    assert answer.status_code == 200 and not Job.objects.exists()
    assert commune_a.code in b"".join(answer.streaming_content).decode("utf-8-sig")


def test_reclassifying_a_round_runs_as_a_job_from_the_admin(client, round_2024, officer_a, commune_a, department):
    from django.contrib.auth import get_user_model

    from surveys.models import Assessment, Rule

    assessment = assess(
        officer_a, make_household(officer_a, commune_a), round_2024, 1_900_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"]
    )
    assert assessment.category == "poor"
    # Staff correct the urban poor line of the set (before any list decided under it was approved).
    Rule.objects.filter(criteria_set=round_2024.criteria_set, area_type="urban", income_upto=2_000_000).update(
        income_upto=1_800_000
    )
    admin = get_user_model().objects.create_superuser("root", password="pw-root")
    client.force_login(admin)
    answer = client.post("/admin/surveys/surveyround/", {"action": "reclassify", "_selected_action": [round_2024.pk]})
    assert answer.status_code == 302
    job = Job.objects.get(kind="reclassify")
    assert job.status == "done" and job.result == {"round": round_2024.code, "changed": 1}, (job.status, job.error)
    assert Assessment.objects.get(pk=assessment.pk).category != "poor"
    assert "1 " in client.get("/jobs/").content.decode()
