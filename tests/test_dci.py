"""DCI Social Registry synchronous search (docs/dci.md): requests and answers validated against the published
specification shipped in dci/spec/, scope, search by identifier and by area + category, pagination, refusals."""

from __future__ import annotations

import copy
import datetime
import functools
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.conf import settings
from referencing import Registry
from referencing.jsonschema import DRAFT4

from core.models import AccessChannel, PersonalDataAccess, TokenScope
from core.tokens import token_issue
from households.models import Member
from households.services import household_set_status
from surveys.models import CriteriaSet
from surveys.rounds import round_create
from tests.factories import approved_list, assess, client_for, make_household

pytestmark = pytest.mark.django_db

URL = "/api/v1/dci/registry/sync/search"
SPEC_PATH = Path(settings.BASE_DIR) / "dci" / "spec" / "social_api_v1.0.0.yaml"
SPEC_URI = "urn:spdci:social_api_v1.0.0"
OPERATION = "#/paths/~1registry~1sync~1search/post"
CID = "074080000123"
POOR_DEPRIVED = ["WATER", "LATRINE", "NUTRITION"]


# --- the published schema -----------------------------------------------------------------------------------

format_checker = jsonschema.FormatChecker(formats=())


@format_checker.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    # RFC 3339 as the spec means it: a date, a time and a zone (jsonschema checks date-time only with an extra
    # package; this is the same rule).
    if not isinstance(value, str):
        return True
    moment = datetime.datetime.fromisoformat(value)
    return "T" in value.upper() and moment.tzinfo is not None


def _through_refs(spec: dict, pointer: str) -> str:
    """The JSON pointer `pointer` with every `$ref` it passes through followed. The published file's bundler wrote
    three references that way (e.g. `…/message/oneOf/0/properties/search_request/…`, where `oneOf/0` is itself a
    `$ref` to SearchRequest); JSON Pointer does not follow references, so they are resolved here as meant."""
    node, path = spec, []
    for raw in pointer.removeprefix("#/").split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        while isinstance(node, dict) and key not in node and "$ref" in node:
            path = node["$ref"].removeprefix("#/").split("/")
            node = spec
            for part in path:
                part = part.replace("~1", "/").replace("~0", "~")
                node = node[int(part)] if isinstance(node, list) else node[part]
        node = node[int(key)] if isinstance(node, list) else node[key]
        path.append(raw)
    return "#/" + "/".join(path)


def _resolve_refs_through_refs(spec, node=None):
    node = spec if node is None else node
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            node["$ref"] = _through_refs(spec, node["$ref"])
        for value in node.values():
            _resolve_refs_through_refs(spec, value)
    elif isinstance(node, list):
        for value in node:
            _resolve_refs_through_refs(spec, value)


@functools.cache
def _validator(pointer: str) -> jsonschema.Draft4Validator:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    _resolve_refs_through_refs(spec)
    registry = Registry().with_resource(SPEC_URI, DRAFT4.create_resource(spec))
    # OpenAPI 3.0's schema objects are JSON Schema draft 4 (wright-00) with extra keywords (example, …), which a
    # draft-4 validator ignores.
    return jsonschema.Draft4Validator({"$ref": SPEC_URI + pointer}, registry=registry, format_checker=format_checker)


def request_errors(body) -> list[str]:
    validator = _validator(f"{OPERATION}/requestBody/content/application~1json/schema")
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def assert_spec_response(response) -> dict:
    """The answer as the spec describes it for its status: 401/403 the HTTP error object, any other the search
    response envelope (the operation's `default`)."""
    body = response.json()
    if response.status_code in (401, 403):  # the operation's 401 and 403 refer to HttpErrorResponse
        validator = _validator("#/components/responses/HttpErrorResponse/content/application~1json/schema")
    else:
        validator = _validator(f"{OPERATION}/responses/default/content/application~1json/schema")
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], (errors, body)
    return body


def test_the_shipped_spec_is_the_published_one_with_its_licence():
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert spec["openapi"] == "3.0.3" and "/registry/sync/search" in spec["paths"]
    licence = (SPEC_PATH.parent / "LICENSE.md").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Digital Convergence Initiative" in licence
    readme = (SPEC_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert "b4816e1ecf415a5ac6635085fec0656160d285ea" in readme and "release/yaml/social_api_v1.0.0.yaml" in readme


# --- requests -----------------------------------------------------------------------------------------------


def search_request(query_type: str, query, *, reference_id: str = "r1", pagination=None, sort=None, **criteria) -> dict:
    search_criteria = {
        "version": "1.0.0",
        "reg_event_type": "REGISTER",
        "query_type": query_type,
        "response_entity": "Group",
        "query": query,
        **criteria,
    }
    if pagination is not None:
        search_criteria["pagination"] = pagination
    if sort is not None:
        search_criteria["sort"] = sort
    return {
        "reference_id": reference_id,
        "timestamp": "2025-01-31T09:30:00+07:00",
        "search_criteria": search_criteria,
        "locale": "vie",
    }


def message(*requests) -> dict:
    return {
        "signature": "",
        "header": {
            "version": "1.0.0",
            "message_id": "m-1",
            "message_ts": "2025-01-31T09:30:00+07:00",
            "action": "search",
            "sender_id": "sp-system.example.vn",
            "receiver_id": "povreg",
            "total_count": len(requests),
            "is_msg_encrypted": False,
        },
        "message": {"transaction_id": "t-1", "search_request": list(requests)},
    }


def by_id(id_type: str, value: str, **kwargs) -> dict:
    return search_request("idtype-value", {"type": id_type, "value": value}, **kwargs)


def predicate(*expressions, **kwargs) -> dict:
    """Each expression a (name, operator, value) triple, or a (triple, condition, triple) for a joined pair."""
    items = []
    for seq, expression in enumerate(expressions, 1):
        if isinstance(expression[0], str):
            items.append({"seq_num": seq, "expression1": _expression(*expression)})
        else:
            first, condition, second = expression
            items.append(
                {"seq_num": seq, "expression1": _expression(*first), "condition": condition, "expression2": _expression(*second)}
            )
    return search_request("predicate", items, **kwargs)


def _expression(name: str, operator: str, value) -> dict:
    return {"attribute_name": name, "operator": operator, "attribute_value": value}


def post(client, body, *, status: int = 200, spec_valid: bool = True) -> dict:
    """Send `body` (checked against the spec's request schema first) and return the spec-valid answer."""
    assert (request_errors(body) == []) is spec_valid, request_errors(body)
    response = client.post(URL, body, format="json")
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return assert_spec_response(response)


def records(answer: dict, index: int = 0) -> list[dict]:
    return answer["message"]["search_response"][index]["data"]["reg_records"]


def codes(answer: dict, index: int = 0) -> list[str]:
    return [r["group_identifier"][0]["identifier_value"] for r in records(answer, index)]


def attribute(record: dict, name: str):
    return next((a["value"] for a in record["additional_attributes"] if a["name"] == name), None)


# --- data -----------------------------------------------------------------------------------------------------


@pytest.fixture
def world(officer_a, officer_b, department, commune_a, commune_b, round_2024):
    """Commune A (urban): A-POOR (poor, a member with a citizen ID), A-NEAR (near-poor), A-NOT (not poor), A-NEW
    (registered since, on no list); commune B (rural): B-POOR. Both lists of 2024 approved."""
    households = {}
    for code, income, deprived in (("A-POOR", 1_500_000, POOR_DEPRIVED), ("A-NEAR", 1_500_000, []), ("A-NOT", 5_000_000, [])):
        households[code] = make_household(officer_a, commune_a, code=code)
        assess(officer_a, households[code], round_2024, income, deprived)
    Member.objects.filter(household=households["A-POOR"], relation="head").update(citizen_id=CID)
    households["B-POOR"] = make_household(officer_b, commune_b, code="B-POOR", hamlet_name="Ấp 1")
    assess(officer_b, households["B-POOR"], round_2024, 1_000_000, POOR_DEPRIVED)
    approved_list(round_2024, commune_a)
    approved_list(round_2024, commune_b)
    households["A-NEW"] = make_household(officer_a, commune_a, code="A-NEW")  # registered after the approval
    return households


# --- search by identifier --------------------------------------------------------------------------------------


def test_search_by_household_code_answers_the_spec_envelope(world, officer_a):
    answer = post(client_for(officer_a), message(by_id("HOUSEHOLD_CODE", "A-POOR")))
    header, item = answer["header"], answer["message"]["search_response"][0]
    assert (header["action"], header["status"], header["total_count"], header["completed_count"]) == ("on-search", "succ", 1, 1)
    assert header["receiver_id"] == "sp-system.example.vn" and header["message_id"] != "m-1"
    assert answer["message"]["transaction_id"] == "t-1" and answer["message"]["correlation_id"]
    assert (item["reference_id"], item["status"], item["locale"]) == ("r1", "succ", "vie")
    assert item["pagination"] == {"page_size": 20, "page_number": 1, "total_count": 1}
    [record] = records(answer)
    assert record["group_identifier"] == [
        {"@type": "Identifier", "identifier_type": "HOUSEHOLD_CODE", "identifier_value": "A-POOR"}
    ]
    assert record["group_type"] == "household" and record["group_size"] == 3 == len(record["member_list"])
    assert (attribute(record, "poverty_category"), attribute(record, "poverty_group")) == ("poor", "poverty_reduction")
    assert (attribute(record, "poverty_round"), attribute(record, "commune_code"), attribute(record, "province_code")) == (
        "BD-2024",
        "25747",
        "74",
    )
    head = record["group_head_info"]
    assert head["relationship_head"] == "self" and head["member_identifier"][0]["identifier_value"] == CID
    assert head["demographic_info"]["name"] == {"@type": "Name", "surname": "Nguyễn", "given_name": "Văn Hùng"}
    assert head["demographic_info"]["sex"] == "male" and head["additional_attributes"] == [{"name": "YOB", "value": 1980}]
    assert "Phường Phú Cường" in record["place"]["address"]
    # The records' personal data is in the access log, as for every API read of a household.
    assert PersonalDataAccess.objects.filter(user=officer_a, household=world["A-POOR"], channel=AccessChannel.API).count() == 1


def test_search_by_a_members_citizen_id(world, department):
    answer = post(client_for(department), message(by_id("UIN", CID)))
    assert codes(answer) == ["A-POOR"]
    assert codes(post(client_for(department), message(by_id("UIN", "074080000999")))) == []


def test_a_household_on_no_approved_list_has_no_category(world, officer_a):
    [record] = records(post(client_for(officer_a), message(by_id("HOUSEHOLD_CODE", "A-NEW"))))
    assert attribute(record, "poverty_category") is None and attribute(record, "household_status") == "active"


# --- scope ----------------------------------------------------------------------------------------------------


def test_an_officer_finds_only_the_households_of_their_commune(world, officer_a, officer_b, department):
    for user, expected in ((officer_b, []), (officer_a, ["A-POOR"]), (department, ["A-POOR"])):
        assert codes(post(client_for(user), message(by_id("HOUSEHOLD_CODE", "A-POOR")))) == expected, user
    # Asking by A's commune or by the province gives B's officer nothing of A.
    area_a = post(client_for(officer_b), message(predicate(("area_code", "eq", "25747"))))
    assert codes(area_a) == [] and area_a["message"]["search_response"][0]["pagination"]["total_count"] == 0
    assert codes(post(client_for(officer_b), message(predicate(("area_code", "eq", "74"))))) == ["B-POOR"]
    assert PersonalDataAccess.objects.filter(user=officer_b, household__code__startswith="A-").count() == 0


def test_roles_without_personal_data_and_anonymous_callers_are_refused(world, api_reader, outsider):
    body = message(by_id("HOUSEHOLD_CODE", "A-POOR"))
    for user, status in ((None, 401), (api_reader, 403), (outsider, 403)):
        response = client_for(user).post(URL, body, format="json")
        assert response.status_code == status
        assert_spec_response(response)
        assert "A-POOR" not in response.content.decode()


def test_api_tokens(world, department, api_reader):
    from rest_framework.test import APIClient

    body = json.dumps(message(by_id("HOUSEHOLD_CODE", "A-POOR")))
    for user, scope, status in (
        (department, TokenScope.READ, 200),
        (department, TokenScope.WRITE, 200),
        (department, TokenScope.AGGREGATES, 403),
        (api_reader, TokenScope.WRITE, 403),
    ):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user, scope=scope)[1]}")
        response = client.post(URL, body, content_type="application/json")
        assert response.status_code == status, (user, scope, response.content)
        assert_spec_response(response)
        assert ("A-POOR" in response.content.decode()) == (status == 200)


# --- search by attributes ---------------------------------------------------------------------------------------


def test_search_by_area_and_category(world, department, officer_a):
    client = client_for(department)
    poor_74 = post(client, message(predicate(("area_code", "eq", "74"), ("poverty_category", "eq", "poor"))))
    assert codes(poor_74) == ["A-POOR", "B-POOR"]
    both = post(client, message(predicate(("area_code", "eq", "25747"), ("poverty_category", "in", "poor,near_poor"))))
    assert codes(both) == ["A-NEAR", "A-POOR"]
    joined = predicate(
        ("area_code", "eq", "25747"), (("poverty_category", "eq", "poor"), "or", ("poverty_category", "eq", "near_poor"))
    )
    assert codes(post(client, message(joined))) == ["A-NEAR", "A-POOR"]
    # The district of commune A (Thủ Dầu Một, 718) covers A, not B; the answer is the same for A's officer.
    district = predicate(("area_code", "eq", world["A-POOR"].commune.parent.code), ("poverty_category", "eq", "poor"))
    assert codes(post(client, message(district))) == codes(post(client_for(officer_a), message(district))) == ["A-POOR"]
    assert codes(
        post(client, message(predicate(("area_code", "in", "25747,25816"), ("poverty_category", "eq", "not_poor"))))
    ) == ["A-NOT"]


def test_the_category_is_the_one_of_the_latest_approved_list(world, department, officer_a, round_2024):
    """Poor on the 2024 list, not poor on the approved 2025 list: not found as poor; a list not yet approved changes
    nothing."""
    r2025 = round_create(
        actor=department,
        code="BD-2025",
        year=2025,
        criteria_set=CriteriaSet.objects.get(code="VN-2022"),
        province=round_2024.province,
    )
    poor = message(predicate(("area_code", "eq", "25747"), ("poverty_category", "eq", "poor")))
    assess(officer_a, world["A-POOR"], r2025, 5_000_000, [])
    assert codes(post(client_for(department), poor)) == ["A-POOR"]  # 2025 assessed, but no 2025 list approved
    approved_list(r2025, world["A-POOR"].commune)
    assert codes(post(client_for(department), poor)) == []
    [record] = records(post(client_for(department), message(by_id("HOUSEHOLD_CODE", "A-POOR"))))
    assert (attribute(record, "poverty_category"), attribute(record, "poverty_round")) == ("not_poor", "BD-2025")


def test_households_no_longer_active_only_when_asked(world, officer_a):
    household_set_status(actor=officer_a, household=world["A-NEAR"], status="moved", reason="Chuyển đi Bình Phước")
    client = client_for(officer_a)
    assert codes(post(client, message(predicate(("area_code", "eq", "25747"), ("poverty_category", "eq", "near_poor"))))) == []
    moved = predicate(("area_code", "eq", "25747"), ("household_status", "eq", "moved"))
    assert codes(post(client, message(moved))) == ["A-NEAR"]
    [record] = records(post(client, message(by_id("HOUSEHOLD_CODE", "A-NEAR"))))
    assert attribute(record, "household_status") == "moved"


def test_an_empty_result_is_a_success(world, officer_a):
    answer = post(client_for(officer_a), message(predicate(("area_code", "eq", "25816"), ("poverty_category", "eq", "poor"))))
    item = answer["message"]["search_response"][0]
    assert (answer["header"]["status"], item["status"], item["data"]["reg_records"]) == ("succ", "succ", [])
    assert item["pagination"]["total_count"] == 0


# --- pagination, sort, batches ---------------------------------------------------------------------------------


def test_pagination_walks_every_household_once(world, officer_a, commune_a):
    for n in range(3):
        make_household(officer_a, commune_a, code=f"A-EXTRA-{n}")
    client, seen = client_for(officer_a), []
    everyone = ["A-POOR", "A-NEAR", "A-NOT", "A-NEW", "A-EXTRA-0", "A-EXTRA-1", "A-EXTRA-2"]
    for page in (1, 2, 3, 4):
        answer = post(client, message(predicate(("area_code", "eq", "25747"), pagination={"page_size": 3, "page_number": page})))
        item = answer["message"]["search_response"][0]
        assert item["pagination"] == {"page_size": 3, "page_number": page, "total_count": 7}
        assert len(records(answer)) == [3, 3, 1, 0][page - 1]
        seen += codes(answer)
    assert sorted(seen) == sorted(everyone) and len(seen) == len(set(seen))  # each once, in the database's order
    backwards = post(
        client,
        message(
            predicate(
                ("area_code", "eq", "25747"),
                sort=[{"attribute_name": "HOUSEHOLD_CODE", "sort_order": "desc"}],
                pagination={"page_size": 2},
            )
        ),
    )
    assert codes(backwards) == seen[::-1][:2]


def test_page_size_is_limited(world, officer_a):
    body = message(predicate(("area_code", "eq", "25747"), pagination={"page_size": 1000}))
    answer = post(client_for(officer_a), body, status=400)
    item = answer["message"]["search_response"][0]
    assert (item["status"], item["status_reason_code"]) == ("rjct", "rjct.pagination.invalid")
    assert answer["errors"][0]["field"] == "message.search_request[0].search_criteria.pagination.page_size"


def test_a_batch_answers_each_request(world, officer_a):
    body = message(
        by_id("HOUSEHOLD_CODE", "A-POOR", reference_id="a"),
        by_id("HOUSEHOLD_CODE", "nope", reference_id="b"),
        predicate(("area_code", "eq", "99999"), reference_id="c"),
    )
    answer = post(client_for(officer_a), body)
    statuses = [(i["reference_id"], i["status"], i.get("status_reason_code")) for i in answer["message"]["search_response"]]
    assert statuses == [("a", "succ", None), ("b", "succ", None), ("c", "rjct", "rjct.search_criteria.invalid")]
    assert codes(answer, 0) == ["A-POOR"] and codes(answer, 1) == []
    assert (answer["header"]["status"], answer["header"]["total_count"], answer["header"]["completed_count"]) == ("succ", 3, 3)
    assert "errors" not in answer


def test_queries_do_not_grow_with_the_page(world, officer_a, commune_a, django_assert_max_num_queries):
    for n in range(25):
        make_household(officer_a, commune_a, code=f"A-MANY-{n:02d}")
    client = client_for(officer_a)
    body = message(predicate(("area_code", "eq", "74"), pagination={"page_size": 30}))
    with django_assert_max_num_queries(8):
        answer = post(client, body)
    assert len(records(answer)) == 29


# --- refusals -----------------------------------------------------------------------------------------------


def _without(path: str):
    def change(body):
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[last]

    return change


def _set(path: str, value):
    def change(body):
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return change


CRITERIA = "message.search_request.0.search_criteria"
ITEM_FIELD = "message.search_request[0].search_criteria"


@pytest.mark.parametrize(
    ("change", "spec_valid", "field", "code"),
    [
        # what the spec's schema refuses
        (_without("header.action"), False, "header.action", "rjct.action.invalid"),
        (_set("header.action", "subscribe"), False, "header.action", "rjct.action.invalid"),
        (_set("header.message_ts", "yesterday"), False, "header.message_ts", "rjct.message_ts.invalid"),
        (_without("header.sender_id"), False, "header.sender_id", None),
        (_set("header.total_count", "1"), False, "header.total_count", "rjct.total_count.invalid"),
        (_without("message.transaction_id"), False, "message.transaction_id", None),
        (_without("message"), False, "message", None),
        (
            _without("message.search_request.0.reference_id"),
            False,
            "message.search_request[0].reference_id",
            "rjct.reference_id.invalid",
        ),
        (_set(f"{CRITERIA}.query_type", "sql"), False, f"{ITEM_FIELD}.query_type", "rjct.search_criteria.invalid"),
        (
            _set(f"{CRITERIA}.pagination", {"page_number": 2}),
            False,
            f"{ITEM_FIELD}.pagination.page_size",
            "rjct.pagination.invalid",
        ),
        (
            _set(f"{CRITERIA}.sort", [{"attribute_name": "code", "sort_order": "up"}]),
            False,
            f"{ITEM_FIELD}.sort[0].attribute_name",
            "rjct.sort.invalid",
        ),
        # valid for the schema, but not something Povreg answers
        (_set("header.total_count", 2), True, "header.total_count", "rjct.total_count.invalid"),
        (
            _set(f"{CRITERIA}.query", {"type": "PASSPORT", "value": "B123"}),
            True,
            f"{ITEM_FIELD}.query.type",
            "rjct.search_criteria.invalid",
        ),
        (
            _set(f"{CRITERIA}.query", {"type": "UIN", "value": "123"}),
            True,
            f"{ITEM_FIELD}.query.value",
            "rjct.search_criteria.invalid",
        ),
        (_set(f"{CRITERIA}.query_type", "expression"), True, f"{ITEM_FIELD}.query_type", "rjct.search_criteria.invalid"),
        (_set(f"{CRITERIA}.response_entity", "Member"), True, f"{ITEM_FIELD}.response_entity", "rjct.search_criteria.invalid"),
        (_set(f"{CRITERIA}.pagination", {"page_size": 0}), True, f"{ITEM_FIELD}.pagination.page_size", "rjct.pagination.invalid"),
        (
            _set(f"{CRITERIA}.pagination", {"page_size": 5, "page_number": 0}),
            True,
            f"{ITEM_FIELD}.pagination.page_number",
            "rjct.pagination.invalid",
        ),
        (_set("header.is_msg_encrypted", True), True, "header.is_msg_encrypted", None),
    ],
)
def test_a_bad_request_is_refused_naming_the_field(world, officer_a, change, spec_valid, field, code):
    body = copy.deepcopy(message(by_id("HOUSEHOLD_CODE", "A-POOR", pagination={"page_size": 5})))
    change(body)
    answer = post(client_for(officer_a), body, status=400, spec_valid=spec_valid)
    assert answer["header"]["status"] == "rjct" and "A-POOR" not in json.dumps(answer)
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, code or "invalid")]
    if field.startswith("message.search_request[0]."):
        item = answer["message"]["search_response"][0]
        assert (item["status"], item["status_reason_code"]) == ("rjct", code)
        assert item["status_reason_message"].startswith(field)
    elif code is not None:
        assert answer["header"]["status_reason_code"] == code


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (
            [{"expression1": {"attribute_name": "income", "operator": "eq", "attribute_value": "1"}}],
            "query[0].expression1.attribute_name",
        ),
        (
            [{"expression1": {"attribute_name": "area_code", "operator": "lt", "attribute_value": "74"}}],
            "query[0].expression1.operator",
        ),
        (
            [{"expression1": {"attribute_name": "area_code", "operator": "eq", "attribute_value": "99999"}}],
            "query[0].expression1.attribute_value",
        ),
        (
            [{"expression1": {"attribute_name": "area_code", "operator": "eq", "attribute_value": "Bình Dương"}}],
            "query[0].expression1.attribute_value",
        ),
        (
            [{"expression1": {"attribute_name": "poverty_category", "operator": "in", "attribute_value": "poor,rich"}}],
            "query[0].expression1.attribute_value",
        ),
        (
            [
                {
                    "expression1": {"attribute_name": "area_code", "operator": "eq", "attribute_value": "74"},
                    "condition": "not",
                    "expression2": {"attribute_name": "poverty_category", "operator": "eq", "attribute_value": "poor"},
                }
            ],
            "query[0].condition",
        ),
        (
            [{"expression1": {"attribute_name": "area_code", "operator": "eq", "attribute_value": "74"}, "condition": "and"}],
            "query[0].expression2",
        ),
        ([], "query"),
    ],
)
def test_a_bad_predicate_is_refused_naming_it(world, officer_a, query, field):
    answer = post(client_for(officer_a), message(search_request("predicate", query)), status=400)
    assert [e["field"] for e in answer["errors"]] == [f"{ITEM_FIELD}.{field}"]


def test_a_body_that_is_not_a_json_message_is_refused(world, officer_a):
    client = client_for(officer_a)
    broken = client.generic("POST", URL, "{not json", content_type="application/json")
    assert broken.status_code == 400 and assert_spec_response(broken)["errors"][0]["field"] == "body"
    for body in ([1, 2], "search"):
        response = client.post(URL, body, format="json")
        assert response.status_code == 400 and assert_spec_response(response)["errors"][0]["field"] == "body"
    form = client.post(URL, {"header": "x"})
    assert form.status_code == 415 and assert_spec_response(form)["header"]["status"] == "rjct"
    too_many = message(*[by_id("HOUSEHOLD_CODE", "A-POOR", reference_id=f"r{n}") for n in range(11)])
    answer = post(client, too_many, status=400)
    assert answer["header"]["status_reason_code"] == "rjct.total_count.limit_exceeded"
    twice = message(
        by_id("HOUSEHOLD_CODE", "A-POOR", reference_id="same"), by_id("HOUSEHOLD_CODE", "A-NEAR", reference_id="same")
    )
    statuses = [(i["status"], i.get("status_reason_code")) for i in post(client, twice)["message"]["search_response"]]
    assert statuses == [("succ", None), ("rjct", "rjct.reference_id.duplicate")]
    assert client.get(URL).status_code == 405


def test_the_dci_endpoint_is_left_out_of_the_projects_openapi_schema(client, db):
    """Its contract is the DCI specification shipped in dci/spec/, not the generated schema."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert not [path for path in schema["paths"] if "dci" in path]


@pytest.mark.parametrize(
    "change",
    [
        _set("header", ["search"]),
        _set("header.message_id", {"id": 1}),
        _set("message.search_request", {"0": {}}),
        _set("message.search_request.0", "r1"),
        _set("message.search_request.0.reference_id", ["r1"]),
        _set(f"{CRITERIA}.sort", [{"attribute_name": ["HOUSEHOLD_CODE"], "sort_order": {"a": 1}}]),
        _set(f"{CRITERIA}.sort", {"attribute_name": "HOUSEHOLD_CODE"}),
        _set(f"{CRITERIA}.query", {"type": ["UIN"], "value": {"$ne": None}}),
        _set(f"{CRITERIA}.query", {"type": "HOUSEHOLD_CODE", "value": "x" * 5000}),
        _set(f"{CRITERIA}.query_type", ["predicate"]),
        _set(f"{CRITERIA}.pagination", {"page_size": 1e308, "page_number": -1}),
        _set(f"{CRITERIA}.pagination", {"page_size": 5, "page_number": 10**30}),
        _set(f"{CRITERIA}.pagination", {"page_size": True}),
        _set(f"{CRITERIA}.query_type", "predicate"),
        _set(
            f"{CRITERIA}",
            {
                "query_type": "predicate",
                "query": [
                    {
                        "expression1": {
                            "attribute_name": "area_code",
                            "operator": "in",
                            "attribute_value": [{"a": 1}, None, 10**30],
                        }
                    }
                ],
            },
        ),
        _set(
            f"{CRITERIA}",
            {
                "query_type": "predicate",
                "query": [
                    {"expression1": {"attribute_name": "UIN", "operator": "in", "attribute_value": ",".join(["0" * 12] * 500)}}
                ],
            },
        ),
    ],
)
def test_hostile_bodies_never_get_a_server_error(world, officer_a, change):
    body = copy.deepcopy(message(by_id("HOUSEHOLD_CODE", "A-POOR", pagination={"page_size": 5})))
    change(body)
    response = client_for(officer_a).post(URL, body, format="json")
    assert response.status_code in (200, 400), response.content[:500]
    answer = assert_spec_response(response)
    assert answer["header"]["status"] in ("succ", "rjct")
