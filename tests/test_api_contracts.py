"""DESIGN.md §3 contracts: token, classify, criteria sets, one error format, offline OpenAPI docs."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import assert_error, client_for

CLASSIFY = {
    "criteria_set": "VN-2022",
    "area": "rural",
    "income_per_capita": 1_200_000,
    "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE"],
    "members": [{"able_to_work": True, "social_protection": False}],
}


def test_token_then_token_auth(api_reader, round_2024):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "api_reader", "password": "pw-api_reader"}, format="json")
    assert response.status_code == 200 and {"token", "scope", "expires_at"} == set(response.json())
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/rates/", {"round": "BD-2024", "unit": "74", "level": "province"}).status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get("/api/v1/rounds/"), 401, code="authentication_failed")
    assert_error(APIClient().post("/api/v1/auth/token/", {"username": "api_reader", "password": "x"}, format="json"), 400)


def test_no_credentials_is_401_with_challenge(db):
    response = APIClient().get("/api/v1/criteria-sets/")
    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_session_auth_works(client, officer_a, commune_a):
    client.force_login(officer_a)
    assert client.get("/api/v1/households/").status_code == 200


def test_classify(api_reader):
    response = client_for(api_reader).post("/api/v1/classify/", CLASSIFY, format="json")
    assert response.status_code == 200
    assert response.json()["category"] == "poor" and response.json()["group"] == "poverty_reduction"
    assert response.json()["deprived_count"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"criteria_set": "XX-1"}, "criteria_set"),
        ({"deprived": ["NOPE"]}, "deprived"),
        ({"income_per_capita": -1}, "income_per_capita"),
        ({"income_per_capita": 1.5}, "income_per_capita"),
        ({"income_per_capita": "abc"}, "income_per_capita"),
        ({"area": "suburban"}, "area"),
        ({"members": None}, "members"),
        ({"members": [{"social_protection": True}]}, "members[0].able_to_work"),
    ],
)
def test_classify_bad_input_names_the_field(api_reader, change, field):
    payload = {**CLASSIFY, **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    assert_error(client_for(api_reader).post("/api/v1/classify/", payload, format="json"), 400, field=field)


def test_classify_missing_field(api_reader):
    payload = {k: v for k, v in CLASSIFY.items() if k != "area"}
    assert_error(client_for(api_reader).post("/api/v1/classify/", payload, format="json"), 400, field="area", code="required")


def test_criteria_sets(api_reader, django_assert_max_num_queries):
    client = client_for(api_reader)
    with django_assert_max_num_queries(6):
        sets = client.get("/api/v1/criteria-sets/").json()
    assert {"VN-2016", "VN-2022", "VN-2027", "BD-2016"} <= {s["code"] for s in sets}
    detail = client.get("/api/v1/criteria-sets/VN-2022/").json()
    assert {"code", "name", "legal_basis", "valid_from", "valid_to", "indicators", "rules"} <= set(detail)
    assert {"code", "dimension", "name", "threshold"} <= set(detail["indicators"][0])
    assert len(detail["indicators"]) == 12
    assert_error(client.get("/api/v1/criteria-sets/NOPE/"), 404)


def test_malformed_json_is_400(officer_a):
    response = client_for(officer_a).generic("POST", "/api/v1/households/", "{not json", content_type="application/json")
    assert_error(response, 400)


# --- OpenAPI and offline docs -------------------------------------------------------------------


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    text = (tmp_path / "schema.yml").read_text()
    for path in (
        "/api/v1/rates/",
        "/api/v1/flows/",
        "/api/v1/households/{code}/",
        "/api/v1/assessments/{round_code}/{household_code}/",
    ):
        assert f"  {path}:" in text


def test_schema_endpoint_is_openapi_3(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary"), (method, path)


ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""", re.I)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_nothing_from_other_hosts(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html
    external = [a for pair in ASSET.findall(html) for a in pair if a and re.match(r"(?:https?:)?//", a)]
    assert external == [], external
    assert not re.search(r"https?://(?!testserver)", html), re.findall(r"https?://\S+", html)
    assert "drf_spectacular_sidecar" in html or "/static/" in html
    # What the bundled scripts would fetch at run time (ReDoc's footer logo from cdn.redoc.ly) the browser
    # refuses before asking: the page's policy names no other host.
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy and "default-src 'self'" in policy and "http" not in policy
