"""docs/operations.md's backup and restore, run for real: pg_dump of the test database, pg_restore into a new
database, and the same row counts and checksums of households, members and assessments on both sides.
PostgreSQL only (the production database; SQLite is backed up by copying its file)."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import assess, make_household

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="pg_dump/pg_restore back up PostgreSQL"
)

CHECKSUM_SQL = """
SELECT 'households', count(*), md5(string_agg(code || '|' || commune_id || '|' || status, ',' ORDER BY code)) FROM households_household
UNION ALL SELECT 'members', count(*), md5(string_agg(household_id || '|' || full_name || '|' || citizen_id, ',' ORDER BY id)) FROM households_member
UNION ALL SELECT 'assessments', count(*), md5(string_agg(household_id || '|' || round_id || '|' || category || '|' || income_per_capita, ',' ORDER BY id)) FROM surveys_assessment
"""


def _dsn(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _checksums(dsn: str):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(CHECKSUM_SQL)
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_give_the_same_registry(tmp_path, officer_a, commune_a, round_2024):
    for shipped in ("pg_dump", "pg_restore"):
        assert shutil.which(shipped), f"{shipped} is needed (Debian package postgresql-client; .ci/run installs it)"
    for i in range(5):
        household = make_household(officer_a, commune_a, code=f"BK-{i}")
        assess(officer_a, household, round_2024, 900_000 + i * 500_000, ["WATER", "LATRINE", "NUTRITION"])
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "povreg.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _dsn(source)], check=True, timeout=120)
    target = f"restore_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(_dsn("postgres"))
    admin.autocommit = True
    try:
        admin.cursor().execute(f'CREATE DATABASE "{target}"')
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_dsn(target)}", str(dump)], check=True, timeout=120
        )
        before, after = _checksums(_dsn(source)), _checksums(_dsn(target))
        assert before == after
        assert [row[1] for row in before] == [5, 15, 5]  # the households, their 3 members each, their assessments
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.close()
