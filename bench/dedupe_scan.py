"""The province-wide duplicate scan at scale: 300,000 households with realistic Vietnamese names, some registered
twice in a neighbouring commune under a typo, scanned by `dedupe.services.duplicates_scan`.

Usage:  DATABASE_URL=postgres://USER@HOST:5432/DBNAME .venv/bin/python bench/dedupe_scan.py [--households 300000]
            [--planted 600] [--seed 14] [--no-write]
The database is migrated and filled on the first run (households coded DUP-…, Binh Duong's 91 pre-2025 communes,
1–5 members each); a second run reuses them. Prints the scan's time and peak memory, the members read, the pairs compared
(against the all-pairs count that blocking avoids), the pairs queued, and the planted twins found by kind of
variation. Not part of `make test`; measured figures in docs/duplicates.md.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "povreg.settings")

from bench.dedupe_names import VARIATIONS, Names  # noqa: E402  (the name tables, kept apart for length)


def household_people(rng: random.Random, names: Names) -> list[tuple[str, str, int, str]]:
    """(name, sex, birth year, relation) of one household: a head, often a spouse, some children."""
    sex = "M" if rng.random() < 0.7 else "F"
    year = rng.randint(1940, 2000)
    head = names.person(sex)
    people = [(head, sex, year, "head")]
    family = head.split()[0] if sex == "M" else None
    if rng.random() < 0.7:
        other = "F" if sex == "M" else "M"
        spouse = names.person(other)
        people.append((spouse, other, min(2004, max(1935, year + rng.randint(-6, 6))), "spouse"))
        family = family or spouse.split()[0]
    for _ in range(rng.choice((0, 0, 1, 1, 2, 2, 3))):
        child_sex = rng.choice("MF")
        born = year + rng.randint(20, 38)
        if born <= 2024:
            people.append((names.person(child_sex, family), child_sex, born, "child"))
    return people


def vary(rng: random.Random, people, kind: str):
    """The same household typed again with a `kind` of mistake (VARIATIONS); the head always carries it."""
    from households.search import fold

    def change(name: str) -> str:
        words = name.split()
        if kind == "no_marks":
            return " ".join(fold(w).capitalize() for w in words)
        if kind == "family_typo":  # two letters swapped in the family name, or else in a long middle name
            for j, word in enumerate(words[:-1]):
                plain = fold(word)
                if len(plain) >= 5:
                    i = rng.randrange(1, len(plain) - 1)
                    return " ".join(
                        [*words[:j], (plain[:i] + plain[i + 1] + plain[i] + plain[i + 2 :]).capitalize(), *words[j + 1 :]]
                    )
            return name
        if kind == "middle_dropped" and len(words) >= 3:
            return " ".join([words[0], *words[2:]])
        if kind == "marks_partly":
            return " ".join([words[0], fold(words[1]).capitalize(), *words[2:]]) if len(words) >= 3 else name
        return name

    out = []
    for i, (name, sex, year, relation) in enumerate(people):
        if kind == "year_off" and i == 0:
            year += 1
        out.append((change(name) if kind != "id_typo" else name, sex, year, relation))
    # A re-registration often brings fewer people (a child left, not yet entered).
    if len(out) > 2 and rng.random() < 0.3:
        out = out[:-1]
    return out


def build(households: int, planted: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from dedupe.selectors import neighbour_map
    from households.models import AdminUnit, Household, Level, Member, Structure
    from households.search import fold
    from households.units import load_legacy

    call_command("migrate", verbosity=0)
    load_legacy("74")
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code="74")
    existing = Household.objects.filter(code__startswith="DUP-").count()
    if existing:
        print(f"Reusing {existing} DUP households.")
        return
    rng = random.Random(seed)
    names = Names(rng)
    communes = list(AdminUnit.objects.under(province).filter(level=Level.COMMUNE).order_by("code"))
    near = neighbour_map(province)
    weights = [rng.uniform(0.3, 1.7) for _ in communes]
    chosen = rng.choices(communes, weights=weights, k=households)
    t0 = time.perf_counter()
    rows, member_rows = [], []
    twins = set(rng.sample(range(households), planted))
    plan = []  # (code of the original, code of the copy, variation)

    used: set[str] = set()

    def citizen_id(sex: str, year: int, keep: float = 0.6) -> str:
        """60% of people have one: province 074, century and sex, year, six random digits (unique)."""
        if rng.random() > keep:
            return ""
        while True:
            cid = f"074{(0 if year < 2000 else 2) + (sex == 'F')}{year % 100:02d}{rng.randrange(1_000_000):06d}"
            if cid not in used:
                used.add(cid)
                return cid

    def add(code: str, commune_id: int, people, ids=None):
        rows.append((code, commune_id, people[0][0], "", "active", 1, fold(people[0][0]), "now()", "now()"))
        made = []
        for position, (name, sex, year, relation) in enumerate(people, start=1):
            cid = ids[position - 1] if ids and position - 1 < len(ids) else citizen_id(sex, year)
            made.append(cid)
            member_rows.append((code, name, sex, year, relation, cid, "Kinh", True, False, False, False, position))
        return made

    for i, commune in enumerate(chosen):
        people = household_people(rng, names)
        ids = add(f"DUP-{i:07d}", commune.pk, people)
        if i in twins:
            kind = VARIATIONS[len(plan) % len(VARIATIONS)]
            others = sorted(near[commune.pk] - {commune.pk})
            where = commune.pk if rng.random() < 0.2 or not others else rng.choice(others)
            # Citizen IDs are left out the second time; for "id_typo" the head's is typed with its last two digits
            # swapped (or, when they are alike, the last one changed), kept unique.
            copy_ids = [""] * len(ids)
            if kind == "id_typo" and ids[0]:
                cid = ids[0]
                typo = cid[:-2] + cid[-1] + cid[-2] if cid[-1] != cid[-2] else cid[:-1] + str((int(cid[-1]) + 1) % 10)
                if typo not in used:
                    used.add(typo)
                    copy_ids[0] = typo
            add(f"DUP-T{len(plan):06d}", where, vary(rng, people, kind), copy_ids)
            plan.append((f"DUP-{i:07d}", f"DUP-T{len(plan):06d}", kind))

    def copy(table: str, columns: list[str], data) -> None:
        buf = io.StringIO()
        for row in data:
            buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        buf.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)

    with transaction.atomic():
        copy(
            Household._meta.db_table,
            ["code", "commune_id", "head_name", "address", "status", "version", "search_key", "created_at", "updated_at"],
            rows,
        )
        ids = dict(Household.objects.filter(code__startswith="DUP-").values_list("code", "id"))
        copy(
            Member._meta.db_table,
            [
                "household_id",
                "full_name",
                "sex",
                "birth_year",
                "relation",
                "citizen_id",
                "ethnicity",
                "able_to_work",
                "social_protection",
                "merit",
                "disability",
                "position",
            ],
            ((ids[r[0]], *r[1:]) for r in member_rows),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "dedupe_bench_plan.tsv").write_text("\n".join("\t".join(p) for p in plan), encoding="utf-8")
    print(
        f"Built {len(rows)} households ({len(member_rows)} members, {len(plan)} planted twins) in {time.perf_counter() - t0:.1f} s."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--planted", type=int, default=600)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-write", action="store_true", help="find the pairs only (no queue update)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database.", file=sys.stderr)
        return 2
    import django

    django.setup()
    from dedupe.models import DuplicateCandidate
    from dedupe.services import duplicates_scan, find_duplicates
    from households.models import AdminUnit, Household, Member, Structure

    build(args.households, args.planted, args.seed)
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code="74")
    members = Member.objects.filter(household__code__startswith="DUP-").count()
    print(f"Province 74: {Household.objects.filter(code__startswith='DUP-').count()} households, {members} members")
    start = time.perf_counter()
    if args.no_write:
        found, figures = find_duplicates(province=province)
        pairs = {tuple(sorted(key)) for key in found}
        queued = len(found)
    else:
        scan = duplicates_scan(province=province, actor=None)
        figures = {"members": scan.members, "pairs_compared": scan.pairs_compared}
        pairs = set(DuplicateCandidate.objects.values_list("household_a_id", "household_b_id"))
        queued = scan.candidates
    elapsed = time.perf_counter() - start
    everything = figures["members"] * (figures["members"] - 1) // 2
    print(
        f"scan: {elapsed:.1f} s; {figures['members']} members read; {figures['pairs_compared']:,} pairs compared "
        f"({figures['pairs_compared'] / everything:.6%} of all {everything:,}); {queued} pairs queued; "
        f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    plan_file = ROOT / "var" / "dedupe_bench_plan.tsv"
    plan = [line.split("\t") for line in plan_file.read_text(encoding="utf-8").splitlines()] if plan_file.exists() else []
    ids = dict(Household.objects.filter(code__startswith="DUP-").values_list("code", "id"))
    found_by, total_by = Counter(), Counter()
    twins = set()
    for original, copy, kind in plan:
        key = tuple(sorted((ids[original], ids[copy])))
        twins.add(key)
        total_by[kind] += 1
        found_by[kind] += key in pairs
    for kind in (k for k in total_by if k):
        print(f"  planted {kind:20s} found {found_by[kind]:4d} of {total_by[kind]:4d}")
    print(
        f"  planted twins found {sum(found_by.values())} of {len(plan)}; queued pairs that are not planted twins: "
        f"{len(pairs - twins)} (households sharing people's names and birth years by chance)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
