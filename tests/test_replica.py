"""The read-replica router (issue 15 item 7): reports and the API's read-only aggregate endpoints read from `replica`
when one is configured; writes, and personal-data pages, stay on `default`. Tested with Django's test mirror."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.factories import approved_list, assess, client_for, make_household

# Committed data (a transactional test): the mirror is its own connection to the same database, as a real replica is.
pytestmark = pytest.mark.django_db(databases=["default", "replica"], transaction=True)


@pytest.fixture
def replica_on(settings):
    settings.POVREG_READ_REPLICA = True


def _queries(alias, call):
    with CaptureQueriesContext(connections[alias]) as captured:
        response = call()
    return response, len(captured.captured_queries)


def test_approved_rates_and_the_report_page_read_the_replica(
    replica_on, client, round_2024, officer_a, commune_a, department, api_reader
):
    assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    approved_list(round_2024, commune_a, total_households=10, poor=1)
    reader = client_for(api_reader)
    query = {"round": round_2024.code, "unit": commune_a.code, "level": "commune"}
    (answer, on_replica) = _queries("replica", lambda: reader.get("/api/v1/rates/", query))
    assert answer.status_code == 200 and answer.json()["total"]["poor"] == 1
    assert on_replica >= 1
    client.force_login(department)
    page, on_replica = _queries(
        "replica", lambda: client.get("/reports/rates/", {"round": round_2024.code, "unit": commune_a.code})
    )
    assert page.status_code == 200 and on_replica >= 1


def test_writes_and_personal_pages_stay_on_the_primary(replica_on, client, round_2024, officer_a, commune_a):
    household = make_household(officer_a, commune_a)
    client.force_login(officer_a)
    page, on_replica = _queries("replica", lambda: client.get(f"/households/{household.code}/"))
    assert page.status_code == 200 and on_replica == 0
    api, on_replica = _queries(
        "replica",
        lambda: client_for(officer_a).post(
            "/api/v1/assessments/",
            {"round": round_2024.code, "household": household.code, "income_per_capita": 1_000_000, "deprived": []},
            format="json",
        ),
    )
    assert api.status_code == 201 and on_replica == 0


def test_without_a_replica_everything_reads_the_primary(client, round_2024, api_reader, commune_a):
    query = {"round": round_2024.code, "unit": commune_a.code, "level": "commune"}
    answer, on_replica = _queries("replica", lambda: client_for(api_reader).get("/api/v1/rates/", query))
    assert answer.status_code == 200 and on_replica == 0
