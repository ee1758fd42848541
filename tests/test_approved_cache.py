"""Approved rates and flows cached on the round's approval stamp (issue 15 item 1): ETag and Cache-Control, a 304
for a matching If-None-Match with no body work, and never a stale number after an approval, a correction
revision or the province's decision, in local memory or in Redis."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys import approval
from surveys.models import SurveyRound
from surveys.rounds import round_create
from tests.factories import client_for, fill_commune, recognise, record_procedure

TODAY = timezone.localdate()


def _approve(officer, district_officer, department, commune, survey_round):
    fill_commune(officer, commune, survey_round, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer, round=survey_round, commune=commune)
    record_procedure(officer, commune_list, posting_end=TODAY - datetime.timedelta(days=1))
    commune_list = approval.commune_list_submit(actor=officer, commune_list=commune_list)
    commune_list = approval.commune_list_review(actor=district_officer, commune_list=commune_list)
    return approval.commune_list_approve(actor=department, commune_list=recognise(commune_list))


@pytest.fixture
def rates_query(round_2024, province):
    return {"round": round_2024.code, "unit": province.code, "level": "province"}


def test_approved_rates_carry_an_etag_and_a_matching_one_gets_a_304_without_body_work(rates_query, api_reader):
    reader = client_for(api_reader)
    first = reader.get("/api/v1/rates/", rates_query)
    assert first.status_code == 200 and first["ETag"].startswith('"') and first["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first["Vary"]
    with CaptureQueriesContext(connection) as queries:
        again = reader.get("/api/v1/rates/", rates_query, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    # Only the approval stamp is read (plus what authentication and the access policy read): no aggregation.
    assert not [q for q in queries.captured_queries if "surveys_communelist" in q["sql"] or "surveys_listentry" in q["sql"]]
    assert len(queries.captured_queries) <= 3, [q["sql"] for q in queries.captured_queries]
    other = reader.get("/api/v1/rates/", {**rates_query, "decimals": 3}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200 and other["ETag"] != first["ETag"]
    # Live numbers are never cached.
    assert "ETag" not in client_for(api_reader).get("/api/v1/rates/", {**rates_query, "status": "all"})


def test_an_approval_is_seen_at_once(rates_query, round_2024, commune_a, officer_a, district_officer, department, api_reader):
    reader = client_for(api_reader)
    before = reader.get("/api/v1/rates/", rates_query)
    assert before.json()["total"]["communes_included"] == 0
    stamp = SurveyRound.objects.get(pk=round_2024.pk).approval_stamp
    approved = _approve(officer_a, district_officer, department, commune_a, round_2024)
    assert SurveyRound.objects.get(pk=round_2024.pk).approval_stamp == stamp + 1
    after = reader.get("/api/v1/rates/", rates_query, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.json()["total"]["communes_included"] == 1 and after.json()["total"]["poor"] == approved.poor

    # A correction revision and the province's decision bump the stamp too.
    approval.commune_list_open_revision(actor=department, commune_list=approved, reason="Sửa sai sót")
    reopened = reader.get("/api/v1/rates/", rates_query, HTTP_IF_NONE_MATCH=after["ETag"])
    assert reopened.status_code == 200 and reopened["ETag"] != after["ETag"]
    approval.round_decision_record(actor=department, round=round_2024, number="9/QĐ-UBND", date=TODAY, signer="Chủ tịch")
    assert reader.get("/api/v1/rates/", rates_query, HTTP_IF_NONE_MATCH=reopened["ETag"]).status_code == 200


def test_an_approval_in_a_previous_round_reaches_the_next_rounds_flows(
    round_2024, province, commune_a, officer_a, district_officer, department, api_reader
):
    later = round_create(
        actor=department,
        code="BD-2025",
        year=2025,
        criteria_set=round_2024.criteria_set,
        province=province,
        previous_round=round_2024,
    )
    reader = client_for(api_reader)
    query = {"round": later.code, "unit": province.code, "level": "province"}
    before = reader.get("/api/v1/flows/", query)
    assert before.status_code == 200 and before.json()["total"]["start"] == 0
    approved = _approve(officer_a, district_officer, department, commune_a, round_2024)
    after = reader.get("/api/v1/flows/", query, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    # What a server with an empty cache answers now, the cached server answers too.
    from django.core.cache import cache

    cache.clear()
    assert reader.get("/api/v1/flows/", query).json() == after.json()
    assert approved.poor > 0


def test_bad_parameters_are_never_cached_and_stay_400s(rates_query, api_reader):
    reader = client_for(api_reader)
    assert reader.get("/api/v1/rates/", {**rates_query, "unit": "99999"}).status_code == 400
    assert reader.get("/api/v1/rates/", {**rates_query, "round": "NOPE"}).status_code == 400
    assert reader.get("/api/v1/rates/", {**rates_query, "unit": "99999"}, HTTP_IF_NONE_MATCH="*").status_code == 400


def test_the_redis_backend_serves_the_same_answers(
    settings, rates_query, round_2024, commune_a, officer_a, district_officer, department, api_reader
):
    """CACHE_URL=redis://…: the machine's Redis (127.0.0.1:6379, database 15 for tests)."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "povreg-test",
        }
    }
    caches["default"].clear()
    try:
        reader = client_for(api_reader)
        first = reader.get("/api/v1/rates/", rates_query)
        stored = [k.decode() for k in caches["default"]._cache.get_client().keys("povreg-test:*")]
        assert any(":povreg:approved:" in k for k in stored), stored  # the answer is in Redis
        assert reader.get("/api/v1/rates/", rates_query, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        _approve(officer_a, district_officer, department, commune_a, round_2024)
        fresh = reader.get("/api/v1/rates/", rates_query, HTTP_IF_NONE_MATCH=first["ETag"])
        assert fresh.status_code == 200 and fresh.json()["total"]["communes_included"] == 1
    finally:
        caches["default"].clear()
