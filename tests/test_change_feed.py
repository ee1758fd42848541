"""The change feed, GET /api/v1/changes/ (core/changes.py): what changed, in commit order, in the caller's scope;
pages that never skip or repeat a change while others write (writer threads against a paging reader, on
PostgreSQL, each thread on its own connection)."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.audit import audit_many
from core.changes import Cursor, changes_since, event_ids, feed_head
from core.models import AuditEvent, TokenScope
from core.tokens import token_issue
from households.models import Hamlet, Household
from households.services import MemberData, household_create, household_update
from surveys.approval import commune_list_get_or_create, hamlet_meeting_record, round_decision_record
from tests.factories import assert_error, assess, client_for, default_members, make_household, recognise

# The feed returns committed changes only (on PostgreSQL it reads transaction ids against its snapshot), so these
# tests commit for real: transactional, with the shipped criteria sets put back after each flush.
pytestmark = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL")
URL = "/api/v1/changes/"
PERSONAL_KINDS = {"household", "member", "assessment", "application", "appeal"}


def read_all(client, limit: int = 100, since: str | None = None) -> tuple[list[dict], str]:
    items, cursor = [], since
    for _page in range(1000):
        params = {"limit": limit, **({"since": cursor} if cursor else {})}
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"results", "next_cursor", "has_more"}
        items += body["results"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return items, cursor
    raise AssertionError("the feed never ended")


@pytest.fixture
def story(officer_a, officer_b, chairman_a, department, commune_a, commune_b, round_2024):
    """One household of A through its life, one of B, and A's list with its steps and decisions."""
    household = make_household(officer_a, commune_a)
    household_update(
        actor=officer_a,
        household=household,
        members=[*default_members(2), MemberData(full_name="Trần Văn Nam", sex="M", birth_year=2012, relation="child")],
    )
    assess(officer_a, household, round_2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    other = make_household(officer_b, commune_b)
    assess(officer_b, other, round_2024, 900_000, ["WATER"])
    commune_list = commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    hamlet_meeting_record(
        actor=officer_a,
        commune_list=commune_list,
        hamlet=household.hamlet,
        held_on=timezone.localdate(),
        attendees=20,
        agreeing=15,
    )
    recognise(commune_list, chairman_a)
    round_decision_record(actor=department, round=round_2024, number="99/QĐ-UBND", date=timezone.localdate(), signer="Chủ tịch")
    return {"a": household, "b": other, "list": commune_list}


def test_the_feed_says_what_changed_in_commit_order(story, department):
    items, _cursor = read_all(client_for(department))
    a, b = story["a"].code, story["b"].code
    assert [(i["kind"], i["action"], i["target"]["household"]) for i in items] == [
        ("household", "household.created", a),
        ("member", "household.updated", a),  # only the members changed
        ("assessment", "assessment.created", a),
        ("household", "household.created", b),
        ("assessment", "assessment.created", b),
        ("list", "commune_list.created", None),
        ("list", "hamlet_meeting.recorded", None),
        ("decision", "commune_list.recognised", None),
        ("decision", "round.decision_recorded", None),
    ]
    # Not in the feed: the round's creation, hamlets, exports.
    assert not {"round.created", "hamlet.created"} & {i["action"] for i in items}
    by_action = {i["action"]: i for i in items if i["target"]["household"] in (a, None)}
    assert by_action["assessment.created"]["target"] == {
        "type": "assessment",
        "id": str(story["a"].assessments.get().pk),
        "household": a,
        "commune": "25747",
        "round": "BD-2024",
        "revision": None,
    }
    assert by_action["hamlet_meeting.recorded"]["target"]["type"] == "hamlet_meeting"
    assert by_action["hamlet_meeting.recorded"]["target"]["revision"] == 1
    assert by_action["commune_list.recognised"]["target"] == {
        "type": "commune_list",
        "id": str(story["list"].pk),
        "household": None,
        "commune": "25747",
        "round": "BD-2024",
        "revision": 1,
    }
    assert by_action["round.decision_recorded"]["target"]["commune"] is None
    assert by_action["round.decision_recorded"]["target"]["round"] == "BD-2024"
    # Department staff of the province read every diff, the income included.
    assert by_action["assessment.created"]["changes"]["income_per_capita"] == [None, 1_000_000]
    assert by_action["commune_list.recognised"]["changes"]["recognition_number"] == ["", "12/QĐ-UBND"]
    assert by_action["round.decision_recorded"]["changes"]["decision_number"] == [None, "99/QĐ-UBND"]
    # Each item's cursor names its audit event, in the order the events committed.
    expected = (
        AuditEvent.objects.filter(action__in=[i["action"] for i in items]).order_by("xact", "id").values_list("id", flat=True)
    )
    assert event_ids(i["cursor"] for i in items) == list(expected)


def test_an_officer_sees_the_personal_changes_of_their_commune_only(story, officer_a, officer_b, district_officer):
    mine, _ = read_all(client_for(officer_a))
    codes = {i["target"]["household"] for i in mine} - {None}
    assert codes == {story["a"].code}
    assert all(i["target"]["commune"] in ("25747", None) for i in mine)
    assert all(i["changes"] is not None for i in mine if i["kind"] in PERSONAL_KINDS)
    # The province's decision is list-level: the commune's officer sees it, not its diff (no personal right there).
    decision = next(i for i in mine if i["action"] == "round.decision_recorded")
    assert decision["changes"] is None and decision["reason"] is None

    theirs, _ = read_all(client_for(officer_b))
    assert {i["target"]["household"] for i in theirs} - {None} == {story["b"].code}
    assert not [i for i in theirs if i["target"]["commune"] == "25747"]

    district, _ = read_all(client_for(district_officer))  # A's district: A, not B (another district)
    assert {i["target"]["household"] for i in district} - {None} == {story["a"].code}


def test_an_api_reader_sees_list_level_changes_only(story, api_reader):
    response = client_for(api_reader).get(URL)
    assert response.status_code == 200
    items = response.json()["results"]
    assert [i["action"] for i in items] == [
        "commune_list.created",
        "hamlet_meeting.recorded",
        "commune_list.recognised",
        "round.decision_recorded",
    ]
    assert {i["kind"] for i in items} == {"list", "decision"}
    assert all(i["changes"] is None and i["reason"] is None and i["target"]["household"] is None for i in items)
    body = response.content.decode()
    for secret in (story["a"].code, story["b"].code, "Nguyễn Văn Hùng", "income_per_capita", "Khu phố 1", "members"):
        assert secret not in body


def test_a_token_for_aggregates_reads_list_level_changes_only(story, department):
    _token, key = token_issue(user=department, scope=TokenScope.AGGREGATES)
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    items = client.get(URL).json()["results"]
    assert [i["kind"] for i in items] == ["list", "list", "decision", "decision"]
    assert all(i["changes"] is None for i in items)


def test_who_may_not_read_the_feed(story, outsider):
    assert_error(client_for().get(URL), 401)
    assert_error(client_for(outsider).get(URL), 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "G" * 32}, "since"),
        ({"since": "0" * 31}, "since"),
        ({"since": "0" * 33}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
    ],
)
def test_bad_input_names_the_parameter(officer_a, params, field):
    assert_error(client_for(officer_a).get(URL, params), 400, field)


def test_pages_follow_one_another_without_gap_or_repeat(officer_a, commune_a, round_2024, django_assert_max_num_queries):
    for _ in range(7):
        assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_000_000)
    client = client_for(officer_a)
    everything, end = read_all(client, limit=500)
    assert len(everything) == 14
    paged, end_paged = read_all(client, limit=3)
    assert [i["cursor"] for i in paged] == [i["cursor"] for i in everything] and end_paged == end
    # Caught up: the same cursor back, nothing more.
    assert client.get(URL, {"since": end}).json() == {"results": [], "next_cursor": end, "has_more": False}
    # One more change: it, and only it, after the cursor.
    make_household(officer_a, commune_a)
    after = client.get(URL, {"since": end}).json()
    assert [i["action"] for i in after["results"]] == ["household.created"] and after["next_cursor"] > end
    # The cost of a page does not grow with its size.
    with django_assert_max_num_queries(16):
        assert len(client.get(URL, {"limit": 500}).json()["results"]) == 15


def test_a_made_up_cursor_past_the_end_reads_as_caught_up(officer_a, commune_a):
    make_household(officer_a, commune_a)
    body = client_for(officer_a).get(URL, {"since": "f" * 32}).json()
    assert body["results"] == [] and body["has_more"] is False


def test_cursors_are_opaque_and_strict():
    cursor = Cursor(xact=123456, id=42)
    assert Cursor.decode(cursor.encode()) == cursor and len(cursor.encode()) == 32
    for bad in ("", "x" * 32, "0" * 32 + "0", "A" * 32, None):
        with pytest.raises(ValueError):
            Cursor.decode(bad)


def test_events_written_in_bulk_record_their_unit(officer_a, commune_a):
    """The importer audits households built from their id and code alone: the unit is looked up."""
    household = make_household(officer_a, commune_a)
    audit_many(
        actor=officer_a,
        action="household.imported",
        items=[(Household(pk=household.pk, code=household.code), {"round": [None, "BD-2024"], "members": [None, 3]})],
    )
    event = AuditEvent.objects.get(action="household.imported")
    assert event.unit_id == commune_a.pk
    item = changes_since(officer_a, limit=10).results[-1]
    assert item["target"]["round"] == "BD-2024" and item["target"]["commune"] == "25747"


# --- commit order under concurrent writes (PostgreSQL) -------------------------------------------------------


def _in_thread(work, errors: list):
    def run():
        try:
            work()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@postgresql_only
def test_a_change_committed_later_with_a_lower_id_is_not_skipped(officer_a, commune_a, department):
    """Transaction 1 writes first (lower event id) and commits last: a reader paging by id would pass it by."""
    start = feed_head()
    hamlet = Hamlet.objects.create(commune=commune_a, name="Khu phố 9")
    written, release, errors = threading.Event(), threading.Event(), []

    def slow_writer():
        with transaction.atomic():
            household_create(actor=officer_a, code="SLOW-1", commune=commune_a, hamlet=hamlet, members=default_members())
            written.set()
            assert release.wait(30)

    thread = _in_thread(slow_writer, errors)
    assert written.wait(30)
    household_create(actor=officer_a, code="FAST-2", commune=commune_a, hamlet=hamlet, members=default_members())
    fast = AuditEvent.objects.get(action="household.created", target_id=str(Household.objects.get(code="FAST-2").pk))
    # While transaction 1 runs, the feed holds back everything after it, the committed FAST-2 included.
    assert changes_since(department, since=start).results == []
    release.set()
    thread.join(30)
    assert not errors, errors
    slow = AuditEvent.objects.get(action="household.created", target_id=str(Household.objects.get(code="SLOW-1").pk))
    assert slow.id < fast.id
    page = changes_since(department, since=start)
    assert event_ids(i["cursor"] for i in page.results) == [slow.id, fast.id]


@postgresql_only
def test_a_transaction_in_another_database_does_not_hold_the_feed_back(officer_a, commune_a, department):
    import psycopg2

    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # holds a transaction id, open, in another database
        start = feed_head()
        make_household(officer_a, commune_a)
        assert [i["action"] for i in changes_since(department, since=start).results] == ["household.created"]
    finally:
        other.rollback()
        other.close()


@postgresql_only
def test_writers_running_while_a_reader_pages(officer_a, officer_b, department, commune_a, commune_b, round_2024):
    """Four writer threads register and assess households through the services, each transaction pausing half-way so
    that transactions overlap and commit out of id order; the reader pages (5 at a time) from the start until it has
    caught up. Every change written is read exactly once."""
    for commune in (commune_a, commune_b):
        Hamlet.objects.create(commune=commune, name="Khu phố 1")
    start = feed_head()
    writers_done, errors = threading.Event(), []
    per_writer = 12

    def writer(number: int):
        actor, commune = (officer_a, commune_a) if number % 2 else (officer_b, commune_b)
        hamlet = Hamlet.objects.get(commune=commune, name="Khu phố 1")
        rng = random.Random(number)
        for i in range(per_writer):
            with transaction.atomic():
                household = household_create(
                    actor=actor, code=f"W{number}-{i:03d}", commune=commune, hamlet=hamlet, members=default_members()
                )
                time.sleep(rng.uniform(0.001, 0.015))
                assess(actor, household, round_2024, rng.randrange(500_000, 3_000_000), ["WATER"])

    threads = [_in_thread(lambda n=n: writer(n), errors) for n in range(4)]
    watcher = threading.Thread(target=lambda: ([t.join() for t in threads], writers_done.set()))
    watcher.start()

    read, cursor, pages, deadline = [], start, 0, time.monotonic() + 120
    while time.monotonic() < deadline:
        finished = writers_done.is_set()  # before reading: a page read after this sees every commit
        page = changes_since(department, since=cursor, limit=5)
        pages += 1
        read += [i["cursor"] for i in page.results]
        cursor = Cursor.decode(page.next_cursor)
        if finished and not page.has_more:
            break
        if not page.results:
            time.sleep(0.005)
    watcher.join()
    assert not errors, errors
    assert pages > 10  # the reader really read while the writers wrote

    ids = event_ids(read)
    written = set(AuditEvent.objects.filter(action__in=["household.created", "assessment.created"]).values_list("id", flat=True))
    assert len(written) == 4 * per_writer * 2
    assert len(ids) == len(set(ids)), "a change was read twice"
    assert set(ids) == written, f"changes skipped: {sorted(written - set(ids))}"
    # The transactions did commit out of id order, so paging by id alone would have been wrong here.
    assert ids != sorted(ids)
    # And the same reading again, in one go, gives the same sequence.
    assert event_ids(i["cursor"] for i in changes_since(department, since=start, limit=500).results) == ids


def test_old_events_keep_their_place_after_the_cursor(officer_a, commune_a):
    """(xact, id) order: on SQLite every xact is 0 and ids order; on PostgreSQL a later transaction has a larger id."""
    make_household(officer_a, commune_a)
    make_household(officer_a, commune_a)
    first, second = AuditEvent.objects.filter(action="household.created").order_by("id")
    if connection.vendor == "sqlite":
        assert first.xact == second.xact == 0
    else:
        assert 0 < first.xact < second.xact
    page = changes_since(officer_a, since=Cursor(first.xact, first.id))
    assert event_ids(i["cursor"] for i in page.results) == [second.id]
