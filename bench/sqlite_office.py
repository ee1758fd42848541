"""A small office on the default SQLite database (issue 12): for SECONDS, two people download lists (each
download writes its audit row and access log) while a third saves assessments, against gunicorn with DEBUG off.
Counts the answers; any 5xx (SQLite's "database is locked" was one) fails the run.

    .venv/bin/python bench/sqlite_office.py            # 60 s
    .venv/bin/python bench/sqlite_office.py --seconds 20

It builds its own SQLite file in a temporary folder (migrate + demo, about a minute) and removes it after."""

from __future__ import annotations

import argparse
import collections
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PASSWORD = "povreg-demo-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
    )
    assert answer.status_code == 302, (username, answer.status_code)
    return session


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="povreg-office-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'office.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "POVREG_REQUIRE_2FA": "0",
        "POVREG_DATA_DIR": str(folder),
        "THROTTLE_LOGIN": "1000/min",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }  # plain http on 127.0.0.1
    manage = [PY, str(ROOT / "manage.py")]
    print("building the office database (migrate + demo) …", flush=True)
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "load_demo", "--households-per-commune", "4"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "povreg.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/accounts/login/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        officer, department = signed_in(base, "officer"), signed_in(base, "department")
        api = requests.post(f"{base}/api/v1/auth/token/", json={"username": "officer", "password": PASSWORD}).json()["token"]
        listing = requests.get(
            f"{base}/api/v1/households/", params={"page_size": 50}, headers={"Authorization": f"Token {api}"}
        ).json()
        mine = [h["code"] for h in listing.get("results") or []]
        if not mine:
            raise SystemExit(f"the officer has no household: {listing}")
        commune = listing["results"][0]["commune"]
        downloads = [
            f"{base}/lists/HCM-2026/{commune}/posting.xlsx",
            f"{base}/reports/households.xlsx?round=HCM-2026&unit={commune}",
        ]
        counts: dict[str, collections.Counter] = {"download": collections.Counter(), "save": collections.Counter()}
        stop = time.monotonic() + args.seconds

        def downloader(session: requests.Session, url: str) -> None:
            while time.monotonic() < stop:
                counts["download"][session.get(url).status_code] += 1

        def saver() -> None:
            headers = {"Authorization": f"Token {api}"}
            n = 0
            while time.monotonic() < stop:
                code = mine[n % len(mine)]
                n += 1
                url = f"{base}/api/v1/assessments/HCM-2026/{code}/"
                current = requests.get(url, headers=headers)
                if current.status_code == 404:
                    answer = requests.post(
                        f"{base}/api/v1/assessments/",
                        json={"round": "HCM-2026", "household": code, "income_per_capita": 1_000_000 + n, "deprived": ["WATER"]},
                        headers=headers,
                    )
                else:
                    answer = requests.put(
                        url,
                        json={
                            "income_per_capita": 1_000_000 + n,
                            "deprived": current.json()["deprived"],
                            "version": current.json()["version"],
                        },
                        headers=headers,
                    )
                counts["save"][answer.status_code] += 1

        threads = [
            threading.Thread(target=downloader, args=(officer, downloads[0])),
            threading.Thread(target=downloader, args=(department, downloads[1])),
            threading.Thread(target=saver),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"{args.seconds} s, SQLite, 2 downloading + 1 saving: downloads {dict(counts['download'])}, saves {dict(counts['save'])}"
    )
    errors = sum(n for c in counts.values() for status, n in c.items() if status >= 500)
    print("5xx answers:", errors)
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
