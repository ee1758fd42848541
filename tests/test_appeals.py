"""Appeals: a household's complaint, lodged by an officer, opens a reassessment; its outcome is recorded and audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import AuditEvent
from households.models import Household
from surveys import approval
from surveys.models import Appeal, AppealStatus, ListStatus
from tests.factories import FOUR, POOR_INCOME, RICH_INCOME, assess, fill_commune, make_household, record_procedure

OK = "ok"


@pytest.fixture
def poor_household(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    return household


@pytest.fixture
def appeal(officer_a, poor_household, round_2024):
    return approval.appeal_lodge(
        actor=officer_a, household=poor_household, round=round_2024, complaint="Hộ đã có việc làm ổn định"
    )


def test_lodge_reassess_decide(officer_a, chairman_a, poor_household, round_2024):
    appeal = approval.appeal_lodge(actor=officer_a, household=poor_household, round=round_2024, complaint="Thu nhập đã tăng")
    assert appeal.status == AppealStatus.OPEN and appeal.category_before == "poor" and appeal.lodged_by == officer_a
    lodged = AuditEvent.objects.get(action="appeal.lodged")
    assert lodged.reason == "Thu nhập đã tăng" and lodged.target_id == str(appeal.pk)
    assess(officer_a, poor_household, round_2024, RICH_INCOME)  # the reassessment
    decided = approval.appeal_decide(actor=chairman_a, appeal=appeal, status=AppealStatus.UPHELD, outcome="Đưa ra khỏi danh sách")
    assert decided.status == AppealStatus.UPHELD and decided.category_after == "not_poor" and decided.decided_by == chairman_a
    event = AuditEvent.objects.get(action="appeal.decided")
    assert event.changes["status"] == ["open", "upheld"] and event.changes["category_after"] == ["", "not_poor"]
    with pytest.raises(ValidationError):
        approval.appeal_decide(actor=chairman_a, appeal=appeal, status=AppealStatus.REJECTED, outcome="again")
    assert AuditEvent.objects.filter(action__startswith="appeal.").count() == 2


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("officer_a", OK),
        ("chairman_a", OK),
        ("department", OK),
        ("district_officer", PermissionDenied),
        ("api_reader", Household.DoesNotExist),
        ("officer_b", Household.DoesNotExist),
        ("outsider", Household.DoesNotExist),
    ],
)
def test_lodge_by_persona(request, persona, expected, poor_household, round_2024):
    actor = request.getfixturevalue(persona)
    if expected == OK:
        approval.appeal_lodge(actor=actor, household=poor_household, round=round_2024, complaint="x")
        assert AuditEvent.objects.filter(action="appeal.lodged").count() == 1
    else:
        with pytest.raises(expected):
            approval.appeal_lodge(actor=actor, household=poor_household, round=round_2024, complaint="x")
        assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("officer_a", OK),
        ("chairman_a", OK),
        ("department", OK),
        ("district_officer", PermissionDenied),
        ("api_reader", Appeal.DoesNotExist),
        ("officer_b", Appeal.DoesNotExist),
        ("outsider", Appeal.DoesNotExist),
    ],
)
def test_decide_by_persona(request, persona, expected, appeal):
    actor = request.getfixturevalue(persona)
    if expected == OK:
        approval.appeal_decide(actor=actor, appeal=appeal, status=AppealStatus.REJECTED, outcome="Giữ nguyên")
        assert AuditEvent.objects.filter(action="appeal.decided").count() == 1
    else:
        with pytest.raises(expected):
            approval.appeal_decide(actor=actor, appeal=appeal, status=AppealStatus.REJECTED, outcome="Giữ nguyên")
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.OPEN


def test_inputs_are_checked(officer_a, poor_household, round_2024, commune_a, appeal):
    with pytest.raises(ValidationError):  # a second open appeal for the same household and round
        approval.appeal_lodge(actor=officer_a, household=poor_household, round=round_2024, complaint="again")
    unassessed = make_household(officer_a, commune_a)
    with pytest.raises(ValidationError):
        approval.appeal_lodge(actor=officer_a, household=unassessed, round=round_2024, complaint="x")
    with pytest.raises(ValidationError):
        approval.appeal_lodge(actor=officer_a, household=unassessed, round=round_2024, complaint="  ")
    with pytest.raises(ValidationError):
        approval.appeal_decide(actor=officer_a, appeal=appeal, status=AppealStatus.UPHELD, outcome=" ")
    with pytest.raises(ValidationError):
        approval.appeal_decide(actor=officer_a, appeal=appeal, status=AppealStatus.OPEN, outcome="x")


def test_open_appeal_blocks_submission_and_approval(officer_a, district_officer, department, commune_a, round_2024):
    households = fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    appeal = approval.appeal_lodge(actor=officer_a, household=households[0], round=round_2024, complaint="x")
    with pytest.raises(ValidationError):
        approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    approval.appeal_decide(actor=officer_a, appeal=appeal, status=AppealStatus.REJECTED, outcome="Giữ nguyên")
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    # Lodged while under review: the list cannot be approved until it is returned and the appeal decided.
    late = approval.appeal_lodge(actor=officer_a, household=households[1], round=round_2024, complaint="y")
    approval.commune_list_review(actor=district_officer, commune_list=commune_list)
    with pytest.raises(ValidationError):
        approval.commune_list_approve(actor=department, commune_list=commune_list)
    approval.commune_list_return(actor=department, commune_list=commune_list, reason="Giải quyết khiếu nại")
    assess(officer_a, households[1], round_2024, RICH_INCOME)
    approval.appeal_decide(actor=officer_a, appeal=late, status=AppealStatus.UPHELD, outcome="Đã điều chỉnh")
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    approval.commune_list_review(actor=district_officer, commune_list=commune_list)
    approved = approval.commune_list_approve(actor=department, commune_list=commune_list)
    assert approved.status == ListStatus.APPROVED and approved.near_poor == 0


def test_after_approval_an_appeal_needs_a_new_revision(officer_a, district_officer, department, commune_a, round_2024):
    households = fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    approval.commune_list_review(actor=district_officer, commune_list=commune_list)
    approval.commune_list_approve(actor=department, commune_list=commune_list)
    with pytest.raises(ValidationError):
        approval.appeal_lodge(actor=officer_a, household=households[0], round=round_2024, complaint="x")
    approval.commune_list_open_revision(actor=department, commune_list=commune_list, reason="Khiếu nại hộ nghèo")
    appeal = approval.appeal_lodge(actor=officer_a, household=households[0], round=round_2024, complaint="x")
    assess(officer_a, households[0], round_2024, RICH_INCOME)
    assert (
        approval.appeal_decide(actor=officer_a, appeal=appeal, status=AppealStatus.UPHELD, outcome="ok").category_after
        == "not_poor"
    )


# --- pages -------------------------------------------------------------------------------------------------


def test_lodge_and_decide_through_the_pages(client, officer_a, chairman_a, poor_household, round_2024):
    client.force_login(officer_a)
    form = client.get(reverse("approval:appeal_new"), {"household": poor_household.code, "round": round_2024.code})
    assert form.status_code == 200
    response = client.post(
        reverse("approval:appeal_new"),
        {"household_code": poor_household.code, "round": round_2024.code, "complaint": "Thu nhập thấp hơn"},
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response.url == reverse("approval:appeal", args=[appeal.pk])
    client.force_login(chairman_a)
    page = client.get(reverse("approval:appeal", args=[appeal.pk]))
    assert page.context["can_decide"] and b'data-action="appeal.lodged"' in page.content
    client.post(
        reverse("approval:appeal", args=[appeal.pk]),
        {"status": "rejected", "outcome": "Đúng quy định", "version": appeal.version},
    )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.REJECTED and appeal.outcome == "Đúng quy định"
    listing = client.get(reverse("approval:appeals"), {"status": "rejected"})
    assert list(listing.context["appeals"]) == [appeal]


def test_appeal_pages_are_scoped(client, officer_b, district_officer, appeal, poor_household, round_2024):
    client.force_login(officer_b)
    assert client.get(reverse("approval:appeal", args=[appeal.pk])).status_code == 404
    assert list(client.get(reverse("approval:appeals")).context["appeals"]) == []
    response = client.post(
        reverse("approval:appeal_new"), {"household_code": poor_household.code, "round": round_2024.code, "complaint": "x"}
    )
    assert response.status_code == 200 and "household_code" in response.context["form"].errors
    client.force_login(district_officer)
    assert client.get(reverse("approval:appeal", args=[appeal.pk])).context["can_decide"] is False
    assert client.post(reverse("approval:appeal", args=[appeal.pk]), {"status": "upheld", "outcome": "x"}).status_code == 403
