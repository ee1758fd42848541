"""Commune lists over the API: start, submit, review, approve, return, open a revision; per persona."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.models import AuditEvent
from households.models import AdminUnit, Hamlet, Level
from surveys.approval import commune_list_get_or_create, hamlet_meeting_record, public_posting_record
from tests.conftest import assess, make_household
from tests.test_api_support import _fresh_throttle_cache, assert_error, client_for  # noqa: F401

URL = "/api/v1/commune-lists/BD-2024/25747/"


@pytest.fixture
def ready_list(officer_a, commune_a, round_2024):
    """Commune A's draft list with its households assessed and the procedure steps recorded."""
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, ["EMPLOYMENT", "NUTRITION", "WATER"])
    commune_list = commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    today = timezone.localdate()
    hamlet_meeting_record(actor=officer_a, commune_list=commune_list, hamlet=Hamlet.objects.get(commune=commune_a),
                          held_on=today - datetime.timedelta(days=20), attendees=40, agreeing=35)
    public_posting_record(actor=officer_a, commune_list=commune_list, starts_on=today - datetime.timedelta(days=15),
                          ends_on=today - datetime.timedelta(days=5), place="Nhà văn hóa khu phố 1")
    commune_list.refresh_from_db()
    return commune_list


def test_start_a_list(officer_a, round_2024, chairman_a, district_officer, api_reader, officer_b):
    payload = {"round": "BD-2024", "commune": "25747"}
    created = client_for(officer_a).post("/api/v1/commune-lists/", payload, format="json")
    assert created.status_code == 201 and created.json()["status"] == "draft" and created.json()["revision"] == 1
    assert client_for(chairman_a).post("/api/v1/commune-lists/", payload, format="json").status_code == 200
    assert_error(client_for(api_reader).post("/api/v1/commune-lists/", payload, format="json"), 403)
    assert_error(client_for(officer_b).post("/api/v1/commune-lists/", payload, format="json"), 404)
    assert_error(client_for(officer_a).post("/api/v1/commune-lists/", {**payload, "round": "nope"}, format="json"), 400, field="round")
    assert_error(client_for(officer_a).post("/api/v1/commune-lists/", {**payload, "commune": "74"}, format="json"), 400, field="commune")


def test_read_per_persona(ready_list, officer_a, chairman_a, district_officer, department, api_reader, outsider, officer_b):
    for url in (URL, URL + "audit/", "/api/v1/commune-lists/"):
        assert_error(client_for().get(url), 401)
        assert_error(client_for(api_reader).get(url), 403)
        assert_error(client_for(outsider).get(url), 403)
        for user in (officer_a, chairman_a, district_officer, department):
            assert client_for(user).get(url).status_code == 200
    assert_error(client_for(officer_b).get(URL), 404)
    assert client_for(officer_b).get("/api/v1/commune-lists/").json()["count"] == 0
    detail = client_for(officer_a).get(URL)
    assert detail["ETag"] == f'"{ready_list.version}"' and detail.json()["allowed_actions"] == ["submit"]


def test_the_way_to_approval(ready_list, officer_a, district_officer, department, api_reader):
    version = ready_list.version
    assert_error(client_for(officer_a).post(URL + "submit/", {}, format="json"), 400, field="version")
    assert_error(client_for(officer_a).post(URL + "submit/", {"version": version + 1}, format="json"), 409)
    assert_error(client_for(district_officer).post(URL + "submit/", {"version": version}, format="json"), 403)
    events = AuditEvent.objects.count()
    submitted = client_for(officer_a).post(URL + "submit/", {"version": version}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert AuditEvent.objects.count() == events + 1
    version = submitted.json()["version"]
    assert_error(client_for(department).post(URL + "approve/", {"version": version}, format="json"), 400, field="status")
    assert_error(client_for(officer_a).post(URL + "review/", {"version": version}, format="json"), 403)
    reviewed = client_for(district_officer).post(URL + "review/", {}, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "district_reviewed"
    approved = client_for(department).post(URL + "approve/", {"version": reviewed.json()["version"]}, format="json")
    body = approved.json()
    assert approved.status_code == 200 and body["status"] == "approved" and body["poor"] == 1 and body["approved_by"] == "department"
    rates = client_for(api_reader).get("/api/v1/rates/", {"round": "BD-2024", "unit": "25747", "level": "commune"}).json()
    assert rates["results"][0]["poor"] == 1 and rates["results"][0]["communes_included"] == 1
    assert_error(client_for(department).post(URL + "open-revision/", {"version": body["version"]}, format="json"), 400, field="reason")
    revision = client_for(department).post(URL + "open-revision/", {"version": body["version"], "reason": "Phúc tra"}, format="json")
    assert revision.status_code == 200 and revision.json()["revision"] == 2 and revision.json()["status"] == "draft"
    trail = [e["action"] for e in client_for(department).get(URL + "audit/").json()["results"]]
    assert trail[:4] == ["commune_list.revision_opened", "commune_list.approved", "commune_list.district_reviewed", "commune_list.submitted"]


def test_return_needs_a_reason(ready_list, officer_a, department):
    submitted = client_for(officer_a).post(URL + "submit/", {"version": ready_list.version}, format="json").json()
    assert_error(client_for(department).post(URL + "return/", {"version": submitted["version"]}, format="json"), 400, field="reason")
    returned = client_for(department).post(URL + "return/", {"version": submitted["version"], "reason": "Thiếu biên bản"}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned" and returned.json()["returned_reason"] == "Thiếu biên bản"


def test_list_filters_and_query_count(ready_list, department, province, round_2024, django_assert_max_num_queries):
    client = client_for(department)
    assert client.get("/api/v1/commune-lists/", {"round": "BD-2024", "status": "draft"}).json()["count"] == 1
    assert client.get("/api/v1/commune-lists/", {"status": "approved"}).json()["count"] == 0
    assert_error(client.get("/api/v1/commune-lists/", {"round": "nope"}), 400, field="round")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/commune-lists/").status_code == 200
    for commune in AdminUnit.objects.filter(level=Level.COMMUNE, parent__parent=province)[:12]:
        commune_list_get_or_create(actor=department, round=round_2024, commune=commune)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/commune-lists/").json()["count"] >= 12
