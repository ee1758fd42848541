"""Household list exports as background jobs: a list longer than POVREG_EXPORT_INLINE_ROWS is written by the worker
to a private file (0600, under the app's data folder), which only the job's owner downloads from "My jobs".

The rows are read with the owner's scope when the job runs, exactly as the page's own export reads them, and the
export is audited then (what was written is what was read)."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.http import QueryDict

from core.jobs import JobFailed
from surveys import excel

MAX_AGE_SECONDS = 7 * 24 * 3600


def export_dir() -> Path:
    """Exports carry names and incomes: kept under the app's own data folder, readable by its user only."""
    path = Path(settings.POVREG_DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def cleanup_old_exports(max_age: float = MAX_AGE_SECONDS) -> None:
    now = time.time()
    for entry in export_dir().iterdir():
        try:
            if now - entry.stat().st_mtime > max_age:
                entry.unlink()
        except OSError:
            pass


def export_file(job) -> Path | None:
    """The finished export's file, when it is still there."""
    name = (job.result or {}).get("file", "")
    if not name or "/" in name or name.startswith("."):
        return None
    path = export_dir() / name
    return path if path.is_file() else None


def export_job(job, progress) -> dict:
    """Write the household list the owner asked for (job.params: round, query, fmt, language)."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from surveys.reports.tables import household_export_table

    params = job.params
    query = QueryDict(mutable=True)
    for key, values in params.get("query", {}).items():
        query.setlist(key, values)
    progress("reading", 5)
    try:
        table, filename, rows = household_export_table(
            user=job.owner, query=query, language=params.get("exported_language", "vi"), fmt=params["fmt"]
        )
    except (PermissionDenied, ValidationError) as exc:
        raise JobFailed(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
    cleanup_old_exports()
    stored = f"{job.pk}-{secrets.token_hex(8)}.{params['fmt']}"
    path = export_dir() / stored
    progress("writing", 20)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        if params["fmt"] == "csv":
            for line in excel.csv_lines(table):
                out.write(line.encode("utf-8") if isinstance(line, str) else line)
        else:
            excel.write_workbook([table], out)
    return {"file": stored, "filename": filename, "rows": rows, "fmt": params["fmt"]}
