"""Approved rates under load (issue 15 item 1): gunicorn with 2 workers, DEBUG off, wrk with 16 connections.

Measured in one run, each against the same floor:
- floor        the cheapest JSON answer of the same stack: GET on the token endpoint (a 405 after the same
               middleware, token authentication and DRF dispatch);
- uncached     approved `GET /api/v1/rates/` computed on every request (POVREG_APPROVED_CACHE_SECONDS=0: what the
               API did before the cache);
- cached       the same request answered from the cache (keyed on the round's approval stamp);
- revalidated  the same request with If-None-Match naming the current answer: a 304.

Usage (needs wrk: `apt-get install wrk`; PostgreSQL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/povreg_bench_rates .venv/bin/python bench/rates_load.py [--seconds 10]
The database is migrated and the demo loaded on first use. Prints a Markdown table (bench/README.md keeps one).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
RATES = "/api/v1/rates/?round=BD-2024&unit=74&level=province"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def token(env: dict) -> str:
    code = (
        "from django.contrib.auth import get_user_model; from core.tokens import token_issue; "
        "print(token_issue(user=get_user_model().objects.get(username='api_reader'))[1])"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def serve(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [GUNICORN, "povreg.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/auth/token/", timeout=1)  # noqa: S310 (localhost)
            return server
        except urllib.error.HTTPError:  # the 405: it answers
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)


def wrk(url: str, headers: dict, seconds: int) -> tuple[float, float]:
    """(requests per second, p99 in ms) of wrk -t2 -c16."""
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rps, p99


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "POVREG_SECURE_COOKIES": "0",
    }
    setup = {**env, "DEBUG": "1"}
    manage(setup, "migrate", "--noinput")
    manage(setup, "load_demo")
    key = token(setup)
    auth = {"Authorization": f"Token {key}"}
    results = {}
    for label, cache_seconds in (("uncached", "0"), ("cached", "86400")):
        port = free_port()
        server = serve({**env, "POVREG_APPROVED_CACHE_SECONDS": cache_seconds}, port)
        base = f"http://127.0.0.1:{port}"
        try:
            if label == "uncached":
                results["floor"] = wrk(f"{base}/api/v1/auth/token/", auth, args.seconds)
            request = urllib.request.Request(base + RATES, headers=auth)
            with urllib.request.urlopen(request) as answer:  # noqa: S310 (localhost)
                etag = answer.headers["ETag"]
            results[label] = wrk(base + RATES, auth, args.seconds)
            if label == "cached":
                results["revalidated (304)"] = wrk(base + RATES, {**auth, "If-None-Match": etag}, args.seconds)
        finally:
            stop(server)
    floor_rps, floor_p99 = results["floor"]
    print("| request | requests/s | p99 (ms) | requests/s ÷ floor | p99 ÷ floor |")
    print("|---|---:|---:|---:|---:|")
    for label, (rps, p99) in results.items():
        print(f"| {label} | {rps:,.0f} | {p99:.1f} | {rps / floor_rps:.0%} | {p99 / floor_p99:.2f}× |")
    cached_rps, cached_p99 = results["cached"]
    ok = cached_rps >= 0.5 * floor_rps and cached_p99 <= 3 * floor_p99
    print(f"\nGoal (cached ≥ 50% of the floor's requests/s, p99 ≤ 3× the floor's): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
