"""The measurements of bench/national.py at one size of the database (see its docstring); reloaded by it at each
size, so a fix here reaches a build already running."""

from __future__ import annotations

import importlib
import json
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.build import timed

ROOT = Path(__file__).resolve().parent.parent
# The export takes minutes per measurement on a busy machine: it is taken at the two ends (300k and 3M) only.
EXPORT_AT = (1, 10)
TABLES = [
    "households_household",
    "households_member",
    "surveys_assessment",
    "surveys_assessment_deprived_indicators",
    "surveys_denominator",
    "core_auditevent",
]


def located(name: str):
    """`name` from whichever surveys module defines it today (modules are being moved into packages)."""
    pattern = re.compile(rf"^(def {name}\(|{name} = )", re.M)
    for path in sorted((ROOT / "surveys").rglob("*.py")):
        if "migrations" not in path.parts and pattern.search(path.read_text(encoding="utf-8")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            return getattr(importlib.import_module(module), name)
    raise ImportError(name)


def measure(codes: list[str], *, export: bool) -> dict:
    from households.models import Household

    households = Household.objects.filter(code__startswith="BENCH-").count()
    print(f"\n== {len(codes)} provinces, {households} households ==", flush=True)
    stage: dict = {"provinces": len(codes), "households": households}
    stage.update(sizes())
    stage.update(patiently(bench_rates, codes))
    stage.update(patiently(bench_officer, codes[0]))
    if export and len(codes) in EXPORT_AT:
        stage.update(patiently(bench_export, codes[0]))
    print(json.dumps(stage, indent=1), flush=True)
    return stage


def patiently(fn, *args) -> dict:
    """`fn(*args)`; an import error (a module mid-move in the shared tree) ends the process so that the caller
    tries again in a fresh interpreter; any other failure is reported and the other measurements go on."""
    try:
        return fn(*args)
    except (ImportError, AttributeError):
        raise
    except Exception:  # noqa: BLE001  (the traceback says why; the build must go on)
        traceback.print_exc()
        return {f"{fn.__name__}_failed": True}


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        out = {"db_bytes": cursor.fetchone()[0]}
        for table in TABLES:
            cursor.execute(
                "SELECT pg_total_relation_size(%s), pg_indexes_size(%s), (SELECT COUNT(*) FROM " + table + ")", [table, table]
            )
            total, indexes, rows = cursor.fetchone()
            out[f"size:{table}"] = {"total_bytes": total, "index_bytes": indexes, "rows": rows}
    return out


FLOOR = """
    WITH u AS (
      SELECT c.id, c.parent_id AS district_id, d.parent_id AS province_id FROM households_adminunit c
      JOIN households_adminunit d ON d.id = c.parent_id WHERE c.level = 'commune' AND d.parent_id = ANY(%(provinces)s)),
    c AS (
      SELECT commune_id,
             COUNT(*) FILTER (WHERE category = 'poor') AS poor,
             COUNT(*) FILTER (WHERE category = 'near_poor') AS near,
             COALESCE(SUM(member_count) FILTER (WHERE category = 'poor'), 0) AS poor_persons,
             COALESCE(SUM(member_count) FILTER (WHERE category = 'near_poor'), 0) AS near_persons
      FROM surveys_assessment WHERE round_id = ANY(%(rounds)s) AND category IN ('poor', 'near_poor') GROUP BY commune_id),
    p AS (
      SELECT h.commune_id, SUM(h.member_count) AS n FROM households_household h
      WHERE h.status = 'active' AND h.commune_id IN (SELECT id FROM u) GROUP BY h.commune_id)
    SELECT u.{key}, SUM(den.total_households), SUM(c.poor), SUM(c.near), SUM(c.poor_persons), SUM(c.near_persons),
           SUM(COALESCE(den.total_persons, p.n, 0))
    FROM u LEFT JOIN c ON c.commune_id = u.id LEFT JOIN p ON p.commune_id = u.id
    LEFT JOIN surveys_denominator den ON den.commune_id = u.id AND den.round_id = ANY(%(rounds)s)
    GROUP BY u.{key}
"""


def bench_rates(codes: list[str]) -> dict:
    """One province by district and the country (the provinces' reports summed), each vs its SQL floor."""
    from django.db import connection

    from households.models import AdminUnit, Structure
    from surveys.models import SurveyRound

    rate_report = located("rate_report")
    rounds = {
        r.province.code: r
        for r in SurveyRound.objects.filter(code__in=[f"BENCH-{c}-2025" for c in codes]).select_related("province")
    }
    first = rounds[codes[0]]

    def floor(key: str, round_list):
        with connection.cursor() as cursor:
            cursor.execute(
                FLOOR.format(key=key), {"provinces": [r.province_id for r in round_list], "rounds": [r.pk for r in round_list]}
            )
            return cursor.fetchall()

    def country():
        reports = [rate_report(round=rounds[c], unit=rounds[c].province, status="all") for c in codes]
        return (
            sum(r.total.poor for r in reports),
            sum(r.total.total_persons for r in reports),
            sum(r.total.total_households for r in reports),
        )

    out = {}
    ours, report = timed(lambda: rate_report(round=first, unit=first.province, status="all"), repeat=3)
    floor_s, rows = timed(lambda: floor("district_id", [first]), repeat=3)
    assert sum(r[2] or 0 for r in rows) == report.total.poor and sum(r[6] or 0 for r in rows) == report.total.total_persons, (
        "floor disagrees"
    )
    out["rates_province"] = {"ours": ours, "floor": floor_s, "poor": report.total.poor, "rate": str(report.total.poor_rate)}
    repeat = 3 if len(codes) < 10 else 1  # a minute or more each at 3M: one run
    ours, (poor, persons, total) = timed(country, repeat=repeat)
    floor_s, rows = timed(lambda: floor("province_id", [rounds[c] for c in codes]), repeat=repeat)
    assert sum(r[2] or 0 for r in rows) == poor and sum(r[6] or 0 for r in rows) == persons, "national floor disagrees"
    out["rates_country"] = {"ours": ours, "floor": floor_s, "poor": poor, "households": total, "persons": persons}
    assert AdminUnit.objects.filter(structure=Structure.LEGACY, code=codes[0]).exists()
    print("rates", out, flush=True)
    return out


def bench_officer(code: str) -> dict:
    """A commune officer of the first province's busiest commune: the household list, a search, a household page."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from households.models import Assignment, Household, Role

    busiest = (
        Household.objects.filter(code__startswith=f"BENCH-{code}-")
        .values("commune_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    user, _ = get_user_model().objects.get_or_create(username=f"bench-officer-{code}")
    Assignment.objects.get_or_create(user=user, unit_id=busiest["commune_id"], role=Role.COMMUNE_OFFICER)
    household = Household.objects.filter(commune_id=busiest["commune_id"]).order_by("code").first()
    client = Client()
    client.force_login(user)
    pages = {
        "officer_list": "/households/",
        "officer_search": f"/households/?q={household.head_name}",
        "officer_household": f"/households/{household.code}/",
    }
    out = {"officer_commune_households": busiest["n"]}
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url
        best, count = None, 0
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - start
            assert response.status_code == 200, (url, response.status_code)
            best, count = (elapsed, len(queries)) if best is None or elapsed < best else (best, count)
        out[name] = {"seconds": best, "queries": count}
    print("officer", out, flush=True)
    return out


def bench_export(code: str) -> dict:
    """The first province's household list of BENCH-<code>-2025 as xlsx, streamed from the database."""
    from surveys import excel
    from surveys.models import Assessment

    household_rows, columns, spec = located("household_rows"), located("columns"), located("HOUSEHOLD_COLUMNS")
    queryset = Assessment.objects.filter(round__code=f"BENCH-{code}-2025")
    path = Path(tempfile.gettempdir()) / f"bench-national-{code}.xlsx"
    ours, written = timed(
        lambda: excel.write_workbook(
            [
                excel.Table(
                    sheet="Danh sách hộ", title="Danh sách hộ", columns=columns(spec, "vi"), rows=household_rows(queryset, "vi")
                )
            ],
            path,
        )
    )
    path.unlink(missing_ok=True)
    read, rows = timed(lambda: sum(1 for _ in household_rows(queryset, "vi")))
    out = {
        "export": {
            "rows": written,
            "seconds": ours,
            "rows_per_s": written / ours,
            "read_seconds": read,
            "read_rows_per_s": rows / read,
        }
    }
    print("export", out, flush=True)
    return out


if __name__ == "__main__":
    # python -m bench.national_measure CODE… [--no-export]: one measurement, its figures on the last line.
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "povreg.settings")
    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host and in-memory mail, nothing else
    figures = measure([a for a in sys.argv[1:] if not a.startswith("--")], export="--no-export" not in sys.argv)
    print("RESULT " + json.dumps(figures))
