"""Screenshots of the main pages for every persona, in Vietnamese, at 1366×900 (office) and 800×1280 (tablet),
into docs/screenshots/. `make screenshots` runs it: it builds the demo in a temporary SQLite database, serves it,
and drives Debian's Chromium with Playwright."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "povreg-demo-2026"
SIZES = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 800, "height": 1280}}


def pages(
    officer_commune: str, officer_household: str, approved_commune: str, poor_household: str, household_pk: str = ""
) -> dict[str, list[tuple[str, str]]]:
    return {
        "officer": [
            ("dashboard", "/"),
            ("households", "/households/"),
            ("household", f"/households/{officer_household}/"),
            ("assessment", f"/households/{officer_household}/assessment/?round=HCM-2026"),
            ("household-new", "/households/new/"),
            ("list", f"/lists/HCM-2026/{officer_commune}/"),
            ("list-procedure", f"/lists/HCM-2026/{officer_commune}/#procedure"),
            ("recognition-draft", f"/lists/HCM-2026/{officer_commune}/recognition/"),
            ("import", "/reports/import/"),
            ("jobs", "/jobs/"),
            ("applications", "/lists/applications/"),
        ],
        "department": [
            ("dashboard", "/"),
            ("queue", "/lists/queue/"),
            ("round-overview", "/lists/HCM-2026/"),
            ("rates-provisional", "/reports/rates/?round=HCM-2026&status=approved"),
            ("rates-city-standard", "/reports/rates/?round=HCM-2026&status=all&criteria=HCM-2025"),
            ("rates-2024-today", "/reports/rates/?round=BD-2024&structure=2025&unit=79"),
            ("flows", "/reports/flows/?round=BD-2024"),
            ("simulation", "/reports/simulation/"),
            ("recognition-approved", f"/lists/HCM-2026/{approved_commune}/recognition/"),
            ("certificate", f"/lists/HCM-2026/{approved_commune}/certificate/{poor_household}/"),
            ("history", f"/lists/HCM-2026/{approved_commune}/#history-title"),
        ],
        "api_reader": [("rates", "/reports/rates/")],
        # The admin's household page: status and merged-into change only with a reason, through the service.
        "admin": [("admin", "/admin/"), ("admin-household", f"/admin/households/household/{household_pk}/change/")],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="povreg-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
        "DEBUG": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POVREG_DATA_DIR": str(folder),
        "POVREG_TASKS_IMMEDIATE": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "load_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    found = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            (
                "from households.models import Household, Assignment\n"
                "a = Assignment.objects.get(user__username='officer')\n"
                "h = Household.objects.filter(commune=a.unit).order_by('code').first()\n"
                "from surveys.models import ListEntry\n"
                "e = ListEntry.objects.filter(round__code='HCM-2026', category='poor').select_related('commune', 'household').order_by('id').first()\n"
                "print(a.unit.code, h.code, e.commune.code, e.household.code, h.pk)"
            ),
        ],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    commune, household, approved_commune, poor_household, household_pk = found[-5:]
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    for old in [*OUT.glob("*.png"), *OUT.glob("*.jpg")]:
        old.unlink()
    try:
        time.sleep(3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            for persona, shots in pages(commune, household, approved_commune, poor_household, household_pk).items():
                for size, viewport in SIZES.items():
                    context = browser.new_context(viewport=viewport, locale="vi-VN")
                    page = context.new_page()
                    page.goto(f"{base}/accounts/login/")
                    page.fill("#id_username", persona)
                    page.fill("#id_password", PASSWORD)
                    page.press("#id_password", "Enter")
                    page.wait_for_url(re.compile(r"^(?!.*login).*$"))
                    for name, path in shots:
                        page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                        start = page.locator("form[action$='/start/'] button")
                        if name == "list" and start.count():  # the officer starts the ward's list, as on day one
                            start.first.click()
                            page.wait_for_load_state("networkidle")
                        # JPEG keeps the folder small enough to live in the repository (a few MB for every page).
                        page.screenshot(path=str(OUT / f"{persona}-{name}-{size}.jpg"), type="jpeg", quality=72)
                        print(f"{persona}-{name}-{size}.jpg")
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
