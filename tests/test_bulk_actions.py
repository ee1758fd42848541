"""Bulk actions on commune lists (issue 15 item 4): review, approve or return many lists at once, in the queue page
and with POST /api/v1/commune-lists/bulk/. Each list goes through its own service and checks; the answer says,
per list, done or why not; one refusal undoes nothing else; one audit event per list."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.models import AuditEvent
from households.models import AdminUnit, Role
from surveys import approval
from surveys.models import CommuneList, ListStatus
from tests.factories import assert_error, client_for, fill_commune, make_user, record_procedure

TODAY = timezone.localdate()


def _submitted(officer, commune, survey_round, *, recognised=True):
    fill_commune(officer, commune, survey_round, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer, round=survey_round, commune=commune)
    record_procedure(officer, commune_list, posting_end=None if recognised else TODAY + datetime.timedelta(days=1))
    if not recognised:  # the posting ended, but the chairman has not decided yet
        commune_list.postings.update(ends_on=TODAY - datetime.timedelta(days=1))
    return approval.commune_list_submit(actor=officer, commune_list=commune_list)


@pytest.fixture
def sibling(commune_a):
    """Another commune of commune A's district, with its own officer."""
    commune = AdminUnit.objects.filter(parent=commune_a.parent).exclude(pk=commune_a.pk).order_by("code").first()
    return commune, make_user("officer_sibling", Role.COMMUNE_OFFICER, commune)


def test_the_department_approves_many_lists_each_through_its_own_checks(
    round_2024, commune_a, commune_b, sibling, officer_a, officer_b, district_officer, department
):
    sibling_commune, sibling_officer = sibling
    ready = approval.commune_list_review(actor=district_officer, commune_list=_submitted(officer_a, commune_a, round_2024))
    unrecognised = approval.commune_list_review(
        actor=district_officer, commune_list=_submitted(sibling_officer, sibling_commune, round_2024, recognised=False)
    )
    not_reviewed = _submitted(officer_b, commune_b, round_2024)
    body = {
        "action": "approve",
        "lists": [
            {"round": round_2024.code, "commune": commune_a.code, "version": ready.version},
            {"round": round_2024.code, "commune": sibling_commune.code, "version": unrecognised.version},
            {"round": round_2024.code, "commune": commune_b.code},
            {"round": round_2024.code, "commune": "99999"},
        ],
    }
    answer = client_for(department).post("/api/v1/commune-lists/bulk/", body, format="json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["done"], data["refused"]) == (1, 3)
    by_commune = {r["commune"]: r for r in data["results"]}
    assert by_commune[commune_a.code]["outcome"] == "done" and by_commune[commune_a.code]["status"] == "approved"
    assert [e["field"] for e in by_commune[sibling_commune.code]["errors"]] == ["recognition"]
    assert [e["field"] for e in by_commune[commune_b.code]["errors"]] == ["status"]
    assert [e["field"] for e in by_commune["99999"]["errors"]] == ["list"]
    # The refusals changed nothing, the approval stands, and the audit has one event for the one approval.
    assert CommuneList.objects.get(pk=unrecognised.pk).status == ListStatus.DISTRICT_REVIEWED
    assert CommuneList.objects.get(pk=not_reviewed.pk).status == ListStatus.SUBMITTED
    assert CommuneList.objects.get(pk=ready.pk).status == ListStatus.APPROVED
    assert AuditEvent.objects.filter(action="commune_list.approved").count() == 1


def test_a_stale_version_is_refused_and_lists_out_of_scope_are_not_found(
    round_2024, commune_a, commune_b, officer_a, officer_b, district_officer
):
    mine = _submitted(officer_a, commune_a, round_2024)
    theirs = _submitted(officer_b, commune_b, round_2024)  # another district
    body = {
        "action": "review",
        "lists": [
            {"round": round_2024.code, "commune": commune_a.code, "version": mine.version - 1},
            {"round": round_2024.code, "commune": commune_b.code, "version": theirs.version},
        ],
    }
    data = client_for(district_officer).post("/api/v1/commune-lists/bulk/", body, format="json").json()
    assert [(r["outcome"], [e["field"] for e in r["errors"]]) for r in data["results"]] == [
        ("refused", ["version"]),
        ("refused", ["list"]),
    ]
    assert CommuneList.objects.get(pk=theirs.pk).status == ListStatus.SUBMITTED


def test_returning_needs_a_reason_and_bad_bodies_are_400s(round_2024, commune_a, officer_a, district_officer):
    _submitted(officer_a, commune_a, round_2024)
    client = client_for(district_officer)
    item = {"round": round_2024.code, "commune": commune_a.code}
    assert_error(client.post("/api/v1/commune-lists/bulk/", {"action": "return", "lists": [item]}, format="json"), 400, "reason")
    assert_error(client.post("/api/v1/commune-lists/bulk/", {"action": "submit", "lists": [item]}, format="json"), 400, "action")
    assert_error(client.post("/api/v1/commune-lists/bulk/", {"action": "review", "lists": []}, format="json"), 400, "lists")
    assert_error(
        client.post("/api/v1/commune-lists/bulk/", {"action": "review", "lists": [item] * 201}, format="json"), 400, "lists"
    )
    done = client.post(
        "/api/v1/commune-lists/bulk/", {"action": "return", "reason": "Thiếu biên bản", "lists": [item]}, format="json"
    )
    assert done.json()["results"][0]["status"] == "returned"
    assert (
        client_for().post("/api/v1/commune-lists/bulk/", {"action": "review", "lists": [item]}, format="json").status_code == 401
    )


def test_the_queue_page_reviews_the_ticked_lists_and_says_what_became_of_each(
    client, round_2024, commune_a, sibling, officer_a, district_officer
):
    sibling_commune, sibling_officer = sibling
    first = _submitted(officer_a, commune_a, round_2024)
    second = _submitted(sibling_officer, sibling_commune, round_2024)
    client.force_login(district_officer)
    page = client.get("/lists/queue/").content.decode()
    assert 'id="bulk-form"' in page and f'value="{round_2024.code}|{commune_a.code}|{first.version}"' in page
    ticked = [
        f"{round_2024.code}|{commune_a.code}|{first.version}",
        f"{round_2024.code}|{sibling_commune.code}|{second.version - 1}",
    ]
    answer = client.post("/lists/queue/bulk/", {"action": "review", "lists": ticked})
    assert answer.status_code == 302
    page = client.get(answer["Location"]).content.decode()
    assert f'data-outcome="done" data-commune="{commune_a.code}"' in page
    assert f'data-outcome="refused" data-commune="{sibling_commune.code}"' in page
    assert CommuneList.objects.get(pk=first.pk).status == ListStatus.DISTRICT_REVIEWED
    assert CommuneList.objects.get(pk=second.pk).status == ListStatus.SUBMITTED
