"""Commune list approval: every transition × every persona, level-skipping, procedure steps, freezing,
revisions, concurrent reviewers (PostgreSQL), and the pages."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from core.models import AuditEvent
from households.models import AdminUnit, Assignment, Hamlet, Role, Structure
from households.units import load_2025
from surveys import approval
from surveys.models import CommuneList, CriteriaSet, ListStatus
from surveys.rounds import round_create
from surveys.selectors import rates_for
from tests.factories import (
    FOUR,
    POOR_INCOME,
    RICH_INCOME,
    TODAY,
    assess,
    fill_commune,
    make_household,
    make_user,
    record_procedure,
)


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are checked in English; the same code paths answer in Vietnamese by default.
    with translation.override("en"):
        yield


PERSONAS = ["officer_a", "chairman_a", "district_officer", "department", "api_reader", "officer_b", "outsider"]
NOT_FOUND = CommuneList.DoesNotExist
OK = "ok"


def events(action: str | None = None):
    qs = AuditEvent.objects.all()
    return qs.filter(action=action) if action else qs


@pytest.fixture
def draft_list(officer_a, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024)
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    return commune_list


@pytest.fixture
def submitted_list(draft_list, officer_a):
    return approval.commune_list_submit(actor=officer_a, commune_list=draft_list)


@pytest.fixture
def reviewed_list(submitted_list, district_officer):
    return approval.commune_list_review(actor=district_officer, commune_list=submitted_list)


@pytest.fixture
def approved_list(reviewed_list, department):
    return approval.commune_list_approve(actor=department, commune_list=reviewed_list)


def attempt(request, persona, service, commune_list, expected, **kwargs):
    actor = request.getfixturevalue(persona)
    before_events = events().count()
    if expected == OK:
        result = service(actor=actor, commune_list=commune_list, **kwargs)
        assert events().count() == before_events + 1, "exactly one audit event per write"
        return result
    with pytest.raises(expected):
        service(actor=actor, commune_list=commune_list, **kwargs)
    assert events().count() == before_events
    return None


# --- working days ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, expected",
    [
        ("2024-10-07", "2024-10-09", 3),  # Mon–Wed
        ("2024-10-10", "2024-10-14", 3),  # Thu, Fri, (Sat, Sun), Mon
        ("2024-10-11", "2024-10-14", 2),  # Fri, (weekend), Mon
        ("2024-10-12", "2024-10-13", 0),  # weekend
        ("2024-10-07", "2024-10-20", 10),  # two weeks
        ("2024-10-09", "2024-10-08", 0),
    ],
)
def test_working_days_count_monday_to_friday(start, end, expected):
    assert approval.working_days(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)) == expected


# --- every transition × every persona --------------------------------------------------------------------


SUBMIT = {
    "officer_a": OK,
    "chairman_a": OK,
    "district_officer": PermissionDenied,
    "department": PermissionDenied,
    "api_reader": NOT_FOUND,
    "officer_b": NOT_FOUND,
    "outsider": NOT_FOUND,
}
REVIEW = {
    "officer_a": PermissionDenied,
    "chairman_a": PermissionDenied,
    "district_officer": OK,
    "department": PermissionDenied,
    "api_reader": NOT_FOUND,
    "officer_b": NOT_FOUND,
    "outsider": NOT_FOUND,
}
APPROVE = {
    "officer_a": PermissionDenied,
    "chairman_a": PermissionDenied,
    "district_officer": PermissionDenied,
    "department": OK,
    "api_reader": NOT_FOUND,
    "officer_b": NOT_FOUND,
    "outsider": NOT_FOUND,
}
RETURN_SUBMITTED = {
    "officer_a": PermissionDenied,
    "chairman_a": PermissionDenied,
    "district_officer": OK,
    "department": OK,
    "api_reader": NOT_FOUND,
    "officer_b": NOT_FOUND,
    "outsider": NOT_FOUND,
}
RETURN_REVIEWED = {**RETURN_SUBMITTED, "district_officer": PermissionDenied}
OPEN_REVISION = {**APPROVE}


@pytest.mark.parametrize("persona", PERSONAS)
def test_submit(request, persona, draft_list):
    result = attempt(request, persona, approval.commune_list_submit, draft_list, SUBMIT[persona])
    draft_list.refresh_from_db()
    if result:
        assert draft_list.submitted_by == request.getfixturevalue(persona)
        assert draft_list.status == ListStatus.SUBMITTED and draft_list.submitted_at is not None
        assert events("commune_list.submitted").get().changes["status"] == ["draft", "submitted"]
    else:
        assert draft_list.status == ListStatus.DRAFT


@pytest.mark.parametrize("persona", PERSONAS)
def test_review(request, persona, submitted_list):
    result = attempt(request, persona, approval.commune_list_review, submitted_list, REVIEW[persona])
    submitted_list.refresh_from_db()
    assert submitted_list.status == (ListStatus.DISTRICT_REVIEWED if result else ListStatus.SUBMITTED)


@pytest.mark.parametrize("persona", PERSONAS)
def test_approve(request, persona, reviewed_list):
    result = attempt(request, persona, approval.commune_list_approve, reviewed_list, APPROVE[persona])
    reviewed_list.refresh_from_db()
    assert reviewed_list.status == (ListStatus.APPROVED if result else ListStatus.DISTRICT_REVIEWED)
    if not result:
        assert reviewed_list.poor is None


@pytest.mark.parametrize("persona", PERSONAS)
def test_return_submitted(request, persona, submitted_list):
    result = attempt(
        request, persona, approval.commune_list_return, submitted_list, RETURN_SUBMITTED[persona], reason="Thiếu hộ ở ấp 2"
    )
    submitted_list.refresh_from_db()
    assert submitted_list.status == (ListStatus.RETURNED if result else ListStatus.SUBMITTED)
    if result:
        assert submitted_list.returned_reason == "Thiếu hộ ở ấp 2"
        assert events("commune_list.returned").get().reason == "Thiếu hộ ở ấp 2"


@pytest.mark.parametrize("persona", PERSONAS)
def test_return_reviewed(request, persona, reviewed_list):
    result = attempt(request, persona, approval.commune_list_return, reviewed_list, RETURN_REVIEWED[persona], reason="Sai mẫu số")
    reviewed_list.refresh_from_db()
    assert reviewed_list.status == (ListStatus.RETURNED if result else ListStatus.DISTRICT_REVIEWED)
    if result:
        assert reviewed_list.reviewed_by is None


@pytest.mark.parametrize("persona", PERSONAS)
def test_open_revision(request, persona, approved_list):
    result = attempt(
        request, persona, approval.commune_list_open_revision, approved_list, OPEN_REVISION[persona], reason="Sửa hộ 12"
    )
    approved_list.refresh_from_db()
    if result:
        assert result.revision == 2 and result.is_current and result.status == ListStatus.DRAFT
        assert result.revision_reason == "Sửa hộ 12"
        assert not approved_list.is_current and approved_list.status == ListStatus.APPROVED
    else:
        assert approved_list.is_current
        assert CommuneList.objects.filter(commune=approved_list.commune).count() == 1


# --- states and level-skipping -----------------------------------------------------------------------------


def test_department_cannot_approve_a_list_the_district_has_not_reviewed(submitted_list, department):
    with pytest.raises(ValidationError) as exc:
        approval.commune_list_approve(actor=department, commune_list=submitted_list)
    assert "status" in exc.value.message_dict
    submitted_list.refresh_from_db()
    assert submitted_list.status == ListStatus.SUBMITTED


def test_department_cannot_review_in_the_districts_place(submitted_list, department):
    with pytest.raises(PermissionDenied):
        approval.commune_list_review(actor=department, commune_list=submitted_list)


def test_commune_officer_cannot_approve_or_review_its_own_list(submitted_list, officer_a, chairman_a):
    for actor in (officer_a, chairman_a):
        with pytest.raises(PermissionDenied):
            approval.commune_list_approve(actor=actor, commune_list=submitted_list)
        with pytest.raises(PermissionDenied):
            approval.commune_list_review(actor=actor, commune_list=submitted_list)


def test_draft_cannot_be_reviewed_approved_or_returned(draft_list, district_officer, department):
    with pytest.raises(ValidationError):
        approval.commune_list_review(actor=district_officer, commune_list=draft_list)
    with pytest.raises(ValidationError):
        approval.commune_list_approve(actor=department, commune_list=draft_list)
    with pytest.raises(ValidationError):
        approval.commune_list_return(actor=department, commune_list=draft_list, reason="x")
    with pytest.raises(ValidationError):
        approval.commune_list_open_revision(actor=department, commune_list=draft_list, reason="x")


def test_submitted_list_cannot_be_submitted_twice(submitted_list, officer_a):
    with pytest.raises(ValidationError):
        approval.commune_list_submit(actor=officer_a, commune_list=submitted_list)


def test_return_needs_a_reason(submitted_list, district_officer):
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            approval.commune_list_return(actor=district_officer, commune_list=submitted_list, reason=reason)
        assert "reason" in exc.value.message_dict


def test_open_revision_needs_a_reason(approved_list, department):
    with pytest.raises(ValidationError):
        approval.commune_list_open_revision(actor=department, commune_list=approved_list, reason=" ")


def test_stale_version_is_a_conflict(submitted_list, district_officer):
    from core.exceptions import ConflictError

    with pytest.raises(ConflictError):
        approval.commune_list_review(
            actor=district_officer, commune_list=submitted_list, expected_version=submitted_list.version - 1
        )
    approval.commune_list_review(actor=district_officer, commune_list=submitted_list, expected_version=submitted_list.version)


def test_returned_list_is_editable_and_can_be_resubmitted(submitted_list, officer_a, district_officer, round_2024):
    household = make_household(officer_a, submitted_list.commune, hamlet_name="Khu phố 1")
    with pytest.raises(ValidationError):  # under review: assessments locked
        assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    approval.commune_list_return(actor=district_officer, commune_list=submitted_list, reason="Bổ sung hộ")
    assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    resubmitted = approval.commune_list_submit(actor=officer_a, commune_list=submitted_list)
    assert resubmitted.status == ListStatus.SUBMITTED


# --- approval freezes --------------------------------------------------------------------------------------


def test_approval_freezes_counts_and_assessments(approved_list, officer_a, department, round_2024, commune_a):
    assert approved_list.approved_by == department and approved_list.approved_at is not None
    # Two hamlets × (poor, near-poor, not poor), 3 members each; denominator: the 6 registered households.
    assert (approved_list.poor, approved_list.near_poor, approved_list.total_households) == (2, 2, 6)
    assert approved_list.poor_persons == 6 and approved_list.poverty_reduction == 2 and approved_list.social_protection == 0
    row = rates_for(round=round_2024, unit=commune_a, level="commune")[0]
    assert (row.poor, row.total_households, row.poor_rate) == (2, 6, "33.33")
    household = make_household(officer_a, commune_a, hamlet_name="Khu phố 1")
    with pytest.raises(ValidationError):
        assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    existing = approved_list.commune.households.first()
    with pytest.raises(ValidationError):
        assess(department, existing, round_2024, RICH_INCOME)
    change = events("commune_list.approved").get().changes
    assert change["status"] == ["district_reviewed", "approved"] and change["poor"] == [None, 2]
    assert change["approved_by"] == [None, "department"]


def test_revision_keeps_the_approved_numbers_until_the_new_one_is_approved(
    approved_list, officer_a, district_officer, department, round_2024, commune_a
):
    revision = approval.commune_list_open_revision(actor=department, commune_list=approved_list, reason="Khiếu nại hộ nghèo")
    poor_household = (
        commune_a.households.filter(assessments__round=round_2024, assessments__category="poor").order_by("code").first()
    )
    assess(officer_a, poor_household, round_2024, RICH_INCOME)  # the draft revision is editable again
    assert rates_for(round=round_2024, unit=commune_a, level="commune")[0].poor == 2  # still the approved revision's
    # Revision 2 needs a meeting only for the hamlet whose assessments changed, and a new posting.
    state = approval.procedure_state(revision)
    assert [h.pk for h in state.required_hamlets] == [poor_household.hamlet_id]
    record_procedure(officer_a, revision)
    approval.commune_list_submit(actor=officer_a, commune_list=revision)
    approval.commune_list_review(actor=district_officer, commune_list=revision)
    approval.commune_list_approve(actor=department, commune_list=revision)
    assert rates_for(round=round_2024, unit=commune_a, level="commune")[0].poor == 1
    approved_list.refresh_from_db()
    assert approved_list.poor == 2 and not approved_list.is_current  # the earlier revision stays readable


def test_only_the_current_revision_moves(approved_list, department):
    approval.commune_list_open_revision(actor=department, commune_list=approved_list, reason="x")
    with pytest.raises(ValidationError):
        approval.commune_list_open_revision(actor=department, commune_list=approved_list, reason="again")


# --- procedure steps ---------------------------------------------------------------------------------------


@pytest.fixture
def filled(officer_a, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024)
    return approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)


def blockers(commune_list) -> str:
    return " | ".join(approval.procedure_state(commune_list).blockers)


def test_submission_needs_meetings_and_posting(filled, officer_a):
    text = blockers(filled)
    assert "Khu phố 1" in text and "Khu phố 2" in text and "posting" in text
    with pytest.raises(ValidationError) as exc:
        approval.commune_list_submit(actor=officer_a, commune_list=filled)
    assert "procedure" in exc.value.message_dict


def test_meeting_under_half_blocks_that_hamlet_until_redone(filled, officer_a):
    record_procedure(officer_a, filled, attendees=40, agreeing=19)
    assert "47.5" in blockers(filled)
    with pytest.raises(ValidationError):
        approval.commune_list_submit(actor=officer_a, commune_list=filled)
    # Exactly half is enough; the latest meeting of the hamlet counts. Posting again after the redo.
    day = TODAY - datetime.timedelta(days=12)
    for hamlet in Hamlet.objects.filter(commune=filled.commune):
        approval.hamlet_meeting_record(
            actor=officer_a, commune_list=filled, hamlet=hamlet, held_on=day, attendees=40, agreeing=20
        )
    assert "posted after the hamlet meetings" in blockers(filled)
    approval.public_posting_record(
        actor=officer_a,
        commune_list=filled,
        starts_on=TODAY - datetime.timedelta(days=10),
        ends_on=TODAY - datetime.timedelta(days=1),
    )
    assert blockers(filled) == ""
    approval.commune_list_submit(actor=officer_a, commune_list=filled)


def test_posting_must_last_enough_working_days_and_be_over(filled, officer_a):
    monday = TODAY - datetime.timedelta(days=TODAY.weekday() + 14)
    record_procedure(officer_a, filled, posting_start=monday, posting_end=monday + datetime.timedelta(days=1))
    assert "2 working day" in blockers(filled)
    approval.public_posting_record(
        actor=officer_a, commune_list=filled, starts_on=monday, ends_on=monday + datetime.timedelta(days=2)
    )
    assert blockers(filled) == ""
    approval.public_posting_record(actor=officer_a, commune_list=filled, starts_on=monday, ends_on=TODAY)
    assert "runs until" in blockers(filled)


@override_settings(POVREG_POSTING_WORKING_DAYS=5)
def test_posting_working_days_are_a_setting(filled, officer_a):
    monday = TODAY - datetime.timedelta(days=TODAY.weekday() + 14)
    record_procedure(officer_a, filled, posting_start=monday, posting_end=monday + datetime.timedelta(days=3))
    assert "at least 5" in blockers(filled)


def test_meeting_inputs_are_checked(filled, officer_a, commune_b):
    hamlet = Hamlet.objects.filter(commune=filled.commune).first()
    other = Hamlet.objects.create(commune=commune_b, name="Ấp 1")
    cases = [
        {"hamlet": other, "attendees": 10, "agreeing": 5},
        {"hamlet": hamlet, "attendees": 0, "agreeing": 0},
        {"hamlet": hamlet, "attendees": 10, "agreeing": 11},
        {"hamlet": hamlet, "attendees": 10, "agreeing": 5, "held_on": TODAY + datetime.timedelta(days=1)},
    ]
    for case in cases:
        with pytest.raises(ValidationError):
            approval.hamlet_meeting_record(actor=officer_a, commune_list=filled, **{"held_on": TODAY, **case})
    with pytest.raises(ValidationError):
        approval.public_posting_record(
            actor=officer_a, commune_list=filled, starts_on=TODAY, ends_on=TODAY - datetime.timedelta(days=1)
        )
    assert not events("hamlet_meeting.recorded").exists()


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("officer_a", OK),
        ("chairman_a", OK),
        ("district_officer", PermissionDenied),
        ("department", PermissionDenied),
        ("api_reader", NOT_FOUND),
        ("officer_b", NOT_FOUND),
        ("outsider", NOT_FOUND),
    ],
)
def test_recording_steps_by_persona(request, persona, expected, filled):
    hamlet = Hamlet.objects.filter(commune=filled.commune).first()
    actor = request.getfixturevalue(persona)
    if expected == OK:
        approval.hamlet_meeting_record(actor=actor, commune_list=filled, hamlet=hamlet, held_on=TODAY, attendees=10, agreeing=6)
        approval.public_posting_record(actor=actor, commune_list=filled, starts_on=TODAY, ends_on=TODAY)
        assert events("hamlet_meeting.recorded").count() == 1 and events("public_posting.recorded").count() == 1
    else:
        with pytest.raises(expected):
            approval.hamlet_meeting_record(
                actor=actor, commune_list=filled, hamlet=hamlet, held_on=TODAY, attendees=10, agreeing=6
            )
        with pytest.raises(expected):
            approval.public_posting_record(actor=actor, commune_list=filled, starts_on=TODAY, ends_on=TODAY)


def test_steps_cannot_change_once_submitted(submitted_list, officer_a):
    hamlet = Hamlet.objects.filter(commune=submitted_list.commune).first()
    with pytest.raises(ValidationError):
        approval.hamlet_meeting_record(
            actor=officer_a, commune_list=submitted_list, hamlet=hamlet, held_on=TODAY, attendees=10, agreeing=6
        )


# --- lists on demand ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("officer_a", OK),
        ("chairman_a", OK),
        ("department", OK),
        ("district_officer", PermissionDenied),
        ("api_reader", NOT_FOUND),
        ("officer_b", NOT_FOUND),
        ("outsider", NOT_FOUND),
    ],
)
def test_get_or_create(request, persona, expected, round_2024, commune_a):
    actor = request.getfixturevalue(persona)
    if expected == OK:
        first = approval.commune_list_get_or_create(actor=actor, round=round_2024, commune=commune_a)
        again = approval.commune_list_get_or_create(actor=actor, round=round_2024, commune=commune_a)
        assert first == again and first.status == ListStatus.DRAFT and first.revision == 1
        assert events("commune_list.created").count() == 1
    else:
        with pytest.raises(expected):
            approval.commune_list_get_or_create(actor=actor, round=round_2024, commune=commune_a)
        assert not CommuneList.objects.exists()


# --- no district level (structure from 1 July 2025) --------------------------------------------------------


@pytest.fixture
def round_2025(province, department):
    new_province = load_2025("74").province
    Assignment.objects.create(user=department, unit=new_province, role=Role.DEPARTMENT_STAFF)
    return round_create(
        actor=department, code="HCM-2025", year=2025, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=new_province
    )


def test_without_districts_the_department_approves_a_submitted_list(round_2025, department, district_officer):
    commune = AdminUnit.objects.get(structure=Structure.Y2025, code="25747")
    officer = make_user("officer_new", Role.COMMUNE_OFFICER, commune)
    fill_commune(officer, commune, round_2025, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer, round=round_2025, commune=commune)
    record_procedure(officer, commune_list)
    commune_list = approval.commune_list_submit(actor=officer, commune_list=commune_list)
    assert approval.allowed_actions(department, commune_list) == {"approve", "return"}
    with pytest.raises(NOT_FOUND):  # the old district's officer covers none of the new communes
        approval.commune_list_review(actor=district_officer, commune_list=commune_list)
    admin = make_user("root", is_superuser=True)
    with pytest.raises(ValidationError):
        approval.commune_list_review(actor=admin, commune_list=commune_list)
    approved = approval.commune_list_approve(actor=department, commune_list=commune_list)
    assert approved.status == ListStatus.APPROVED and approved.poor == 1
    assert approval.review_queue(user=department).count() == 0


def test_allowed_actions_follow_role_and_state(submitted_list, officer_a, district_officer, department, officer_b):
    assert approval.allowed_actions(officer_a, submitted_list) == set()
    assert approval.allowed_actions(district_officer, submitted_list) == {"review", "return"}
    assert approval.allowed_actions(department, submitted_list) == {"return"}
    assert approval.allowed_actions(officer_b, submitted_list) == set()
    assert list(approval.review_queue(user=district_officer)) == [submitted_list]
    assert list(approval.review_queue(user=department)) == []


# --- pages -------------------------------------------------------------------------------------------------


def url(name, survey_round, commune, *args):
    return reverse(f"approval:{name}", args=[survey_round.code, commune.code, *args])


def test_opening_the_list_page_writes_nothing_and_start_is_a_post(client, officer_a, district_officer, round_2024, commune_a):
    from core.models import AuditEvent

    client.force_login(officer_a)
    response = client.get(url("detail", round_2024, commune_a))
    assert response.status_code == 200 and b"/start/" in response.content
    assert not CommuneList.objects.exists() and not AuditEvent.objects.filter(action="commune_list.created").exists()
    client.force_login(district_officer)  # the district reviews; it does not start a commune's list
    assert b"/start/" not in client.get(url("detail", round_2024, commune_a)).content
    assert client.post(url("start", round_2024, commune_a)).status_code == 403
    assert not CommuneList.objects.exists()
    client.force_login(officer_a)
    response = client.post(url("start", round_2024, commune_a), follow=True)
    assert CommuneList.objects.get(round=round_2024, commune=commune_a).status == ListStatus.DRAFT
    assert b'data-status="draft"' in response.content and b'id="record-steps"' in response.content
    assert b'data-action="commune_list.created"' in response.content  # the history panel
    client.post(url("start", round_2024, commune_a))  # starting twice keeps the one list
    assert CommuneList.objects.count() == 1 and AuditEvent.objects.filter(action="commune_list.created").count() == 1


@pytest.mark.parametrize(
    "persona, status",
    [
        ("officer_b", 404),
        ("outsider", 404),
        ("api_reader", 404),
        ("district_officer", 200),
        ("department", 200),
        ("chairman_a", 200),
    ],
)
def test_list_page_scope(client, request, persona, status, round_2024, commune_a):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("detail", round_2024, commune_a)).status_code == status
    assert client.get(url("print_posting", round_2024, commune_a)).status_code == status


def test_full_workflow_through_the_pages(client, draft_list, officer_a, district_officer, department, round_2024, commune_a):
    steps = [(officer_a, "submit", ""), (district_officer, "review", "Đồng ý"), (department, "approve", "")]
    for actor, action, reason in steps:
        client.force_login(actor)
        page = client.get(url("detail", round_2024, commune_a))
        assert f"/{action}/".encode() in page.content, f"{actor} sees the {action} button"
        response = client.post(
            url("transition", round_2024, commune_a, action), {"reason": reason, "version": page.context["current"].version}
        )
        assert response.status_code == 302
    draft_list.refresh_from_db()
    assert draft_list.status == ListStatus.APPROVED
    page = client.get(url("detail", round_2024, commune_a))
    assert b'data-field="poor">2<' in page.content and b"frozen" in page.content
    for action in (
        "commune_list.submitted",
        "commune_list.district_reviewed",
        "commune_list.approved",
        "hamlet_meeting.recorded",
    ):
        assert f'data-action="{action}"'.encode() in page.content


def test_forbidden_transition_through_the_page(client, submitted_list, officer_a, officer_b, round_2024, commune_a):
    client.force_login(officer_a)
    assert client.post(url("transition", round_2024, commune_a, "approve")).status_code == 403
    client.force_login(officer_b)
    assert client.post(url("transition", round_2024, commune_a, "approve")).status_code == 404
    client.force_login(officer_a)
    assert client.post(url("transition", round_2024, commune_a, "fly")).status_code == 404
    submitted_list.refresh_from_db()
    assert submitted_list.status == ListStatus.SUBMITTED


def test_return_without_reason_through_the_page_shows_an_error(client, submitted_list, district_officer, round_2024, commune_a):
    client.force_login(district_officer)
    response = client.post(url("transition", round_2024, commune_a, "return"), {"reason": ""}, follow=True)
    assert response.status_code == 200
    submitted_list.refresh_from_db()
    assert submitted_list.status == ListStatus.SUBMITTED
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_recording_steps_through_the_page(client, filled, officer_a, round_2024, commune_a):
    client.force_login(officer_a)
    hamlet = Hamlet.objects.filter(commune=commune_a).first()
    client.post(
        url("meeting_add", round_2024, commune_a), {"hamlet": hamlet.pk, "held_on": str(TODAY), "attendees": 30, "agreeing": 20}
    )
    client.post(
        url("posting_add", round_2024, commune_a), {"starts_on": str(TODAY), "ends_on": str(TODAY), "place": "Nhà văn hoá"}
    )
    assert filled.hamlet_meetings.get().agreeing == 20 and filled.postings.get().place == "Nhà văn hoá"


def test_overview_lists_every_commune_with_bounded_queries(
    client, department, draft_list, round_2024, django_assert_max_num_queries
):
    client.force_login(department)
    with django_assert_max_num_queries(19):  # (the menu asks the access policy; the round's decision; overdue applications)
        response = client.get(reverse("approval:overview", args=[round_2024.code]))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 91
    assert all(r.late for r in rows)  # the 2024 round ended on 14 December 2024
    assert next(r for r in rows if r.commune == draft_list.commune).status == ListStatus.DRAFT
    filtered = client.get(
        reverse("approval:overview", args=[round_2024.code]), {"status": "draft", "district": draft_list.commune.parent.code}
    )
    assert [r.commune for r in filtered.context["rows"]] == [draft_list.commune]
    not_started = client.get(reverse("approval:overview", args=[round_2024.code]), {"status": "none"})
    assert len(not_started.context["rows"]) == 90


def test_overview_is_scoped(client, district_officer, officer_b, outsider, round_2024, district_a):
    client.force_login(district_officer)
    rows = client.get(reverse("approval:overview", args=[round_2024.code])).context["rows"]
    assert rows and all(r.commune.parent_id == district_a.pk for r in rows)
    client.force_login(outsider)
    assert client.get(reverse("approval:overview", args=[round_2024.code])).status_code == 404


def test_queue_page(client, submitted_list, district_officer):
    client.force_login(district_officer)
    response = client.get(reverse("approval:queue"))
    assert list(response.context["lists"]) == [submitted_list]


def test_index_page(client, officer_a, round_2024):
    client.force_login(officer_a)
    response = client.get(reverse("approval:index"))
    assert response.status_code == 200 and round_2024.code.encode() in response.content


# --- frozen in the admin -----------------------------------------------------------------------------------


def test_admin_refuses_edits_of_frozen_assessments_and_lists(client, approved_list, round_2024):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assessment = round_2024.assessments.filter(commune=approved_list.commune).first()
    change = reverse("admin:surveys_assessment_change", args=[assessment.pk])
    assert client.get(change).status_code == 200  # readable
    response = client.post(change, {"income_per_capita": 1})
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.income_per_capita != 1
    list_change = reverse("admin:surveys_communelist_change", args=[approved_list.pk])
    assert client.post(list_change, {"status": "draft"}).status_code == 403
    approved_list.refresh_from_db()
    assert approved_list.status == ListStatus.APPROVED


def test_frozen_assessment_refuses_edits_through_the_ui(client, approved_list, officer_a, round_2024):
    assessment = round_2024.assessments.filter(commune=approved_list.commune, category="poor").first()
    client.force_login(officer_a)
    response = client.post(
        reverse("assessment-entry", args=[assessment.household.code]),
        {"round": round_2024.code, "income_per_capita": str(RICH_INCOME), "expected_version": assessment.version},
    )
    assert response.status_code == 409
    assessment.refresh_from_db()
    assert assessment.category == "poor" and assessment.income_per_capita == POOR_INCOME


def test_a_posting_recorded_with_a_wrong_date_can_be_withdrawn_and_recorded_again(
    client, officer_a, officer_b, round_2024, commune_a
):
    from core.models import AuditEvent

    fill_commune(officer_a, commune_a, round_2024)
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    # Typed 2052 instead of 2025-style dates: the posting "runs until" far in the future and blocks submission.
    record_procedure(officer_a, commune_list, posting_end=TODAY + datetime.timedelta(days=9000))
    wrong = commune_list.postings.get()
    assert any(f"{wrong.ends_on:%d/%m/%Y}" in b for b in approval.procedure_state(commune_list).blockers)
    withdraw = url("step_withdraw", round_2024, commune_a, "postings", wrong.pk)
    client.force_login(officer_b)
    assert client.post(withdraw, {"reason": "x"}).status_code == 404  # another commune's officer
    client.force_login(officer_a)
    client.post(withdraw, {"reason": ""})
    assert commune_list.postings.filter(pk=wrong.pk).exists()  # a reason is required
    client.post(withdraw, {"reason": "Nhập nhầm năm"})
    assert not commune_list.postings.exists()
    event = AuditEvent.objects.get(action="public_posting.withdrawn")
    assert event.reason == "Nhập nhầm năm" and event.changes["ends_on"][1] is None
    approval.public_posting_record(
        actor=officer_a,
        commune_list=commune_list,
        starts_on=TODAY - datetime.timedelta(days=14),
        ends_on=TODAY - datetime.timedelta(days=1),
    )
    assert approval.procedure_state(commune_list).blockers == []
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    meeting = commune_list.hamlet_meetings.first()
    client.post(url("step_withdraw", round_2024, commune_a, "meetings", meeting.pk), {"reason": "too late"})
    assert commune_list.hamlet_meetings.filter(pk=meeting.pk).exists()  # a submitted list's steps stay
