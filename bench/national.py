"""National size (issue 15 item 7): ten legacy provinces of 300,000 households each (3 million households,
~7.5 million members, two rounds = 6 million assessments) in ONE PostgreSQL database, built one province at a
time (bench/build.py, by COPY), measured as the database grows:

- rates       `rate_report` (status all) for the first province by district, and for the whole country (no
              national unit exists: the ten provinces' reports are summed), each against one hand-written SQL
              query doing the same aggregation over the same communes;
- officer     a commune officer's household list, a search in it and one household page through Django's test
              client: wall time and number of queries (must not grow with the country);
- export      the first province's household list (xlsx) through the same code as /reports/households.xlsx:
              rows per second, and the database read alone;
- size        pg_total_relation_size of the big tables and of the database.

Usage:  DATABASE_URL=postgres://USER@HOST:5432/DBNAME .venv/bin/python bench/national.py
            [--provinces 10] [--households 300000] [--measure-after 1 10] [--results /tmp/bench-national.json]
Households are coded BENCH-<province>-<n>, rounds BENCH-<province>-2024 → BENCH-<province>-2025. A second run
reuses what is built and measures at the size found. Not part of `make test`; figures in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "povreg.settings")

from bench.build import province_build  # noqa: E402

# Ten pre-2025 provinces with many communes and no island district: Binh Duong first (bench/run.py's province),
# then Thanh Hoa, Ha Noi, Nghe An, Ho Chi Minh City, Thai Binh, Quang Nam, Gia Lai, Ha Tinh, Hai Duong (~2,960 communes).
PROVINCES = ["74", "38", "01", "40", "79", "34", "49", "64", "42", "30"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provinces", type=int, default=10, choices=range(1, len(PROVINCES) + 1))
    parser.add_argument("--households", type=int, default=300_000, help="households per province")
    parser.add_argument(
        "--measure-after", type=int, nargs="*", default=[1, 10], help="measure when this many provinces are built"
    )
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--no-export", action="store_true", help="skip the export (≈ 2 min per measurement at 300k)")
    parser.add_argument(
        "--results", default="/tmp/bench-national.json", help="figures are written here as JSON (kept across runs)"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("bench/national.py needs DATABASE_URL pointing at a PostgreSQL database.", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results_path = Path(args.results)
    results = json.loads(results_path.read_text()) if results_path.exists() else {"builds": {}, "stages": {}}
    codes = PROVINCES[: args.provinces]
    measured_final = False
    for k, code in enumerate(codes, 1):
        seconds = province_build(
            province_code=code,
            households=args.households,
            seed=args.seed + k,
            prefix=f"BENCH-{code}-",
            round_codes=(f"BENCH-{code}-2024", f"BENCH-{code}-2025"),
        )
        if seconds is not None:
            results["builds"][code] = round(seconds, 1)
            results_path.write_text(json.dumps(results, indent=1))
        if k in args.measure_after and (seconds is not None or k == len(codes)):
            results["stages"][str(k)] = measured(codes[:k], export=not args.no_export)
            results_path.write_text(json.dumps(results, indent=1))
            measured_final = k == len(codes)
    if not measured_final:
        results["stages"][str(len(codes))] = measured(codes, export=not args.no_export)
        results_path.write_text(json.dumps(results, indent=1))
    summary(results)
    return 0


def measured(codes: list[str], *, export: bool, tries: int = 10) -> dict:
    """bench/national_measure.py in a fresh interpreter at each size: a long build outlives edits to the code it
    measures (modules may be moved in a shared tree meanwhile). Tried again a minute later when it fails."""
    command = [sys.executable, "-m", "bench.national_measure", *codes] + ([] if export else ["--no-export"])
    for attempt in range(tries):
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        print(done.stdout, flush=True)
        found = [line[len("RESULT ") :] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode == 0 and found:
            return json.loads(found[-1])
        print(
            f"measurement failed (exit {done.returncode}); trying again in 60 s ({attempt + 1}/{tries})",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(60)
    return {"provinces": len(codes), "failed": True}


def summary(results: dict) -> None:
    stages = sorted(results["stages"].values(), key=lambda s: s["provinces"])
    if not stages:
        return
    first, last = stages[0], stages[-1]
    print(f"\nbuilds (s): {results['builds']}")
    print(f"{'measure':<40}" + "".join(f"{s['households']:>14,}" for s in stages) + f"{'ratio':>9}")

    def line(name, get):
        values = [get(s) for s in stages]
        if None in values:
            return
        ratio = values[-1] / values[0] if values[0] else float("nan")
        print(f"{name:<40}" + "".join(f"{v:>14.3f}" for v in values) + f"{ratio:>9.2f}")

    line("database (GB)", lambda s: s["db_bytes"] / 1e9)
    line("rates, province (s)", lambda s: s["rates_province"]["ours"])
    line("  floor (s)", lambda s: s["rates_province"]["floor"])
    line("rates, country (s)", lambda s: s["rates_country"]["ours"])
    line("  floor (s)", lambda s: s["rates_country"]["floor"])
    for page in ("officer_list", "officer_search", "officer_household"):
        line(f"{page} (s)", lambda s, p=page: s[p]["seconds"])
        line(f"{page} (queries)", lambda s, p=page: float(s[p]["queries"]))
    line("export (rows/s)", lambda s: s.get("export", {}).get("rows_per_s"))
    line("export read only (rows/s)", lambda s: s.get("export", {}).get("read_rows_per_s"))
    print(f"households ratio {last['households'] / first['households']:.1f}")


if __name__ == "__main__":
    sys.exit(main())
