"""GET /api/v1/rates/ and /api/v1/flows/: aggregates for the API reader, validation, access, throttling."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.throttling import AnonRateThrottle

from surveys.models import CommuneList, CriteriaSet, ListStatus
from surveys.rounds import denominator_set, round_create
from tests.factories import approved_list, assert_error, assess, client_for, make_household

RATE_KEYS = {
    "unit_code",
    "unit_name",
    "total_households",
    "poor",
    "poor_rate",
    "poverty_reduction",
    "poverty_reduction_rate",
    "social_protection",
    "social_protection_rate",
    "near_poor",
    "near_poor_rate",
    "poor_persons",
    "near_poor_persons",
    "total_persons",
    "poor_persons_rate",
    "near_poor_persons_rate",
    "communes",
    "communes_included",
    "level",
}


@pytest.fixture
def data(officer_a, department, commune_a, round_2024):
    poor = make_household(officer_a, commune_a, code="A-0001")
    assess(officer_a, poor, round_2024, 1_000_000, ["EMPLOYMENT", "NUTRITION", "WATER"])
    near = make_household(officer_a, commune_a, code="A-0002")
    assess(officer_a, near, round_2024, 1_000_000, [])
    denominator_set(actor=department, round=round_2024, commune=commune_a, total_households=200)
    return round_2024


def rates(client, **params):
    return client.get("/api/v1/rates/", {"round": "BD-2024", "unit": "74", **params})


def test_api_reader_pulls_approved_rates_at_every_level(data, api_reader, commune_a):
    client = client_for(api_reader)
    body = rates(client, level="commune").json()
    row = next(r for r in body["results"] if r["unit_code"] == commune_a.code)
    assert set(row) == RATE_KEYS and row["communes_included"] == 0 and row["poor"] == 0
    CommuneList.objects.create(
        round=data,
        commune=commune_a,
        status=ListStatus.APPROVED,
        total_households=294_573,
        poor=3_206,
        poverty_reduction=1_989,
        social_protection=1_217,
        near_poor=2_883,
        poor_persons=9_000,
        near_poor_persons=8_000,
    )
    for level, unit in (("commune", commune_a.code), ("district", commune_a.parent.code), ("province", "74")):
        body = rates(client, level=level, unit=unit).json()
        assert body["count"] == 1 and body["level"] == level and body["status"] == "approved"
        [row] = body["results"]
        assert (
            row["unit_code"],
            row["poor_rate"],
            row["poverty_reduction_rate"],
            row["social_protection_rate"],
            row["near_poor_rate"],
        ) == (unit, "1.09", "0.68", "0.41", "0.98")
        assert body["total"]["poor"] == 3_206
    districts = rates(client, level="district").json()
    assert districts["count"] == len({r["unit_code"] for r in districts["results"]}) > 1
    assert districts["total"]["poor_rate"] == "1.09"


def test_status_all_is_for_the_department(data, department, api_reader, officer_a, commune_a):
    body = rates(client_for(department), level="commune", unit=commune_a.code, status="all").json()
    [row] = body["results"]
    assert (row["total_households"], row["poor"], row["near_poor"], row["poor_rate"], row["near_poor_rate"]) == (
        200,
        1,
        1,
        "0.50",
        "0.50",
    )
    for user in (api_reader, officer_a):
        assert_error(rates(client_for(user), level="commune", status="all"), 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"round": "nonexistent"}, "round"),
        ({"unit": "99"}, "unit"),
        ({"unit": "25816"}, "level"),  # a commune with level=district: above the unit
        ({"level": "hamlet"}, "level"),
        ({"status": "draft"}, "status"),
        ({"level": None}, "level"),
        ({"round": ""}, "round"),
    ],
)
def test_bad_parameters_are_400_naming_them(data, api_reader, params, field):
    query = {"round": "BD-2024", "unit": "74", "level": "district", **params}
    query = {k: v for k, v in query.items() if v is not None}
    for url in ("/api/v1/rates/", "/api/v1/flows/"):
        assert_error(client_for(api_reader).get(url, query), 400, field=field)


def test_unit_code_is_resolved_in_the_rounds_structure(data, department, province):
    from households.units import load_2025

    load_2025("79")  # Ho Chi Minh City after 1 July 2025, successor of Binh Duong's communes
    body = rates(client_for(department), level="province", status="all").json()
    assert body["results"][0]["unit_code"] == "74" and body["results"][0]["poor"] == 1
    assert_error(rates(client_for(department), unit="79", level="province"), 400, field="unit")


def test_aggregates_need_a_role_and_a_login(data, outsider):
    for url in ("/api/v1/rates/", "/api/v1/flows/"):
        assert_error(client_for().get(url, {"round": "BD-2024", "unit": "74", "level": "province"}), 401)
        assert_error(client_for(outsider).get(url, {"round": "BD-2024", "unit": "74", "level": "province"}), 403)


@override_settings(POVREG_PUBLIC_RATES=True)
def test_public_rates_setting_lets_anonymous_read_approved_numbers_only(data):
    anonymous = client_for()
    assert rates(anonymous, level="province").status_code == 200
    assert client_for().get("/api/v1/flows/", {"round": "BD-2024", "unit": "74", "level": "province"}).status_code == 200
    assert_error(rates(anonymous, level="province", status="all"), 401)
    assert_error(anonymous.get("/api/v1/households/"), 401)


@override_settings(POVREG_PUBLIC_RATES=True)
def test_anonymous_calls_are_throttled(data, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "3/min"})
    anonymous = client_for()
    assert [rates(anonymous, level="province").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert_error(rates(anonymous, level="province"), 429, code="throttled")


def test_flows_endpoint(officer_a, department, api_reader, commune_a, province):
    vn2022 = CriteriaSet.objects.get(code="VN-2022")
    r2023 = round_create(actor=department, code="T-2023", year=2023, criteria_set=vn2022, province=province)
    r2024 = round_create(actor=department, code="T-2024", year=2024, criteria_set=vn2022, province=province)
    escaped = make_household(officer_a, commune_a)
    assess(officer_a, escaped, r2023, 1_000_000, ["EMPLOYMENT", "NUTRITION", "WATER"])
    assess(officer_a, escaped, r2024, 1_000_000, [])
    newly = make_household(officer_a, commune_a)
    assess(officer_a, newly, r2024, 1_000_000, ["EMPLOYMENT", "NUTRITION", "WATER"])
    query = {"round": "T-2024", "unit": commune_a.code, "level": "commune", "status": "all"}
    body = client_for(department).get("/api/v1/flows/", query).json()
    assert body["previous_round"] == "T-2023" and body["kind"] == "poor"
    [row] = body["results"]
    assert (row["start"], row["escaped_to_near_poor"], row["newly_poor"], row["end"]) == (1, 1, 1, 1)
    near = client_for(department).get("/api/v1/flows/", {**query, "kind": "near_poor"}).json()["results"][0]
    assert (near["start"], near["poor_to_near_poor"], near["end"]) == (0, 1, 1)
    assert_error(client_for(api_reader).get("/api/v1/flows/", query), 403)
    for surveyed in (r2023, r2024):
        approved_list(surveyed, commune_a)
    approved = client_for(api_reader).get("/api/v1/flows/", {**query, "status": "approved"}).json()
    assert approved["results"][0]["end"] == 1 and approved["total"]["start"] == 1
    assert_error(client_for(api_reader).get("/api/v1/flows/", {**query, "kind": "rich"}), 400, field="kind")


def test_rates_and_flows_query_counts_are_bounded(data, department, commune_a, officer_a, django_assert_max_num_queries):
    client = client_for(department)
    for url in ("/api/v1/rates/", "/api/v1/flows/"):
        with django_assert_max_num_queries(12):
            assert client.get(url, {"round": "BD-2024", "unit": "74", "level": "commune", "status": "all"}).status_code == 200
    for _ in range(10):
        assess(officer_a, make_household(officer_a, commune_a), data, 1_000_000, ["EMPLOYMENT", "NUTRITION", "WATER"])
    for url in ("/api/v1/rates/", "/api/v1/flows/"):
        with django_assert_max_num_queries(12):
            assert client.get(url, {"round": "BD-2024", "unit": "74", "level": "commune", "status": "all"}).status_code == 200
