"""Registry API: units, rounds, households, assessments and their audit trails, per persona."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from households.models import Hamlet, Household
from surveys.models import Assessment
from tests.factories import assert_error, assess, client_for, make_household

POOR = {"income_per_capita": 1_000_000, "deprived": ["EMPLOYMENT", "NUTRITION", "WATER"]}
MEMBERS = [
    {"full_name": "Lê Văn Nam", "sex": "M", "birth_year": 1975, "relation": "head", "able_to_work": True},
    {"full_name": "Phạm Thị Lan", "sex": "F", "birth_year": 1978, "relation": "spouse"},
]


@pytest.fixture
def hh_a(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-0001")
    assess(officer_a, household, round_2024, POOR["income_per_capita"], POOR["deprived"])
    return household


@pytest.fixture
def hh_b(officer_b, commune_b, round_2024):
    household = make_household(officer_b, commune_b, code="B-0001")
    assess(officer_b, household, round_2024, 5_000_000)
    return household


# --- persona matrix for reads -------------------------------------------------------------------

PERSONAL_URLS = [
    "/api/v1/households/",
    "/api/v1/households/A-0001/",
    "/api/v1/households/A-0001/audit/",
    "/api/v1/assessments/",
    "/api/v1/assessments/BD-2024/A-0001/",
    "/api/v1/assessments/BD-2024/A-0001/audit/",
]


@pytest.mark.parametrize("url", PERSONAL_URLS)
def test_personal_data_endpoints_per_persona(
    url, hh_a, hh_b, officer_a, officer_b, chairman_a, district_officer, department, api_reader, outsider
):
    assert_error(client_for().get(url), 401, code="not_authenticated")
    assert_error(client_for(api_reader).get(url), 403, code="permission_denied")
    assert_error(client_for(outsider).get(url), 403, code="permission_denied")
    for user in (officer_a, chairman_a, district_officer, department):
        assert client_for(user).get(url).status_code == 200, user
    response = client_for(officer_b).get(url)
    if url.endswith("/A-0001/") or url.endswith("/audit/"):
        assert_error(response, 404, code="not_found")
    else:
        assert response.status_code == 200
        codes = [r["household"] if "household" in r else r["code"] for r in response.json()["results"]]
        assert codes == ["B-0001"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/units/",
        "/api/v1/units/25747/",
        "/api/v1/rounds/",
        "/api/v1/rounds/BD-2024/",
        "/api/v1/criteria-sets/",
        "/api/v1/criteria-sets/VN-2022/",
    ],
)
def test_public_facts_need_a_login_only(url, round_2024, api_reader, outsider, officer_b):
    assert_error(client_for().get(url), 401)
    for user in (api_reader, outsider, officer_b):
        assert client_for(user).get(url).status_code == 200


def test_unknown_codes_are_404(round_2024, department):
    client = client_for(department)
    for url in ("/api/v1/units/99999/", "/api/v1/rounds/NOPE/", "/api/v1/households/NOPE/", "/api/v1/assessments/BD-2024/NOPE/"):
        assert_error(client.get(url), 404)


# --- units and rounds ---------------------------------------------------------------------------


def test_units_filter_and_lookup(province, commune_a, outsider):
    client = client_for(outsider)
    body = client.get("/api/v1/units/", {"parent": commune_a.parent.code, "level": "commune", "page_size": 500}).json()
    codes = {u["code"] for u in body["results"]}
    assert commune_a.code in codes and body["count"] == len(codes)
    assert all(u["parent"] == commune_a.parent.code for u in body["results"])
    under = client.get("/api/v1/units/", {"under": commune_a.parent.code}).json()
    assert under["count"] == body["count"] + 1
    unit = client.get(f"/api/v1/units/{commune_a.code}/").json()
    assert unit == {**unit, "code": commune_a.code, "level": "commune", "area_type": "urban", "structure": "legacy"}
    assert_error(client.get("/api/v1/units/", {"level": "hamlet"}), 400, field="level")
    assert_error(client.get("/api/v1/units/", {"page_size": "many"}), 400, field="page_size")
    assert_error(client.get("/api/v1/units/", {"page": "999"}), 404)
    assert_error(client.get(f"/api/v1/units/{commune_a.code}/", {"structure": "1990"}), 400, field="structure")


def test_rounds_list_and_detail(round_2024, api_reader):
    client = client_for(api_reader)
    body = client.get("/api/v1/rounds/").json()
    assert [r["code"] for r in body["results"]] == ["BD-2024"]
    detail = client.get("/api/v1/rounds/BD-2024/").json()
    assert detail["criteria_set"] == "VN-2022" and detail["province"] == "74" and detail["structure"] == "legacy"


# --- households ---------------------------------------------------------------------------------


def test_household_detail_has_members_and_etag(hh_a, officer_a):
    response = client_for(officer_a).get("/api/v1/households/A-0001/")
    body = response.json()
    assert response["ETag"] == f'"{body["version"]}"'
    assert body["commune"] == "25747" and body["hamlet"] == "Khu phố 1" and len(body["members"]) == 3
    assert "id" not in body


def test_household_filters(hh_a, hh_b, department, commune_a):
    client = client_for(department)
    assert [h["code"] for h in client.get("/api/v1/households/", {"unit": commune_a.parent.code}).json()["results"]] == ["A-0001"]
    assert [h["code"] for h in client.get("/api/v1/households/", {"round": "BD-2024", "category": "poor"}).json()["results"]] == [
        "A-0001"
    ]
    assert [h["code"] for h in client.get("/api/v1/households/", {"q": "B-00"}).json()["results"]] == ["B-0001"]
    assert [h["code"] for h in client.get("/api/v1/households/", {"ordering": "-code"}).json()["results"]] == ["B-0001", "A-0001"]
    assert_error(client.get("/api/v1/households/", {"round": "nonexistent"}), 400, field="round")
    assert_error(client.get("/api/v1/households/", {"category": "rich"}), 400, field="category")
    assert_error(client.get("/api/v1/households/", {"ordering": "password"}), 400, field="ordering")


def test_household_create(officer_a, commune_a, commune_b, chairman_a, api_reader):
    Hamlet.objects.create(commune=commune_a, name="Khu phố 2")
    payload = {"code": "A-NEW1", "commune": commune_a.code, "hamlet": "Khu phố 2", "head_name": "Lê Văn Nam", "members": MEMBERS}
    before = AuditEvent.objects.count()
    response = client_for(officer_a).post("/api/v1/households/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["members"][1]["full_name"] == "Phạm Thị Lan" and response["ETag"] == '"1"'
    assert AuditEvent.objects.count() == before + 1
    assert_error(client_for(officer_a).post("/api/v1/households/", payload, format="json"), 400, field="code")
    assert_error(
        client_for(officer_a).post(
            "/api/v1/households/", {**payload, "code": "A-NEW2", "commune": commune_b.code}, format="json"
        ),
        400,
        field="commune",
    )
    assert_error(client_for(chairman_a).post("/api/v1/households/", {**payload, "code": "A-NEW3"}, format="json"), 403)
    assert_error(client_for(api_reader).post("/api/v1/households/", {**payload, "code": "A-NEW4"}, format="json"), 403)
    assert_error(client_for().post("/api/v1/households/", payload, format="json"), 401)
    bad = client_for(officer_a).post(
        "/api/v1/households/", {**payload, "code": "A-NEW5", "members": [{**MEMBERS[0], "sex": "X"}]}, format="json"
    )
    assert_error(bad, 400, field="members[0].sex")
    assert_error(client_for(officer_a).post("/api/v1/households/", {"code": "A-NEW6"}, format="json"), 400, field="commune")
    assert not Household.objects.filter(code__in=["A-NEW2", "A-NEW3", "A-NEW4", "A-NEW5", "A-NEW6"]).exists()


def test_household_update_needs_the_current_version(hh_a, officer_a, officer_b):
    client = client_for(officer_a)
    url = "/api/v1/households/A-0001/"
    assert_error(client.patch(url, {"head_name": "Trần Văn Tư"}, format="json"), 400, field="version", code="required")
    events = AuditEvent.objects.count()
    stale = client.patch(url, {"head_name": "Trần Văn Tư", "version": hh_a.version + 5}, format="json")
    assert_error(stale, 409, field="version", code="conflict")
    assert Household.objects.get(pk=hh_a.pk).head_name == "Nguyễn Văn Hùng" and AuditEvent.objects.count() == events
    ok = client.patch(url, {"head_name": "Trần Văn Tư", "members": MEMBERS}, format="json", HTTP_IF_MATCH=f'"{hh_a.version}"')
    assert ok.status_code == 200, ok.json()
    # head_name is the head member's name (issue 12): the member list decides it.
    assert (
        ok.json()["head_name"] == MEMBERS[0]["full_name"]
        and ok.json()["version"] == hh_a.version + 1
        and len(ok.json()["members"]) == 2
    )
    # The members changed, so the open round's assessment was recomputed from the new facts.
    assert Assessment.objects.get(household=hh_a).member_count == 2
    assert_error(
        client.patch(
            url, {"members": [{"full_name": "Lê Văn Nam", "birth_year": 1975}], "version": hh_a.version + 1}, format="json"
        ),
        400,
        field="members[0].sex",
    )
    assert_error(client.patch(url, {"head_name": "X", "version": hh_a.version}, format="json"), 409)
    assert_error(client.patch(url, {"code": "A-9999", "version": hh_a.version + 1}, format="json"), 400, field="code")
    assert_error(client_for(officer_b).patch(url, {"head_name": "X", "version": 2}, format="json"), 404)
    assert client.put(url, {"head_name": "X"}, format="json").status_code == 405


def test_household_status_change(hh_a, officer_a):
    client = client_for(officer_a)
    url = "/api/v1/households/A-0001/status/"
    assert_error(client.post(url, {"status": "moved", "version": 1}, format="json"), 400, field="reason")
    assert_error(client.post(url, {"status": "moved", "reason": "r", "version": 9}, format="json"), 409)
    response = client.post(url, {"status": "moved", "reason": "Chuyển đi Bình Phước", "version": hh_a.version}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "moved"
    audit = client.get("/api/v1/households/A-0001/audit/").json()
    assert audit["results"][0]["action"] == "household.status_changed" and audit["results"][0]["reason"] == "Chuyển đi Bình Phước"


# --- assessments --------------------------------------------------------------------------------


def test_assessment_create_is_classified_by_the_server(officer_a, commune_a, round_2024, api_reader, officer_b):
    make_household(officer_a, commune_a, code="A-0002")
    client = client_for(officer_a)
    payload = {"round": "BD-2024", "household": "A-0002", **POOR}
    assert_error(client.post("/api/v1/assessments/", {**payload, "category": "not_poor"}, format="json"), 400, field="category")
    events = AuditEvent.objects.count()
    response = client.post("/api/v1/assessments/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["category"] == "poor" and body["group"] == "poverty_reduction" and body["deprived_count"] == 3
    assert sorted(body["deprived"]) == sorted(POOR["deprived"]) and body["version"] == 1
    assert AuditEvent.objects.count() == events + 1
    assert_error(client.post("/api/v1/assessments/", payload, format="json"), 409, field="household")
    make_household(officer_a, commune_a, code="A-0003")
    payload["household"] = "A-0003"
    assert_error(client.post("/api/v1/assessments/", {**payload, "round": "nonexistent"}, format="json"), 400, field="round")
    assert_error(client.post("/api/v1/assessments/", {**payload, "deprived": ["NOPE"]}, format="json"), 400, field="deprived")
    assert_error(
        client.post("/api/v1/assessments/", {**payload, "income_per_capita": -5}, format="json"), 400, field="income_per_capita"
    )
    assert_error(
        client.post("/api/v1/assessments/", {**payload, "income_per_capita": 1.5}, format="json"), 400, field="income_per_capita"
    )
    assert_error(client.post("/api/v1/assessments/", {"household": "A-0003", **POOR}, format="json"), 400, field="round")
    assert not Assessment.objects.filter(household__code="A-0003").exists()
    assert_error(client_for(officer_b).post("/api/v1/assessments/", payload, format="json"), 400, field="household")
    assert_error(client_for(api_reader).post("/api/v1/assessments/", payload, format="json"), 403)


def test_assessment_update_with_version(hh_a, officer_a, chairman_a):
    client = client_for(officer_a)
    url = "/api/v1/assessments/BD-2024/A-0001/"
    current = client.get(url)
    assert current["ETag"] == '"1"' and current.json()["category"] == "poor"
    assert_error(client.put(url, {"income_per_capita": 5_000_000, "deprived": []}, format="json"), 400, field="version")
    assert_error(client.put(url, {"income_per_capita": 5_000_000, "deprived": [], "version": 7}, format="json"), 409)
    assert Assessment.objects.get(household=hh_a).income_per_capita == 1_000_000
    response = client.put(url, {"income_per_capita": 1_000_000, "deprived": [], "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["category"] == "near_poor" and response.json()["version"] == 2
    assert_error(client_for(chairman_a).put(url, {"income_per_capita": 1, "deprived": [], "version": 2}, format="json"), 403)
    assert_error(
        client.put(url, {"income_per_capita": 1, "deprived": [], "version": 2, "round": "BD-2023"}, format="json"),
        400,
        field="round",
    )
    trail = client.get(url + "audit/").json()["results"]
    assert [e["action"] for e in trail] == ["assessment.updated", "assessment.created"]


def test_assessment_filters(hh_a, hh_b, department):
    client = client_for(department)
    rows = client.get("/api/v1/assessments/", {"round": "BD-2024", "category": "poor"}).json()["results"]
    assert [r["household"] for r in rows] == ["A-0001"]
    assert_error(client.get("/api/v1/assessments/", {"round": "nonexistent"}), 400, field="round")
    assert_error(client.get("/api/v1/assessments/", {"group": "x"}), 400, field="group")


# --- query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/households/",
        "/api/v1/assessments/",
        "/api/v1/units/?page_size=500",
        "/api/v1/rounds/",
        "/api/v1/households/A-0001/audit/",
    ],
)
def test_list_query_counts_do_not_grow_with_rows(url, hh_a, officer_a, commune_a, round_2024, django_assert_max_num_queries):
    client = client_for(officer_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    bound = len(few.captured_queries)  # read now: the query log is a bounded deque
    assert bound <= 12
    for n in range(15):
        household = make_household(officer_a, commune_a)
        assess(officer_a, household, round_2024, 1_000_000, ["WATER"])
        client.patch(
            "/api/v1/households/A-0001/",
            {"address": f"{n} Đường 3", "version": Household.objects.get(code="A-0001").version},
            format="json",
        )
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200
