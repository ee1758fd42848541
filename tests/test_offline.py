"""The offline entry app, server side (issue 16): the commune's package (scope, content, expiry, audit), the app's
page, service worker and manifest, and the idempotent writes its sync relies on (Idempotency-Key)."""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from core.models import AccessChannel, AuditEvent, PersonalDataAccess
from households.models import Household, Member
from offline.models import IdempotencyRecord
from offline.selectors import next_household_code, spec_json
from surveys import classification as cl
from surveys.models import Assessment, CommuneList, CriteriaSet, ListStatus
from surveys.services import criteria_spec
from tests.factories import CLASSIFICATION_CASES as CASES
from tests.factories import assert_error, assess, client_for, make_household

PACKAGE = "/offline/package/"


@pytest.fixture(scope="module", autouse=True)
def restore_shipped_sets_afterwards(django_db_setup, django_db_blocker):
    """The one transactional test here ends with a flush that also empties the data migrations' rows: put the shipped
    criteria sets and ethnic groups back for the modules that run after this one."""
    yield
    with django_db_blocker.unblock():
        _install_shipped()


def _install_shipped() -> None:
    from households.ethnicity import install_groups
    from surveys.criteria_data import install
    from surveys.models import Indicator, Rule

    install(CriteriaSet, Indicator, Rule)
    install_groups()


def _household_body(code: str, commune: str = "25747", **extra) -> dict:
    return {
        "code": code,
        "commune": commune,
        "hamlet": "Khu phố 9",
        "head_name": "Lò Văn Páo",
        "address": "Tổ 3",
        "members": [
            {
                "full_name": "Lò Văn Páo",
                "sex": "M",
                "birth_year": 1970,
                "relation": "head",
                "ethnicity": "03",
                "able_to_work": True,
            },
            {
                "full_name": "Lò Thị Xuân",
                "sex": "F",
                "birth_year": 1974,
                "relation": "spouse",
                "ethnicity": "03",
                "able_to_work": False,
            },
        ],
        **extra,
    }


@pytest.fixture
def two_communes(officer_a, officer_b, commune_a, commune_b, round_2024):
    a1 = make_household(officer_a, commune_a, code="25747-0007")
    Member.objects.filter(household=a1, relation="head").update(citizen_id="074080000123")
    assess(officer_a, a1, round_2024, 1_234_567, ["WATER", "LATRINE", "NUTRITION"])
    a2 = make_household(officer_a, commune_a, code="25747-0012", hamlet_name="Khu phố 2")
    b1 = make_household(officer_b, commune_b, code="25816-0001")
    return {"a1": a1, "a2": a2, "b1": b1}


# --- the package --------------------------------------------------------------------------------------------------


def test_an_officer_takes_their_commune_and_only_it(client, officer_a, two_communes, round_2024, django_assert_max_num_queries):
    client.force_login(officer_a)
    with django_assert_max_num_queries(40):
        response = client.get(PACKAGE)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    package = response.json()
    assert package["commune"] == {"code": "25747", "name": "Phường Phú Cường", "area_type": "urban"}
    assert [h["code"] for h in package["households"]] == ["25747-0007", "25747-0012"]
    assert "25816-0001" not in response.content.decode()
    first = package["households"][0]
    # What entry needs: members with their facts, no citizen IDs on the device.
    assert {"full_name", "sex", "birth_year", "relation", "ethnicity", "able_to_work", "social_protection"} <= set(
        first["members"][0]
    )
    assert "citizen_id" not in first["members"][0] and "074080000123" not in response.content.decode()
    assessment = Assessment.objects.get(household=two_communes["a1"], round=round_2024)
    assert first["assessment"]["version"] == assessment.version
    assert (first["assessment"]["category"], first["assessment"]["income_per_capita"]) == (assessment.category, 1_234_567)
    assert first["assessment"]["deprived"] == ["NUTRITION", "WATER", "LATRINE"]  # in the set's order
    assert package["households"][1]["assessment"] is None
    assert package["round"]["code"] == "BD-2024" and package["round"]["area_type"] == "urban"
    assert package["round"]["list_locked"] is False
    assert package["criteria_set"]["code"] == "VN-2022" and len(package["criteria_set"]["indicators"]) == 12
    assert {"threshold_vi", "threshold_en", "name_vi", "name_en"} <= set(package["criteria_set"]["indicators"][0])
    assert package["hamlets"] == ["Khu phố 1", "Khu phố 2"]
    assert package["next_code"] == "25747-0013"
    assert len(package["ethnic_groups"]) == 54 and package["user"]["username"] == "officer_a"


def test_the_package_costs_the_same_queries_for_more_households(client, officer_a, commune_a, round_2024):
    client.force_login(officer_a)
    for _ in range(2):
        assess(officer_a, make_household(officer_a, commune_a), round_2024, 900_000, ["WATER"])
    client.get(PACKAGE)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(PACKAGE)
    for _ in range(8):
        assess(officer_a, make_household(officer_a, commune_a), round_2024, 900_000, ["WATER", "LATRINE"])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(PACKAGE).json()["households"]) == 10
    assert len(many) == len(few)


def test_taking_offline_is_audited_and_logged_as_personal_data_access(client, officer_a, two_communes):
    client.force_login(officer_a)
    client.get(PACKAGE)
    event = AuditEvent.objects.get(action="export.offline_package")
    assert (event.actor_username, event.target_type, event.changes["rows"]) == ("officer_a", "households.adminunit", [None, 2])
    logged = set(
        PersonalDataAccess.objects.filter(user=officer_a, channel=AccessChannel.EXPORT).values_list("household_id", flat=True)
    )
    assert logged == {two_communes["a1"].pk, two_communes["a2"].pk}


def test_officer_b_gets_nothing_of_commune_a(client, officer_b, two_communes):
    client.force_login(officer_b)
    refused = client.get(PACKAGE, {"commune": "25747"})
    assert (
        refused.status_code == 404
        and "25747-0007" not in refused.content.decode()
        and "Phú Cường" not in refused.content.decode()
    )
    own = client.get(PACKAGE).json()
    assert [h["code"] for h in own["households"]] == ["25816-0001"] and own["commune"]["area_type"] == "rural"
    assert not AuditEvent.objects.filter(action="export.offline_package", target_id=str(two_communes["a1"].commune_id)).exists()


@pytest.mark.parametrize("persona", ["chairman_a", "district_officer", "api_reader", "outsider"])
def test_roles_that_do_not_enter_households_get_no_package(client, request, persona, two_communes):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(PACKAGE, {"commune": "25747"})
    assert response.status_code == 403 and "25747-0007" not in response.content.decode()
    assert client.get("/offline/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, two_communes):
    for path in (PACKAGE, "/offline/", "/offline/session/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_department_staff_name_the_commune(client, department, two_communes):
    client.force_login(department)
    body = assert_error(client.get(PACKAGE), 400, field="commune", code="required")
    assert body["errors"][0]["field"] == "commune"
    assert [h["code"] for h in client.get(PACKAGE, {"commune": "25747"}).json()["households"]] == ["25747-0007", "25747-0012"]
    assert client.get(PACKAGE, {"commune": "x" * 300}).status_code == 404


def test_a_submitted_list_is_announced_in_the_package(client, officer_a, commune_a, round_2024):
    CommuneList.objects.create(round=round_2024, commune=commune_a, status=ListStatus.SUBMITTED)
    client.force_login(officer_a)
    assert client.get(PACKAGE).json()["round"]["list_locked"] is True


def test_no_open_round_still_gives_the_households(client, officer_a, commune_a, round_2024):
    round_2024.is_open = False
    round_2024.save()
    make_household(officer_a, commune_a, code="25747-0001")
    client.force_login(officer_a)
    package = client.get(PACKAGE).json()
    assert package["round"] is None and package["criteria_set"] is None and len(package["households"]) == 1


# --- expiry -------------------------------------------------------------------------------------------------------


def test_the_copy_carries_its_expiry_from_the_setting(client, settings, officer_a, commune_a, round_2024):
    settings.POVREG_OFFLINE_DAYS = 3
    client.force_login(officer_a)
    before = timezone.now()
    package = client.get(PACKAGE).json()
    expires = datetime.datetime.fromisoformat(package["expires_at"])
    assert package["days"] == 3
    assert before + datetime.timedelta(days=3) <= expires <= timezone.now() + datetime.timedelta(days=3)
    # A signed-in visit later moves it on (the app asks /offline/session/ on every start with a connection).
    session = client.get("/offline/session/").json()
    assert datetime.datetime.fromisoformat(session["expires_at"]) >= expires
    assert session["user"]["username"] == "officer_a" and session["may_enter"] is True
    assert session["communes"] == [{"code": "25747", "name": "Phường Phú Cường"}]


def test_the_default_is_seven_days():
    assert settings.POVREG_OFFLINE_DAYS == 7


# --- the app's page, service worker and manifest ------------------------------------------------------------------


def test_the_page_holds_no_household_data(client, officer_a, two_communes):
    client.force_login(officer_a)
    page = client.get("/offline/").content.decode()
    assert 'rel="manifest" href="/offline/manifest.webmanifest"' in page and 'data-sw="/offline/sw.js"' in page
    assert "offline/app.js" in page and "/jsi18n/" in page
    for secret in ("25747-0007", "Nguyễn Văn Hùng", "1234567", "074080000123"):
        assert secret not in page


def test_the_menu_offers_offline_entry_to_those_who_enter(client, officer_a, chairman_a, commune_a):
    client.force_login(officer_a)
    assert b"data-offline-link" in client.get("/").content
    client.force_login(chairman_a)
    assert b"data-offline-link" not in client.get("/").content


def test_the_logout_form_carries_the_offline_guard(client, officer_a, commune_a):
    client.force_login(officer_a)
    page = client.get("/").content.decode()
    assert "data-offline-guard" in page and "offline/guard.js" in page and "{n}" in page


def test_the_service_worker_is_scoped_to_the_app_and_versioned_by_its_files(client, db, monkeypatch):
    response = client.get("/offline/sw.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/offline/" and response["Cache-Control"] == "no-cache"
    text = response.content.decode()
    for asset in ("/static/offline/app.js", "/static/offline/classify.js", "/static/css/povreg.css", "/jsi18n/"):
        assert asset in text
    import json

    kept = json.loads(text.split("const ASSETS = ")[1].split(";\n")[0])
    # Only the app's own files are kept: never the API's answers, the package or another page.
    assert kept and not [url for url in kept if url.startswith(("/api/", "/offline/package", "/offline/session", "/households"))]
    import offline.views

    monkeypatch.setattr(offline.views, "SW_REVISION", "test-2")
    assert (
        client.get("/offline/sw.js").content.decode().split('const VERSION = "')[1][:16]
        != text.split('const VERSION = "')[1][:16]
    )


def test_the_manifest_makes_the_app_installable(client, db):
    from django.contrib.staticfiles import finders

    manifest = client.get("/offline/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert (data["start_url"], data["scope"], data["display"]) == ("/offline/", "/offline/", "standalone")
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/"))


def test_no_csp_exception_is_needed(client, officer_a, commune_a):
    # The worker and the manifest are same-origin files: default-src 'self' covers them; the policy stays strict.
    client.force_login(officer_a)
    policy = client.get("/offline/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy.split("script-src")[1].split(";")[0]


# --- the rule table the browser evaluates -------------------------------------------------------------------------


def _spec_from_json(data: dict) -> cl.CriteriaSpec:
    score = data["score"]
    return cl.CriteriaSpec(
        code=data["code"],
        rules={
            area: tuple(
                cl.Rule(
                    category=cl.Category(r["category"]),
                    income_above=r["income_above"],
                    income_upto=r["income_upto"],
                    upto_inclusive=r["upto_inclusive"],
                    min_deprived=r["min_deprived"],
                    max_deprived=r["max_deprived"],
                )
                for r in rules
            )
            for area, rules in data["rules"].items()
        },
        indicators=tuple(cl.IndicatorSpec(i["code"], i["name_vi"], i["name_en"]) for i in data["indicators"]),
        group_rule=cl.GroupRule(data["group_rule"]),
        groups_for=frozenset(cl.Category(c) for c in data["groups_for"]),
        score=None
        if score is None
        else cl.ScoreScale(
            lines=score["lines"],
            points_per_indicator=score["points_per_indicator"],
            poor_min_b=score["poor_min_b"],
            average_upto=score["average_upto"],
        ),
        income_period=data["income_period"],
        low_income_lines=data["low_income_lines"],
    )


def test_the_json_rule_table_is_the_whole_spec(db):
    """What the package sends is everything `classify` reads: rebuilt from the JSON, every boundary case agrees."""
    specs = {cs.code: criteria_spec(cs) for cs in CriteriaSet.objects.all()}
    for code, area, income, deprived, expected in CASES:
        spec = specs[code]
        rebuilt = _spec_from_json(spec_json(spec))
        assert rebuilt == spec
        codes = [i.code for i in spec.indicators][:deprived]
        result = cl.classify(rebuilt, area=area, income=income, deprived=codes, members=[cl.MemberFacts(True)])
        assert result.category == expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [([], "25747-0001"), (["25747-0009", "25747-0010", "X-99"], "25747-0011"), (["25747-T00041"], "25747-T00042")],
)
def test_the_next_code_continues_the_communes_numbering(commune_a, codes, expected):
    assert next_household_code(commune_a, codes) == expected


# --- idempotent writes --------------------------------------------------------------------------------------------


def _key() -> str:
    return str(uuid.uuid4())


def test_the_same_key_twice_registers_one_household_and_answers_alike(officer_a, commune_a):
    client = client_for(officer_a)
    key = _key()
    first = client.post("/api/v1/households/", _household_body("25747-0101"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post("/api/v1/households/", _household_body("25747-0101"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201, again.json()
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true" and again["ETag"] == first["ETag"]
    assert "Idempotent-Replayed" not in first
    assert Household.objects.filter(code="25747-0101").count() == 1
    assert AuditEvent.objects.filter(action="household.created").count() == 1
    assert IdempotencyRecord.objects.get(key=key).status_code == 201


def test_the_same_key_with_another_body_is_refused_naming_the_key(officer_a, commune_a):
    client = client_for(officer_a)
    key = _key()
    client.post("/api/v1/households/", _household_body("25747-0102"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    other = client.post("/api/v1/households/", _household_body("25747-0103"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert_error(other, 409, field="Idempotency-Key", code="idempotency_key_reused")
    assert not Household.objects.filter(code="25747-0103").exists()
    # Another address with the same key is another request too.
    assess_other = client.post(
        "/api/v1/assessments/",
        {"round": "BD-2024", "household": "25747-0102", "income_per_capita": 1},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert_error(assess_other, 409, field="Idempotency-Key")


def test_a_malformed_key_is_a_400_naming_the_header(officer_a, commune_a):
    response = client_for(officer_a).post(
        "/api/v1/households/", _household_body("25747-0104"), format="json", HTTP_IDEMPOTENCY_KEY="not-a-uuid"
    )
    assert_error(response, 400, field="Idempotency-Key", code="invalid")
    assert not Household.objects.filter(code="25747-0104").exists()


def test_a_refused_request_does_not_use_up_its_key(officer_a, commune_a):
    client = client_for(officer_a)
    key = _key()
    bad = _household_body("25747-0105")
    bad["members"][0]["relation"] = "spouse"  # no head: refused
    assert_error(client.post("/api/v1/households/", bad, format="json", HTTP_IDEMPOTENCY_KEY=key), 400)
    fixed = client.post("/api/v1/households/", _household_body("25747-0105"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert fixed.status_code == 201 and not fixed.has_header("Idempotent-Replayed")


def test_keys_belong_to_their_user(officer_a, department, commune_a):
    key = _key()
    assert (
        client_for(officer_a)
        .post("/api/v1/households/", _household_body("25747-0106"), format="json", HTTP_IDEMPOTENCY_KEY=key)
        .status_code
        == 201
    )
    theirs = client_for(department).post(
        "/api/v1/households/", _household_body("25747-0107"), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert theirs.status_code == 201 and Household.objects.filter(code="25747-0107").exists()


def test_assessments_retried_with_their_key_are_stored_once(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="25747-0108")
    client = client_for(officer_a)
    body = {
        "round": "BD-2024",
        "household": household.code,
        "income_per_capita": 1_000_000,
        "deprived": ["WATER", "LATRINE", "NUTRITION"],
    }
    key = _key()
    created = client.post("/api/v1/assessments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    retried = client.post("/api/v1/assessments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert created.status_code == retried.status_code == 201 and created.json() == retried.json()
    assert created.json()["category"] == "poor"
    # Without a key, a second POST is still the conflict it always was.
    assert_error(client.post("/api/v1/assessments/", body, format="json"), 409, field="household")

    # A PUT retried after a lost answer: the first answer again, not a 409 against its own new version.
    url = f"/api/v1/assessments/BD-2024/{household.code}/"
    change = {"income_per_capita": 3_500_000, "deprived": ["WATER"], "version": 1}
    put_key = _key()
    changed = client.put(url, change, format="json", HTTP_IDEMPOTENCY_KEY=put_key)
    again = client.put(url, change, format="json", HTTP_IDEMPOTENCY_KEY=put_key)
    assert changed.status_code == again.status_code == 200 and again.json() == changed.json()
    assessment = Assessment.objects.get(household=household, round=round_2024)
    assert (assessment.version, assessment.category) == (2, "not_poor")
    assert AuditEvent.objects.filter(action="assessment.updated", target_id=str(assessment.pk)).count() == 1
    # A genuinely stale version, with a new key, is the conflict the app shows side by side.
    assert_error(client.put(url, change, format="json", HTTP_IDEMPOTENCY_KEY=_key()), 409, field="version")


def test_a_submitted_list_refuses_and_the_key_stays_free(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="25747-0109")
    CommuneList.objects.create(round=round_2024, commune=commune_a, status=ListStatus.SUBMITTED)
    key = _key()
    body = {"round": "BD-2024", "household": household.code, "income_per_capita": 1_000_000, "deprived": []}
    assert_error(
        client_for(officer_a).post("/api/v1/assessments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key), 400, field="round"
    )
    assert not IdempotencyRecord.objects.filter(key=key).exists() and not Assessment.objects.exists()


def test_the_schema_documents_the_header(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, method in (
        ("/api/v1/households/", "post"),
        ("/api/v1/assessments/", "post"),
        ("/api/v1/assessments/{round_code}/{household_code}/", "put"),
    ):
        parameters = schema["paths"][path][method]["parameters"]
        header = next(p for p in parameters if p["name"] == "Idempotency-Key")
        assert header["in"] == "header" and not header.get("required") and header["schema"]["format"] == "uuid"


def test_old_records_are_dropped_when_new_ones_are_written(officer_a, commune_a):
    client = client_for(officer_a)
    client.post("/api/v1/households/", _household_body("25747-0110"), format="json", HTTP_IDEMPOTENCY_KEY=_key())
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(days=31))
    client.post("/api/v1/households/", _household_body("25747-0111"), format="json", HTTP_IDEMPOTENCY_KEY=_key())
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL's concurrent writers")
def test_a_retry_arriving_while_the_first_runs_waits_and_replays(transactional_db, request):
    """The same key sent twice at the same moment (a retry racing its own original): one household, two 201s."""
    _install_shipped()
    request.getfixturevalue("commune_a")
    officer = request.getfixturevalue("officer_a")
    key, barrier, answers = _key(), threading.Barrier(2), []

    def send():
        try:
            barrier.wait(timeout=10)
            answers.append(
                client_for(officer).post(
                    "/api/v1/households/", _household_body("25747-0120"), format="json", HTTP_IDEMPOTENCY_KEY=key
                )
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(a.status_code for a in answers) == [201, 201], [a.content for a in answers]
    assert answers[0].json() == answers[1].json()
    assert Household.objects.filter(code="25747-0120").count() == 1
