"""Commune lists over the API: start, record the procedure steps (hamlet meetings, public postings), submit,
review, approve, return, open a revision; per persona."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent
from households.models import AdminUnit, Hamlet, Level
from surveys.approval import commune_list_get_or_create, hamlet_meeting_record, public_posting_record
from tests.factories import assert_error, assess, client_for, make_household

URL = "/api/v1/commune-lists/BD-2024/25747/"


@pytest.fixture
def ready_list(officer_a, commune_a, round_2024):
    """Commune A's draft list with its households assessed and the procedure steps recorded."""
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, ["EMPLOYMENT", "NUTRITION", "WATER"])
    commune_list = commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    today = timezone.localdate()
    hamlet_meeting_record(
        actor=officer_a,
        commune_list=commune_list,
        hamlet=Hamlet.objects.get(commune=commune_a),
        held_on=today - datetime.timedelta(days=20),
        attendees=40,
        agreeing=35,
    )
    public_posting_record(
        actor=officer_a,
        commune_list=commune_list,
        starts_on=today - datetime.timedelta(days=15),
        ends_on=today - datetime.timedelta(days=5),
        place="Nhà văn hóa khu phố 1",
    )
    commune_list.refresh_from_db()
    return commune_list


def test_start_a_list(officer_a, round_2024, chairman_a, district_officer, api_reader, officer_b):
    payload = {"round": "BD-2024", "commune": "25747"}
    created = client_for(officer_a).post("/api/v1/commune-lists/", payload, format="json")
    assert created.status_code == 201 and created.json()["status"] == "draft" and created.json()["revision"] == 1
    assert client_for(chairman_a).post("/api/v1/commune-lists/", payload, format="json").status_code == 200
    assert_error(client_for(api_reader).post("/api/v1/commune-lists/", payload, format="json"), 403)
    assert_error(client_for(officer_b).post("/api/v1/commune-lists/", payload, format="json"), 404)
    assert_error(
        client_for(officer_a).post("/api/v1/commune-lists/", {**payload, "round": "nope"}, format="json"), 400, field="round"
    )
    assert_error(
        client_for(officer_a).post("/api/v1/commune-lists/", {**payload, "commune": "74"}, format="json"), 400, field="commune"
    )


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
    # No approval before the commune chairman's recognition decision is recorded.
    assert_error(
        client_for(department).post(URL + "approve/", {"version": reviewed.json()["version"]}, format="json"),
        400,
        field="recognition",
    )
    assert_error(
        client_for(officer_a).post(
            URL + "recognition/", {"number": "12/QĐ-UBND", "date": "2999-01-01", "signer": "Lê Văn B"}, format="json"
        ),
        400,
        field="date",
    )
    assert_error(
        client_for(department).post(
            URL + "recognition/",
            {"number": "12/QĐ-UBND", "date": str(datetime.date.today()), "signer": "Lê Văn B"},
            format="json",
        ),
        403,
    )
    recognised = client_for(officer_a).post(
        URL + "recognition/", {"number": "12/QĐ-UBND", "date": str(datetime.date.today()), "signer": "Lê Văn B"}, format="json"
    )
    assert recognised.status_code == 200 and recognised.json()["recognition_number"] == "12/QĐ-UBND"
    approved = client_for(department).post(URL + "approve/", {"version": recognised.json()["version"]}, format="json")
    body = approved.json()
    assert (
        approved.status_code == 200 and body["status"] == "approved" and body["poor"] == 1 and body["approved_by"] == "department"
    )
    rates = client_for(api_reader).get("/api/v1/rates/", {"round": "BD-2024", "unit": "25747", "level": "commune"}).json()
    assert rates["results"][0]["poor"] == 1 and rates["results"][0]["communes_included"] == 1
    assert_error(
        client_for(department).post(URL + "open-revision/", {"version": body["version"]}, format="json"), 400, field="reason"
    )
    revision = client_for(department).post(
        URL + "open-revision/", {"version": body["version"], "reason": "Phúc tra"}, format="json"
    )
    assert revision.status_code == 200 and revision.json()["revision"] == 2 and revision.json()["status"] == "draft"
    trail = [e["action"] for e in client_for(department).get(URL + "audit/").json()["results"]]
    assert trail[:5] == [
        "commune_list.revision_opened",
        "commune_list.approved",
        "commune_list.recognised",
        "commune_list.district_reviewed",
        "commune_list.submitted",
    ]


def test_return_needs_a_reason(ready_list, officer_a, department):
    submitted = client_for(officer_a).post(URL + "submit/", {"version": ready_list.version}, format="json").json()
    assert_error(
        client_for(department).post(URL + "return/", {"version": submitted["version"]}, format="json"), 400, field="reason"
    )
    returned = client_for(department).post(
        URL + "return/", {"version": submitted["version"], "reason": "Thiếu biên bản"}, format="json"
    )
    assert (
        returned.status_code == 200
        and returned.json()["status"] == "returned"
        and returned.json()["returned_reason"] == "Thiếu biên bản"
    )


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


# --- Procedure steps over the API: hamlet meetings and public postings --------------------------------------

TODAY = timezone.localdate()
MEETINGS, POSTINGS = URL + "meetings/", URL + "postings/"


def meeting(hamlet="Khu phố 1", *, days_ago=20, attendees=40, agreeing=35, **extra):
    return {
        "hamlet": hamlet,
        "held_on": str(TODAY - datetime.timedelta(days=days_ago)),
        "attendees": attendees,
        "agreeing": agreeing,
        **extra,
    }


POSTING = {
    "starts_on": str(TODAY - datetime.timedelta(days=15)),
    "ends_on": str(TODAY - datetime.timedelta(days=5)),
    "place": "Trụ sở UBND phường",
}


@pytest.fixture
def bare_list(officer_a, commune_a, round_2024):
    """Commune A's draft list with households assessed in two hamlets and no procedure step yet."""
    for name in ("Khu phố 1", "Khu phố 2"):
        assess(
            officer_a,
            make_household(officer_a, commune_a, hamlet_name=name),
            round_2024,
            1_000_000,
            ["EMPLOYMENT", "NUTRITION", "WATER"],
        )
    return commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)


def test_steps_recorded_over_the_api_then_submit(bare_list, officer_a, chairman_a):
    client = client_for(officer_a)
    assert client.get(MEETINGS).json()["count"] == 0 and client.get(POSTINGS).json()["count"] == 0
    blocked = assert_error(client.post(URL + "submit/", {"version": bare_list.version}, format="json"), 400, field="procedure")
    assert len([e for e in blocked["errors"] if e["field"] == "procedure"]) == 3  # two meetings and the posting missing
    events = AuditEvent.objects.count()
    for hamlet, user in (("Khu phố 1", officer_a), ("Khu phố 2", chairman_a)):
        created = client_for(user).post(MEETINGS, meeting(hamlet, minutes_note="Thống nhất danh sách"), format="json")
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["hamlet"] == hamlet and body["revision"] == 1 and body["agreement_percent"] == "87.5"
        assert (
            body["is_agreed"] is True and body["recorded_by"] == user.username and body["minutes_note"] == "Thống nhất danh sách"
        )
    posted = client.post(POSTINGS, POSTING, format="json")
    assert posted.status_code == 201 and posted.json()["place"] == "Trụ sở UBND phường" and posted.json()["working_days"] >= 7
    assert AuditEvent.objects.count() == events + 3
    assert list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:3]) == [
        "public_posting.recorded",
        "hamlet_meeting.recorded",
        "hamlet_meeting.recorded",
    ]
    listed = client.get(MEETINGS).json()
    assert listed["count"] == 2 and [m["hamlet"] for m in listed["results"]] == ["Khu phố 1", "Khu phố 2"]
    assert client.get(POSTINGS).json()["results"][0]["ends_on"] == POSTING["ends_on"]
    bare_list.refresh_from_db()
    submitted = client.post(URL + "submit/", {"version": bare_list.version}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    # Submitted: the steps are closed, the reads stay open.
    assert_error(client.post(MEETINGS, meeting(), format="json"), 400, field="status")
    assert_error(client.post(POSTINGS, POSTING, format="json"), 400, field="status")
    assert client.get(MEETINGS).json()["count"] == 2


def test_meeting_under_half_keeps_submission_blocked(bare_list, officer_a):
    client = client_for(officer_a)
    under = client.post(MEETINGS, meeting("Khu phố 1", attendees=40, agreeing=19), format="json")
    assert under.status_code == 201 and under.json()["is_agreed"] is False and under.json()["agreement_percent"] == "47.5"
    assert client.post(MEETINGS, meeting("Khu phố 2"), format="json").status_code == 201
    assert client.post(POSTINGS, POSTING, format="json").status_code == 201
    bare_list.refresh_from_db()
    blocked = assert_error(
        client.post(URL + "submit/", {"version": bare_list.version}, format="json", HTTP_ACCEPT_LANGUAGE="en"),
        400,
        field="procedure",
    )
    assert [e["message"] for e in blocked["errors"]] == [
        "At the meeting in Khu phố 1 only 47.5% agreed (under 50%): the review of that hamlet must be redone."
    ]
    # The hamlet meets again (before the posting): its latest meeting counts.
    assert client.post(MEETINGS, meeting("Khu phố 1", days_ago=18, agreeing=30), format="json").status_code == 201
    submitted = client.post(URL + "submit/", {"version": bare_list.version}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"


def test_steps_bad_input_names_the_field(bare_list, officer_a, commune_b):
    client = client_for(officer_a)
    Hamlet.objects.create(commune=commune_b, name="Ấp Bàu Bàng")
    for payload, field, code in (
        (meeting("Khu phố 9"), "hamlet", "unknown"),
        (meeting("Ấp Bàu Bàng"), "hamlet", "unknown"),  # a hamlet of another commune
        (meeting(attendees=10, agreeing=11), "agreeing", None),
        (meeting(attendees=0), "attendees", None),
        (meeting(attendees=True), "attendees", None),
        (meeting(days_ago=-1), "held_on", None),
        ({**meeting(), "held_on": "05/10/2024"}, "held_on", None),
        ({"hamlet": "Khu phố 1"}, "held_on", "required"),
    ):
        assert_error(client.post(MEETINGS, payload, format="json"), 400, field=field, code=code)
    assert_error(
        client.post(POSTINGS, {**POSTING, "ends_on": str(TODAY - datetime.timedelta(days=16))}, format="json"),
        400,
        field="ends_on",
    )
    assert_error(client.post(POSTINGS, {"place": "x"}, format="json"), 400, field="starts_on", code="required")
    assert_error(client.post(POSTINGS, {**POSTING, "place": "x" * 256}, format="json"), 400, field="place")
    assert not AuditEvent.objects.filter(action__in=["hamlet_meeting.recorded", "public_posting.recorded"]).exists()
    # A round whose list the commune has not started: nothing to record on.
    assert_error(client.get("/api/v1/commune-lists/BD-2024/25816/meetings/"), 404)


@pytest.mark.parametrize("path, payload", [(MEETINGS, meeting()), (POSTINGS, POSTING)], ids=["meetings", "postings"])
def test_steps_per_persona(
    bare_list, path, payload, officer_a, chairman_a, district_officer, department, api_reader, outsider, officer_b
):
    assert_error(client_for().get(path), 401)
    assert_error(client_for().post(path, payload, format="json"), 401)
    for user in (api_reader, outsider):
        assert_error(client_for(user).get(path), 403)
        assert_error(client_for(user).post(path, payload, format="json"), 403)
    assert_error(client_for(officer_b).get(path), 404)
    assert_error(client_for(officer_b).post(path, payload, format="json"), 404)
    for user in (district_officer, department):  # they read the steps, only the commune records them
        assert client_for(user).get(path).status_code == 200
        assert_error(client_for(user).post(path, payload, format="json"), 403)
    recorded = AuditEvent.objects.filter(action__in=["hamlet_meeting.recorded", "public_posting.recorded"])
    assert not recorded.exists()
    for user in (officer_a, chairman_a):
        assert client_for(user).post(path, payload, format="json").status_code == 201
        assert client_for(user).get(path).status_code == 200
    assert recorded.count() == 2 and client_for(department).get(path).json()["count"] == 2


def test_steps_query_count(bare_list, officer_a, chairman_a, department, django_assert_max_num_queries):
    client = client_for(department)

    def queries_for(path) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    few = {path: queries_for(path) for path in (MEETINGS, POSTINGS)}
    for days_ago in range(30, 18, -1):
        for user, hamlet in ((officer_a, "Khu phố 1"), (chairman_a, "Khu phố 2")):
            hamlet_meeting_record(
                actor=user,
                commune_list=bare_list,
                hamlet=Hamlet.objects.get(commune=bare_list.commune, name=hamlet),
                held_on=TODAY - datetime.timedelta(days=days_ago),
                attendees=40,
                agreeing=30,
            )
        public_posting_record(
            actor=officer_a,
            commune_list=bare_list,
            starts_on=TODAY - datetime.timedelta(days=days_ago),
            ends_on=TODAY - datetime.timedelta(days=days_ago - 3),
        )
    for path in (MEETINGS, POSTINGS):
        with django_assert_max_num_queries(8):
            assert client.get(path).json()["count"] >= 12
        assert queries_for(path) <= few[path] + 1  # the page query; nothing per row
