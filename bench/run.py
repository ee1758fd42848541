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
import datetime
import io
import json
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


def timed(fn, repeat: int = 1):
    best, value = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, value


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
    parser.add_argument("--import-rows", type=int, default=50_000, help="household rows in the import workbook (plus one member row each)")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--only", nargs="*", choices=["rates", "flows", "approve", "import", "export"], help="run only these benchmarks")
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


# ---------------------------------------------------------------- building the province


def build(households: int, seed: int) -> None:
    from django.db import connection, transaction

    from households.models import AdminUnit, EthnicGroup, Hamlet, Household, Level, Member, Structure
    from households.search import household_search_key
    from households.units import load_legacy
    from surveys import classification as cl
    from surveys.models import Assessment, CriteriaSet, Denominator, SurveyRound
    from surveys.services import criteria_spec, round_create

    load_legacy("74")
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code="74")
    existing = Household.objects.filter(code__startswith="BENCH-").count()
    if existing >= households and SurveyRound.objects.filter(code="BENCH-2025").exists():
        print(f"Reusing {existing} BENCH households.")
        return
    if existing:
        print("A partial BENCH province exists; drop and recreate the database to rebuild.", file=sys.stderr)
        sys.exit(3)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    criteria = CriteriaSet.objects.get(code="VN-2022")
    spec = criteria_spec(criteria)
    previous = round_create(actor=None, code="BENCH-2024", year=2024, criteria_set=criteria, province=province)
    current = round_create(actor=None, code="BENCH-2025", year=2025, criteria_set=criteria, province=province, previous_round=previous)
    communes = list(AdminUnit.objects.under(province).filter(level=Level.COMMUNE).order_by("code"))
    Hamlet.objects.bulk_create([Hamlet.build(commune_id=c.pk, name=f"Ấp {n}") for c in communes for n in range(1, 6)], ignore_conflicts=True)
    hamlets: dict[int, list[int]] = {}
    for hid, cid in Hamlet.objects.filter(commune__in=communes).values_list("id", "commune_id"):
        hamlets.setdefault(cid, []).append(hid)
    weights = [rng.uniform(0.3, 1.7) for _ in communes]
    chosen = rng.choices(communes, weights=weights, k=households)
    now = datetime.datetime.now(datetime.UTC).isoformat()
    codes = [i.code for i in spec.indicators]
    indicator_ids = dict(criteria.indicators.values_list("code", "id"))
    group_ids = dict(EthnicGroup.objects.values_list("code", "id"))

    def copy(table: str, columns: list[str], rows, chunk: int = 50_000) -> None:
        """COPY rows into `table`, 50,000 at a time (bounded memory)."""
        statement = f"COPY {table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) FROM STDIN"
        buf, n = io.StringIO(), 0
        for row in rows:
            buf.write("\t".join("\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ") for v in row))
            buf.write("\n")
            n += 1
            if n % chunk == 0:
                buf.seek(0)
                with connection.cursor() as cursor:
                    cursor.copy_expert(statement, buf)
                buf = io.StringIO()
        buf.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(statement, buf)

    with transaction.atomic():
        copy(Household._meta.db_table, ["code", "commune_id", "hamlet_id", "head_name", "address", "status", "version", "created_at", "updated_at",
                                        "search_key"],
             ((f"BENCH-{i:07d}", c.pk, rng.choice(hamlets[c.pk]), f"Nguyễn Văn {i}", f"{i % 300} Đường {i % 40}", "active", 1, now, now,
               household_search_key(code=f"BENCH-{i:07d}", head_name=f"Nguyễn Văn {i}"))
              for i, c in enumerate(chosen)))
        ids = list(Household.objects.filter(code__startswith="BENCH-").order_by("code").values_list("id", flat=True))
        members_of: list[list[dict]] = []
        member_rows = []
        for i, hid in enumerate(ids):
            size = rng.choice((1, 2, 2, 3, 3, 4))
            facts = []
            for p in range(size):
                able = rng.random() < (0.25 if size == 1 else 0.75)
                fact = {"id": None, "able_to_work": able, "social_protection": not able and rng.random() < 0.5,
                        "merit": rng.random() < 0.02, "disability": rng.random() < 0.03, "sex": "M" if p % 2 == 0 else "F",
                        "birth_year": 1950 + (i + p) % 55, "ethnicity": "Kinh" if rng.random() < 0.95 else "Khmer",
                        "relation": "head" if p == 0 else "child"}
                fact["ethnic_group"] = "01" if fact["ethnicity"] == "Kinh" else "05"
                facts.append(fact)
                member_rows.append((hid, f"Thành viên {i}-{p}", fact["sex"], fact["birth_year"], fact["relation"], "", fact["ethnicity"],
                                    group_ids[fact["ethnic_group"]], fact["able_to_work"], fact["social_protection"], fact["merit"],
                                    fact["disability"], p + 1))
            members_of.append(facts)
        copy(Member._meta.db_table, ["household_id", "full_name", "sex", "birth_year", "relation", "citizen_id", "ethnicity", "ethnic_group_id",
                                   "able_to_work", "social_protection", "merit", "disability", "position"], member_rows)
        del member_rows
        memo: dict = {}
        bands = [rng.random() for _ in ids]
        for survey_round, shift in ((previous, 0.0), (current, 0.004)):
            rows = []
            deprived_of = []
            for i, (hid, commune) in enumerate(zip(ids, chosen, strict=True)):
                roll = (bands[i] + (rng.random() * shift * 10 if rng.random() < 0.3 else 0)) % 1.0
                line = 2_000_000 if commune.area_type == "urban" else 1_500_000
                if roll < 0.011:
                    income, deprived = line - 200_000 - (i % 8) * 50_000, tuple(sorted(rng.sample(codes, 3 + i % 3)))
                elif roll < 0.021:
                    income, deprived = line - 100_000, tuple(sorted(rng.sample(codes, i % 3)))
                elif roll < 0.05:
                    income, deprived = line + 300_000, ()
                else:
                    income, deprived = line * 3, ()
                facts = members_of[i]
                key = (commune.area_type, income, deprived, tuple((f["able_to_work"], f["social_protection"]) for f in facts))
                res = memo.get(key)
                if res is None:
                    res = cl.classify(spec, area=commune.area_type, income=income, deprived=deprived,
                                      members=[cl.MemberFacts(f["able_to_work"], f["social_protection"]) for f in facts])
                    memo[key] = res
                rows.append((hid, survey_round.pk, criteria.pk, commune.pk, None, commune.area_type, income, len(facts),
                             sum(f["able_to_work"] for f in facts), sum(f["social_protection"] for f in facts),
                             json.dumps(facts, ensure_ascii=False), res.category.value, res.group.value if res.group else "",
                             res.deprived_count, res.explanation_vi, res.explanation_en, 1, None, now, now, "income", 0))
                deprived_of.append(deprived)
            copy(Assessment._meta.db_table, ["household_id", "round_id", "criteria_set_id", "commune_id", "hamlet_id", "area_type",
                                             "income_per_capita", "member_count", "able_to_work_count", "social_protection_count",
                                             "members_snapshot", "category", "group", "deprived_count", "explanation_vi", "explanation_en",
                                             "version", "assessed_by_id", "created_at", "updated_at", "basis", "low_income_workers"], rows)
            del rows
            aids = list(Assessment.objects.filter(round=survey_round).order_by("household_id").values_list("id", flat=True))
            copy(Assessment.deprived_indicators.through._meta.db_table, ["assessment_id", "indicator_id"],
                 ((aid, indicator_ids[c]) for aid, d in zip(aids, deprived_of, strict=True) for c in d))
            counts: dict[int, int] = {}
            for c in chosen:
                counts[c.pk] = counts.get(c.pk, 0) + 1
            Denominator.objects.bulk_create([Denominator(round=survey_round, commune_id=cid, total_households=n + n // 20) for cid, n in counts.items()])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Built {households} households with members and two rounds of assessments in {time.perf_counter() - t0:.1f} s.")


# ---------------------------------------------------------------- the four benchmarks


def bench_rates(current):
    from django.db import connection

    from surveys.reports import rate_report

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
          SELECT h.commune_id, COUNT(*) AS n FROM households_member m JOIN households_household h ON h.id = m.household_id
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

    from surveys.flows import flows_for, flows_total

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
    return ("flows (poor, province by district)", ours, floor_s, f"start {total['start']} → end {total['end']}, balanced={balanced}")


def bench_approve(current):
    """Approving every list of both rounds freezes 600k entries (DESIGN.md §1 "Time"); then approved flows read
    entries, not assessments. Floors: one INSERT … SELECT of the same columns; the live flows of the same rounds."""
    from django.db import connection, transaction

    from surveys.approval import list_entries_freeze
    from surveys.flows import flows_for, flows_total
    from surveys.models import CommuneList, ListEntry, ListStatus

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
                "group", member_count, deprived, head_ethnic_minority, head_female, merit, disability, no_working_capacity)
            SELECT l.id, a.round_id, a.commune_id, a.household_id, a.hamlet_id, a.area_type, a.category, a."group",
                a.member_count, '[]'::jsonb, false, false, false, false, a.able_to_work_count = 0
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
    from surveys.services import round_create

    province = AdminUnit.objects.get(structure=Structure.LEGACY, code="74")
    code = f"BENCH-IMPORT-{int(time.time())}"
    survey_round = round_create(actor=None, code=code, year=2026, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province,
                                previous_round=SurveyRound.objects.get(code="BENCH-2025"))
    communes = list(AdminUnit.objects.under(province).filter(level=Level.COMMUNE).order_by("code").values_list("code", flat=True))
    rng = random.Random(seed)
    indicators = ["HEALTH_INSURANCE", "WATER", "LATRINE", "TELECOM", "HOUSING_AREA"]
    households = [{"household_code": f"IMP{code[-6:]}-{i:06d}", "commune_code": communes[i % len(communes)], "hamlet": f"Ấp {1 + i % 5}",
                   "head_name": f"Trần Thị {i}", "address": f"{i} Đường số {i % 30}", "income_per_capita": rng.randrange(800_000, 4_000_000, 10_000),
                   "deprived": ",".join(rng.sample(indicators, i % 4))} for i in range(rows)]
    members = [{"household_code": h["household_code"], "full_name": h["head_name"], "sex": "F", "birth_year": 1960 + i % 40,
                "relation": "head", "able_to_work": i % 5 != 0, "social_protection": i % 5 == 0} for i, h in enumerate(households)]
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
    return (f"import {rows} households + {rows} members", ours, floor_s,
            f"re-import (no change) {again:.1f} s; categories {result.categories}")


def bench_export(current):
    from openpyxl import Workbook

    from surveys import excel
    from surveys.models import Assessment
    from surveys.views_reports import HOUSEHOLD_COLUMNS, columns, household_rows

    queryset = Assessment.objects.filter(round=current)
    out = Path(tempfile.gettempdir()) / "bench-export.xlsx"
    start_rss = current_rss_mb()
    reset_peak_rss()
    ours, written = timed(lambda: excel.write_workbook(
        [excel.Table(sheet="Danh sách hộ", title="Danh sách hộ", columns=columns(HOUSEHOLD_COLUMNS, "vi"), rows=household_rows(queryset, "vi"))],
        out,
    ))
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
    return (f"export {written} households (xlsx)", ours, floor_s, f"{size:.1f} MB file; memory peak +{grew:.0f} MB over the start")


if __name__ == "__main__":
    sys.exit(main())
