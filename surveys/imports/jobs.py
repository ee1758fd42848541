"""Survey workbook imports as background jobs: the upload is stored privately, checked by the worker (nothing
written), shown as a preview, and written by a second job once confirmed.

Files live under the app's own data folder (mode 0700 directory, 0600 files) and are removed after apply, after
cancel, and by age. The state file of a token is what the preview page shows."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from core.jobs import JobFailed
from surveys.imports.importer import FileProblem, survey_import
from surveys.models import SurveyRound

PREVIEW_LIST_LIMIT = 300
MAX_AGE_SECONDS = 24 * 3600


def import_dir() -> Path:
    """Uploaded workbooks carry citizen IDs: kept under the app's own data folder, readable by its user only."""
    path = Path(getattr(settings, "POVREG_IMPORT_DIR", "") or Path(settings.POVREG_DATA_DIR) / "imports")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def cleanup_old_imports(directory: Path | None = None, max_age: float = MAX_AGE_SECONDS) -> None:
    directory = directory or import_dir()
    now = time.time()
    for entry in directory.iterdir():
        try:
            if now - entry.stat().st_mtime > max_age:
                entry.unlink()
        except OSError:
            pass


def import_files(token: str) -> dict[str, Path]:
    base = import_dir()
    return {"xlsx": base / f"{token}.xlsx", "state": base / f"{token}.json"}


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)
    os.replace(tmp, path)


def read_state(token: str) -> dict | None:
    path = import_files(token)["state"]
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def import_job(job, progress) -> dict:
    """Check (params.apply false) or write (true) the stored workbook of `params.token` for `job.owner`."""
    token, apply = job.params["token"], bool(job.params.get("apply"))
    files = import_files(token)
    survey_round = SurveyRound.objects.select_related("criteria_set", "province").filter(code=job.params["round"]).first()
    state: dict = {"round": job.params["round"], "filename": job.params.get("filename", ""), "applied": False, "file_problem": ""}
    if not files["xlsx"].exists():
        raise JobFailed(_("The uploaded file is no longer available; upload it again."))

    def on_progress(phase: str, done: int, total: int) -> None:
        # Reading the workbook is most of the time; checking and writing the rest.
        fraction = done / total if total else 1
        progress(phase, int(fraction * 80) if phase == "read" else 80 + int(fraction * 20))

    try:
        if survey_round is None:
            raise FileProblem(_("Choose an open survey round."))
        result = survey_import(
            actor=job.owner, round=survey_round, path=files["xlsx"], filename=state["filename"], apply=apply, progress=on_progress
        )
    except FileProblem as exc:
        state["file_problem"] = str(exc)
        write_json(files["state"], state)
        raise JobFailed(str(exc)) from exc
    state.update(
        applied=result.applied,
        changed=result.changed,
        summary=result.summary(),
        categories=result.categories,
        issues=[[i.sheet, i.row, i.column, i.message] for i in result.issues],
        warnings=[[i.sheet, i.row, i.column, i.message] for i in result.warnings],
        households_created=result.households_created[:PREVIEW_LIST_LIMIT],
        households_updated=result.households_updated[:PREVIEW_LIST_LIMIT],
        hamlets_created=result.hamlets_created[:PREVIEW_LIST_LIMIT],
        denominators_set=result.denominators_set[:PREVIEW_LIST_LIMIT],
        areas_set=result.areas_set,
    )
    write_json(files["state"], state)
    if result.applied:
        files["xlsx"].unlink(missing_ok=True)
    return {
        "token": token,
        "applied": result.applied,
        "changed": result.changed,
        "issues": len(result.issues),
        "warnings": len(result.warnings),
        **result.summary(),
    }
