"""Building a benchmark province in PostgreSQL by COPY: shared by bench/run.py (one province) and
bench/national.py (ten provinces in one database, built one at a time so memory stays that of one province).

A province is its legacy units (`load_legacy(code)`), 5 hamlets per commune, `households` households coded
`<prefix><n>` with 1–4 members each, two rounds (previous → current, VN-2022) with one classified assessment per
household per round and its deprived indicators, and per-commune denominators.
"""

from __future__ import annotations

import datetime
import io
import json
import random
import sys
import time


def timed(fn, repeat: int = 1):
    """Best wall time of `repeat` calls and the last value."""
    best, value = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, value


def build(households: int, seed: int) -> None:
    """bench/run.py's province: Binh Duong (74), households BENCH-0000000…, rounds BENCH-2024 → BENCH-2025."""
    province_build(
        province_code="74", households=households, seed=seed, prefix="BENCH-", round_codes=("BENCH-2024", "BENCH-2025")
    )


def copy_rows(table: str, columns: list[str], rows, chunk: int = 50_000) -> None:
    """COPY rows into `table`, 50,000 at a time (bounded memory)."""
    from django.db import connection

    statement = f"COPY {table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) FROM STDIN"
    buf, n = io.StringIO(), 0
    for row in rows:
        buf.write(
            "\t".join("\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ") for v in row)
        )
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


def province_build(*, province_code: str, households: int, seed: int, prefix: str, round_codes: tuple[str, str]) -> float | None:
    """Build one province (see the module docstring) and return the seconds it took; None when it was already
    built (a complete earlier build is reused; a partial one stops the run)."""
    from django.db import connection, transaction

    from households.models import AdminUnit, EthnicGroup, Hamlet, Household, Level, Member, Structure
    from households.search import household_search_key
    from households.units import load_legacy
    from surveys import classification as cl
    from surveys.models import Assessment, CriteriaSet, Denominator, SurveyRound
    from surveys.rounds import round_create
    from surveys.services import criteria_spec

    load_legacy(province_code)
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code=province_code)
    existing = Household.objects.filter(code__startswith=prefix).count()
    if existing >= households and SurveyRound.objects.filter(code=round_codes[1]).exists():
        print(f"Reusing {existing} households {prefix}….")
        return None
    if existing:
        print(f"A partial province {prefix}… exists; drop and recreate the database to rebuild.", file=sys.stderr)
        sys.exit(3)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    criteria = CriteriaSet.objects.get(code="VN-2022")
    spec = criteria_spec(criteria)
    previous = round_create(actor=None, code=round_codes[0], year=2024, criteria_set=criteria, province=province)
    current = round_create(
        actor=None, code=round_codes[1], year=2025, criteria_set=criteria, province=province, previous_round=previous
    )
    communes = list(AdminUnit.objects.under(province).filter(level=Level.COMMUNE).order_by("code"))
    Hamlet.objects.bulk_create(
        [Hamlet.build(commune_id=c.pk, name=f"Ấp {n}") for c in communes for n in range(1, 6)], ignore_conflicts=True
    )
    hamlets: dict[int, list[int]] = {}
    for hid, cid in Hamlet.objects.filter(commune__in=communes).values_list("id", "commune_id"):
        hamlets.setdefault(cid, []).append(hid)
    weights = [rng.uniform(0.3, 1.7) for _ in communes]
    chosen = rng.choices(communes, weights=weights, k=households)
    now = datetime.datetime.now(datetime.UTC).isoformat()
    codes = [i.code for i in spec.indicators]
    indicator_ids = dict(criteria.indicators.values_list("code", "id"))
    group_ids = dict(EthnicGroup.objects.values_list("code", "id"))

    with transaction.atomic():
        copy_rows(
            Household._meta.db_table,
            [
                "code",
                "commune_id",
                "hamlet_id",
                "head_name",
                "address",
                "status",
                "version",
                "created_at",
                "updated_at",
                "search_key",
            ],
            (
                (
                    f"{prefix}{i:07d}",
                    c.pk,
                    rng.choice(hamlets[c.pk]),
                    f"Nguyễn Văn {i}",
                    f"{i % 300} Đường {i % 40}",
                    "active",
                    1,
                    now,
                    now,
                    household_search_key(code=f"{prefix}{i:07d}", head_name=f"Nguyễn Văn {i}"),
                )
                for i, c in enumerate(chosen)
            ),
        )
        ids = list(Household.objects.filter(code__startswith=prefix).order_by("code").values_list("id", flat=True))
        members_of: list[list[dict]] = []
        member_rows = []
        for i, hid in enumerate(ids):
            size = rng.choice((1, 2, 2, 3, 3, 4))
            facts = []
            for p in range(size):
                able = rng.random() < (0.25 if size == 1 else 0.75)
                fact = {
                    "id": None,
                    "able_to_work": able,
                    "social_protection": not able and rng.random() < 0.5,
                    "merit": rng.random() < 0.02,
                    "disability": rng.random() < 0.03,
                    "sex": "M" if p % 2 == 0 else "F",
                    "birth_year": 1950 + (i + p) % 55,
                    "ethnicity": "Kinh" if rng.random() < 0.95 else "Khmer",
                    "relation": "head" if p == 0 else "child",
                }
                fact["ethnic_group"] = "01" if fact["ethnicity"] == "Kinh" else "05"
                facts.append(fact)
                member_rows.append(
                    (
                        hid,
                        f"Thành viên {i}-{p}",
                        fact["sex"],
                        fact["birth_year"],
                        fact["relation"],
                        "",
                        fact["ethnicity"],
                        group_ids[fact["ethnic_group"]],
                        fact["able_to_work"],
                        fact["social_protection"],
                        fact["merit"],
                        fact["disability"],
                        p + 1,
                    )
                )
            members_of.append(facts)
        copy_rows(
            Member._meta.db_table,
            [
                "household_id",
                "full_name",
                "sex",
                "birth_year",
                "relation",
                "citizen_id",
                "ethnicity",
                "ethnic_group_id",
                "able_to_work",
                "social_protection",
                "merit",
                "disability",
                "position",
            ],
            member_rows,
        )
        del member_rows
        with connection.cursor() as cursor:  # each household's member count, as the services keep it
            cursor.execute(
                "UPDATE households_household h SET member_count = s.n FROM (SELECT household_id, COUNT(*) AS n "
                "FROM households_member WHERE household_id = ANY(%s) GROUP BY household_id) s WHERE h.id = s.household_id",
                [ids],
            )
        memo: dict = {}
        bands = [rng.random() for _ in ids]
        counts: dict[int, int] = {}
        for c in chosen:
            counts[c.pk] = counts.get(c.pk, 0) + 1
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
                    res = cl.classify(
                        spec,
                        area=commune.area_type,
                        income=income,
                        deprived=deprived,
                        members=[cl.MemberFacts(f["able_to_work"], f["social_protection"]) for f in facts],
                    )
                    memo[key] = res
                rows.append(
                    (
                        hid,
                        survey_round.pk,
                        criteria.pk,
                        commune.pk,
                        None,
                        commune.area_type,
                        income,
                        len(facts),
                        sum(f["able_to_work"] for f in facts),
                        sum(f["social_protection"] for f in facts),
                        json.dumps(facts, ensure_ascii=False),
                        res.category.value,
                        res.group.value if res.group else "",
                        res.deprived_count,
                        res.explanation_vi,
                        res.explanation_en,
                        1,
                        None,
                        now,
                        now,
                        "income",
                        0,
                    )
                )
                deprived_of.append(deprived)
            copy_rows(
                Assessment._meta.db_table,
                [
                    "household_id",
                    "round_id",
                    "criteria_set_id",
                    "commune_id",
                    "hamlet_id",
                    "area_type",
                    "income_per_capita",
                    "member_count",
                    "able_to_work_count",
                    "social_protection_count",
                    "members_snapshot",
                    "category",
                    "group",
                    "deprived_count",
                    "explanation_vi",
                    "explanation_en",
                    "version",
                    "assessed_by_id",
                    "created_at",
                    "updated_at",
                    "basis",
                    "low_income_workers",
                ],
                rows,
            )
            del rows
            aids = list(Assessment.objects.filter(round=survey_round).order_by("household_id").values_list("id", flat=True))
            copy_rows(
                Assessment.deprived_indicators.through._meta.db_table,
                ["assessment_id", "indicator_id"],
                ((aid, indicator_ids[c]) for aid, d in zip(aids, deprived_of, strict=True) for c in d),
            )
            Denominator.objects.bulk_create(
                [Denominator(round=survey_round, commune_id=cid, total_households=n + n // 20) for cid, n in counts.items()]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - t0
    print(
        f"Built {households} households {prefix}… ({province.name}) with members and two rounds of assessments in {elapsed:.1f} s."
    )
    return elapsed
