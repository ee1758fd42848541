"""Province-scale benchmarks: a 300,000-household province in PostgreSQL, then the rate report, the flows,
a 50,000-row import and a 300,000-row export, each timed against its floor:

- rate report  vs one hand-written SQL query doing the same aggregation (per district, with households and
                persons denominators);
- flows        vs one hand-written SQL query grouping the same transitions;
- import       vs openpyxl's bare read-only pass over the same workbook (values only);
- export       vs openpyxl's bare write-only write of the same rows, already in memory.

Usage:  DATABASE_URL=postgres://USER@HOST:5432/DBNAME .venv/bin/python bench/run.py [--households 300000]
The database is migrated and filled (households coded BENCH-…); a second run reuses the data.
Not part of `make test`. See bench/README.md for measured figures.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "povreg.settings")

from bench.build import build, timed  # noqa: E402  (the build is shared with bench/national.py)


def reset_peak_rss() -> None:
    """Reset the process's peak resident memory (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument(
        "--import-rows", type=int, default=50_000, help="household rows in the import workbook (plus one member row each)"
    )
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument(
        "--only", nargs="*", choices=["rates", "flows", "approve", "import", "export"], help="run only these benchmarks"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("bench/run.py needs DATABASE_URL pointing at a PostgreSQL database.", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from surveys.models import SurveyRound

    build(args.households, args.seed)
    current = SurveyRound.objects.get(code="BENCH-2025")
    wanted = set(args.only or ["rates", "flows", "approve", "import", "export"])
    results = []
    if "rates" in wanted:
        results.append(bench_rates(current))
    if "flows" in wanted:
        results.append(bench_flows(current))
    if "approve" in wanted:
        results.extend(bench_approve(current))
    if "import" in wanted:
        results.append(bench_import(args.import_rows, args.seed))
    if "export" in wanted:
        results.append(bench_export(current))
    print()
    print(f"{'benchmark':<34}{'Povreg (s)':>12}{'floor (s)':>12}{'ratio':>8}")
    for name, ours, floor, note in results:
        print(f"{name:<34}{ours:>12.3f}{floor:>12.3f}{ours / floor if floor else float('nan'):>8.1f}  {note}")
    return 0


# ---------------------------------------------------------------- the four benchmarks


def bench_rates(current):
    from django.db import connection

    from surveys.reports.rates import rate_report

    province = current.province
    ours, report = timed(lambda: rate_report(round=current, unit=province, status="all"), repeat=5)
    sql = """
        WITH c AS (
          SELECT commune_id,
                 COUNT(*) FILTER (WHERE category = 'poor') AS poor,
                 COUNT(*) FILTER (WHERE category = 'poor' AND "group" = 'poverty_reduction') AS pr,
                 COUNT(*) FILTER (WHERE category = 'poor' AND "group" = 'social_protection') AS sp,
                 COUNT(*) FILTER (WHERE category = 'near_poor') AS near,
                 COALESCE(SUM(member_count) FILTER (WHERE category = 'poor'), 0) AS poor_persons,
                 COALESCE(SUM(member_count) FILTER (WHERE category = 'near_poor'), 0) AS near_persons
          FROM surveys_assessment WHERE round_id = %s AND category IN ('poor', 'near_poor') GROUP BY commune_id),
        p AS (
          SELECT h.commune_id, SUM(h.member_count) AS n FROM households_household h
          WHERE h.status = 'active' GROUP BY h.commune_id)
        SELECT d.code, SUM(den.total_households), SUM(c.poor), SUM(c.pr), SUM(c.sp), SUM(c.near), SUM(c.poor_persons), SUM(c.near_persons),
               SUM(COALESCE(den.total_persons, p.n, 0))
        FROM households_adminunit u JOIN households_adminunit d ON u.parent_id = d.id
        LEFT JOIN c ON c.commune_id = u.id
        LEFT JOIN p ON p.commune_id = u.id
        LEFT JOIN surveys_denominator den ON den.commune_id = u.id AND den.round_id = %s
        WHERE d.parent_id = %s AND u.level = 'commune' GROUP BY d.code ORDER BY d.code
    """

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(sql, [current.pk, current.pk, province.pk])
            return cursor.fetchall()

    floor_s, rows = timed(floor, repeat=5)
    assert sum(r[2] or 0 for r in rows) == report.total.poor, "floor and report disagree"
    assert sum(r[8] or 0 for r in rows) == report.total.total_persons, "floor and report disagree on persons"
    return ("rate report (province, 9 districts)", ours, floor_s, f"poor {report.total.poor}, rate {report.total.poor_rate}%")


def bench_flows(current):
    from django.db import connection

    from surveys.reports.flows import flows_for, flows_total

    province = current.province
    ours, rows = timed(lambda: flows_for(round=current, unit=province, level="district", status="all", kind="poor"), repeat=3)
    total = flows_total(rows, unit=province)
    sql = """
        SELECT 'out', p.commune_id, n.commune_id, n.category, COUNT(*)
        FROM surveys_assessment p LEFT JOIN surveys_assessment n ON n.household_id = p.household_id AND n.round_id = %(cur)s
        WHERE p.round_id = %(prev)s AND p.category = 'poor' GROUP BY 2, 3, 4
        UNION ALL
        SELECT 'in', n.commune_id, p.commune_id, p.category, COUNT(*)
        FROM surveys_assessment n LEFT JOIN surveys_assessment p ON p.household_id = n.household_id AND p.round_id = %(prev)s
        WHERE n.round_id = %(cur)s AND n.category = 'poor' GROUP BY 2, 3, 4
    """

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(sql, {"cur": current.pk, "prev": current.previous_round.pk})
            return cursor.fetchall()

    floor_s, frows = timed(floor, repeat=3)
    assert sum(r[4] for r in frows if r[0] == "in") == total["end"], "floor and flows disagree"
    balanced = total["start"] - total["out_total"] + total["in_total"] == total["end"]
    return (
        "flows (poor, province by district)",
        ours,
        floor_s,
        f"start {total['start']} → end {total['end']}, balanced={balanced}",
    )


def bench_approve(current):
    """Approving every list of both rounds freezes 600k entries (DESIGN.md §1 "Time"); then approved flows read
    entries, not assessments. Floors: one INSERT … SELECT of the same columns; the live flows of the same rounds."""
    from django.db import connection, transaction

    from surveys.approval.freeze import list_entries_freeze
    from surveys.models import CommuneList, ListEntry, ListStatus
    from surveys.reports.flows import flows_for, flows_total

    rounds = [current.previous_round, current]
    communes = list(current.province.children.all().values_list("children__pk", flat=True))
    out = []
    with transaction.atomic():
        ListEntry.objects.filter(round__in=rounds).delete()
        CommuneList.objects.filter(round__in=rounds).delete()
        lists = CommuneList.objects.bulk_create(
            [CommuneList(round=r, commune_id=c, status=ListStatus.APPROVED) for r in rounds for c in communes]
        )
        t0 = time.perf_counter()
        written = list_entries_freeze(lists)
        ours = time.perf_counter() - t0
        sql = """
            INSERT INTO surveys_listentry (commune_list_id, round_id, commune_id, household_id, hamlet_id, area_type, category,
                "group", member_count, deprived, head_ethnic_minority, head_female, merit, disability, no_working_capacity,
                low_income_workers)
            SELECT l.id, a.round_id, a.commune_id, a.household_id, a.hamlet_id, a.area_type, a.category, a."group",
                a.member_count, '[]'::jsonb, false, false, false, false, a.able_to_work_count = 0, a.low_income_workers
            FROM surveys_assessment a JOIN surveys_communelist l ON l.round_id = a.round_id AND l.commune_id = a.commune_id
            WHERE a.round_id IN %(rounds)s
        """
        ListEntry.objects.filter(round__in=rounds).delete()
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, {"rounds": tuple(r.pk for r in rounds)})
        floor = time.perf_counter() - t0
        ListEntry.objects.filter(round__in=rounds).delete()
        list_entries_freeze(lists)
        out.append((f"approve: freeze {written} entries", ours, floor, "floor: one INSERT … SELECT (no breakdown facts)"))
        province = current.province
        approved, rows = timed(lambda: flows_for(round=current, unit=province, level="district", status="approved"), repeat=3)
        live, live_rows = timed(lambda: flows_for(round=current, unit=province, level="district", status="all"), repeat=3)
        a, b = flows_total(rows, unit=province), flows_total(live_rows, unit=province)
        assert (a["start"], a["end"]) == (b["start"], b["end"]), "approved entries and live assessments disagree"
        out.append(("flows approved (entries)", approved, live, f"floor: live flows; start {a['start']} → end {a['end']}"))
        transaction.set_rollback(True)  # the bench province stays as built
    return out


def bench_import(rows: int, seed: int):
    from openpyxl import load_workbook

    from households.models import AdminUnit, Level, Structure
    from surveys.imports.importer import survey_import, write_survey_workbook
    from surveys.models import CriteriaSet, SurveyRound
    from surveys.rounds import round_create

    province = AdminUnit.objects.get(structure=Structure.LEGACY, code="74")
    code = f"BENCH-IMPORT-{int(time.time())}"
    survey_round = round_create(
        actor=None,
        code=code,
        year=2026,
        criteria_set=CriteriaSet.objects.get(code="VN-2022"),
        province=province,
        previous_round=SurveyRound.objects.get(code="BENCH-2025"),
    )
    communes = list(AdminUnit.objects.under(province).filter(level=Level.COMMUNE).order_by("code").values_list("code", flat=True))
    rng = random.Random(seed)
    indicators = ["HEALTH_INSURANCE", "WATER", "LATRINE", "TELECOM", "HOUSING_AREA"]
    households = [
        {
            "household_code": f"IMP{code[-6:]}-{i:06d}",
            "commune_code": communes[i % len(communes)],
            "hamlet": f"Ấp {1 + i % 5}",
            "head_name": f"Trần Thị {i}",
            "address": f"{i} Đường số {i % 30}",
            "income_per_capita": rng.randrange(800_000, 4_000_000, 10_000),
            "deprived": ",".join(rng.sample(indicators, i % 4)),
        }
        for i in range(rows)
    ]
    members = [
        {
            "household_code": h["household_code"],
            "full_name": h["head_name"],
            "sex": "F",
            "birth_year": 1960 + i % 40,
            "relation": "head",
            "able_to_work": i % 5 != 0,
            "social_protection": i % 5 == 0,
        }
        for i, h in enumerate(households)
    ]
    path = Path(tempfile.gettempdir()) / f"{code}.xlsx"
    write_survey_workbook(path, households=households, members=members)
    del households, members

    def bare_read():
        wb = load_workbook(path, read_only=True)
        n = sum(1 for ws in wb.worksheets for _row in ws.iter_rows(values_only=True))
        wb.close()
        return n

    floor_s, cells = timed(bare_read)
    ours, result = timed(lambda: survey_import(actor=None, round=survey_round, path=path))
    assert result.ok and len(result.households_created) == rows, result.issues[:3]
    again, second = timed(lambda: survey_import(actor=None, round=survey_round, path=path))
    assert not second.changed
    path.unlink(missing_ok=True)
    return (
        f"import {rows} households + {rows} members",
        ours,
        floor_s,
        f"re-import (no change) {again:.1f} s; categories {result.categories}",
    )


def bench_export(current):
    from openpyxl import Workbook

    from surveys import excel
    from surveys.models import Assessment
    from surveys.reports.tables import HOUSEHOLD_COLUMNS, columns, household_rows

    queryset = Assessment.objects.filter(round=current)
    out = Path(tempfile.gettempdir()) / "bench-export.xlsx"
    start_rss = current_rss_mb()
    reset_peak_rss()
    ours, written = timed(
        lambda: excel.write_workbook(
            [
                excel.Table(
                    sheet="Danh sách hộ",
                    title="Danh sách hộ",
                    columns=columns(HOUSEHOLD_COLUMNS, "vi"),
                    rows=household_rows(queryset, "vi"),
                )
            ],
            out,
        )
    )
    grew = peak_rss_mb() - start_rss
    rows = list(household_rows(queryset, "vi"))

    def bare_write():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("x")
        for row in rows:
            ws.append(row)
        wb.save(out)

    floor_s, _ = timed(bare_write)
    size = out.stat().st_size / 1e6
    out.unlink(missing_ok=True)
    return (
        f"export {written} households (xlsx)",
        ours,
        floor_s,
        f"{size:.1f} MB file; memory peak +{grew:.0f} MB over the start",
    )


if __name__ == "__main__":
    sys.exit(main())
