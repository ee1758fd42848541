"""The officers' household screens: register list, detail, create and edit through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from households.models import Hamlet, Household, Member
from households.services import MemberData
from tests.factories import assess, form_token, make_household, member_post

pytestmark = pytest.mark.django_db


THREE = [
    {
        "full_name": "Trần Văn An",
        "sex": "M",
        "birth_year": 1975,
        "relation": "head",
        "able_to_work": True,
        "citizen_id": "074075000111",
    },
    {"full_name": "Lê Thị Bình", "sex": "F", "birth_year": 1978, "relation": "spouse", "able_to_work": True},
    {"full_name": "Trần Văn Cường", "sex": "M", "birth_year": 2008, "relation": "child"},
]


def test_list_search_and_filters(client, officer_a, commune_a, round_2024):
    poor = make_household(officer_a, commune_a, code="A-POOR", hamlet_name="Khu phố 2")
    make_household(officer_a, commune_a, code="A-RICH")
    make_household(
        officer_a,
        commune_a,
        code="A-ID",
        members=[MemberData(full_name="Võ Thị Hạnh", sex="F", birth_year=1960, relation="head", citizen_id="074160000999")],
    )
    assess(officer_a, poor, round_2024, 900_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    client.force_login(officer_a)
    url = reverse("household-list")

    def codes(params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [h.code for h in response.context["page"].object_list]

    assert codes({}) == ["A-ID", "A-POOR", "A-RICH"]
    assert codes({"q": "rich"}) == ["A-RICH"]
    assert codes({"q": "074160000999"}) == ["A-ID"]
    assert codes({"hamlet": Hamlet.objects.get(commune=commune_a, name="Khu phố 2").pk}) == ["A-POOR"]
    assert codes({"round": "BD-2024", "category": "poor"}) == ["A-POOR"]
    assert codes({"category": "poor"}) == ["A-POOR"]  # the current open round by default
    assert codes({"assessed": "true"}) == ["A-POOR"]
    assert codes({"round": "BD-2024", "assessed": "false"}) == ["A-ID", "A-RICH"]
    response = client.get(url, {"q": "A-POOR"})
    assert "Hộ nghèo" in response.content.decode()  # category in the open round, in Vietnamese


def test_list_is_scoped_and_paginated(client, officer_a, officer_b, commune_a, commune_b):
    for i in range(30):
        make_household(officer_a, commune_a, code=f"A-{i:03d}")
    make_household(officer_b, commune_b, code="B-ONLY")
    client.force_login(officer_a)
    response = client.get(reverse("household-list"))
    assert response.context["page"].paginator.count == 30
    assert len(response.context["page"].object_list) == 25
    assert "B-ONLY" not in response.content.decode()
    second = client.get(reverse("household-list"), {"page": 2})
    assert [h.code for h in second.context["page"].object_list] == [f"A-{i:03d}" for i in range(25, 30)]


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_budget(client, officer_a, commune_a, round_2024, rows, django_assert_max_num_queries):
    for i in range(rows):
        household = make_household(officer_a, commune_a, code=f"Q-{i:03d}")
        if i % 2:
            assess(officer_a, household, round_2024, 3_000_000)
    client.force_login(officer_a)
    client.get(reverse("dashboard"))  # a user already at work: the idle-session refresh is done (every 5 min)
    with django_assert_max_num_queries(14):  # (one is the menu asking the access policy, one reads the visible communes)
        response = client.get(reverse("household-list"), {"q": "Q-", "round": "BD-2024"})
    assert response.status_code == 200


def test_detail_shows_members_and_every_round_with_explanation(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-DETAIL")
    assess(officer_a, household, round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    client.force_login(officer_a)
    response = client.get(reverse("household-detail", args=["A-DETAIL"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nguyễn Thị Mai 1" in html
    assert 'data-round="BD-2024"' in html and 'data-category="poor"' in html
    assert "1.000.000 ₫" in html
    assessment = household.assessments.get()
    assert assessment.explanation("vi") in html
    today = assessment.updated_at.astimezone().strftime("%d/%m/%Y")
    assert today in html
    client.cookies["django_language"] = "en"
    html = client.get(reverse("household-detail", args=["A-DETAIL"])).content.decode()
    assert assessment.explanation("en") in html and "Poor household" in html


def test_create_household_with_three_members_and_new_hamlet(client, officer_a, commune_a, round_2024):
    client.force_login(officer_a)
    data = {
        "code": "A-NEW-1",
        "commune": commune_a.pk,
        "hamlet": "Khu phố 9",
        "form_token": form_token(client),
        "address": "12 Đường 30/4",
        **member_post("members", THREE),
        "then": "assess",
    }
    response = client.post(reverse("household-create"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment-entry", args=["A-NEW-1"])
    household = Household.objects.get(code="A-NEW-1")
    assert household.hamlet.name == "Khu phố 9"
    assert [m.full_name for m in household.members.order_by("position")] == [m["full_name"] for m in THREE]
    assert AuditEvent.objects.filter(action="household.created").count() == 1
    assert AuditEvent.objects.filter(action="hamlet.created").count() == 1
    # An existing hamlet is reused, whatever the case of the typed name.
    data = {
        **data,
        "code": "A-NEW-2",
        "hamlet": "khu phố 9",
        "form_token": form_token(client),
        **member_post("members", [dict(THREE[1], relation="head")]),
    }
    assert client.post(reverse("household-create"), data).status_code == 302
    assert Hamlet.objects.filter(commune=commune_a).count() == 1


def test_create_errors_stay_beside_fields_and_keep_input(client, officer_a, commune_a):
    make_household(
        officer_a,
        commune_a,
        code="A-TAKEN",
        members=[MemberData(full_name="Người Có CCCD", sex="M", birth_year=1970, relation="head", citizen_id="074075000111")],
    )
    client.force_login(officer_a)
    bad_id = [dict(THREE[0], citizen_id="12345"), *THREE[1:]]
    data = {
        "code": "A-NEW",
        "commune": commune_a.pk,
        "hamlet": "",
        "form_token": form_token(client),
        **member_post("members", bad_id),
    }
    response = client.post(reverse("household-create"), data)
    assert response.status_code == 400
    formset = response.context["formset"]
    assert "citizen_id" in formset.forms[0].errors
    html = response.content.decode()
    assert 'value="Lê Thị Bình"' in html and 'value="12345"' in html
    # The service's own check (ID already registered elsewhere) lands beside the member's field too.
    data = {**data, **member_post("members", THREE)}
    response = client.post(reverse("household-create"), data)
    assert response.status_code == 400
    assert "citizen_id" in response.context["formset"].forms[0].errors
    assert not Household.objects.filter(code="A-NEW").exists()
    # A duplicate household code is reported beside the code field.
    two = [THREE[1], dict(THREE[2], relation="head")]
    data = {**data, "code": "A-TAKEN", **member_post("members", two)}
    response = client.post(reverse("household-create"), data)
    assert response.status_code == 400 and "code" in response.context["form"].errors
    # A removed row is not saved, and removing every row is refused.
    rows = member_post("members", two)
    rows["members-0-DELETE"] = "on"
    response = client.post(reverse("household-create"), {**data, "code": "A-ONE", **rows})
    assert response.status_code == 302
    assert [m.full_name for m in Household.objects.get(code="A-ONE").members.all()] == [THREE[2]["full_name"]]
    rows["members-1-DELETE"] = "on"
    response = client.post(reverse("household-create"), {**data, "code": "A-EMPTY", "form_token": form_token(client), **rows})
    assert response.status_code == 400 and response.context["formset"].non_form_errors()


def test_reserved_code_is_refused(client, officer_a, commune_a):
    client.force_login(officer_a)
    data = {"code": "new", "commune": commune_a.pk, "head_name": "X", **member_post("members", THREE[1:2])}
    response = client.post(reverse("household-create"), data)
    assert response.status_code == 400 and "code" in response.context["form"].errors


def test_officer_cannot_create_in_another_commune(client, officer_a, commune_b):
    client.force_login(officer_a)
    data = {"code": "B-SNEAK", "commune": commune_b.pk, "head_name": "X", **member_post("members", THREE[1:2])}
    response = client.post(reverse("household-create"), data)
    assert response.status_code == 400 and "commune" in response.context["form"].errors
    assert not Household.objects.filter(code="B-SNEAK").exists()


def test_edit_replaces_members_and_detects_conflicts(client, officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-EDIT")
    client.force_login(officer_a)
    url = reverse("household-edit", args=["A-EDIT"])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["formset"].initial_form_count() == 3
    members = [
        {
            "full_name": m.full_name,
            "sex": m.sex,
            "birth_year": m.birth_year,
            "relation": m.relation,
            "able_to_work": m.able_to_work,
        }
        for m in household.members.all()
    ]
    data = {
        "commune": commune_a.pk,
        "hamlet": "Khu phố 1",
        "head_name": "Nguyễn Văn Hùng",
        "address": "",
        "expected_version": household.version,
        **member_post("members", members, initial=3),
    }
    data["members-2-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.members.count() == 2 and household.version == 2
    # A stale version: 409, the typed input is kept, and saving again applies it.
    data["members-0-full_name"] = "Nguyễn Văn Hùng Mới"  # the head's row: head_name follows it
    data["expected_version"] = 1
    response = client.post(url, data)
    assert response.status_code == 409
    assert 'value="Nguyễn Văn Hùng Mới"' in response.content.decode()
    assert response.context["form"].data["expected_version"] == "2"
    data["expected_version"] = 2
    assert client.post(url, data).status_code == 302
    household.refresh_from_db()
    assert household.head_name == "Nguyễn Văn Hùng Mới"


def test_read_only_roles_get_no_edit_screens(client, officer_a, commune_a, district_officer, chairman_a, department):
    make_household(officer_a, commune_a, code="A-RO")
    for reader in (district_officer, chairman_a):
        client.force_login(reader)
        detail = client.get(reverse("household-detail", args=["A-RO"]))
        assert detail.status_code == 200
        assert reverse("household-edit", args=["A-RO"]) not in detail.content.decode()
        assert client.get(reverse("household-edit", args=["A-RO"])).status_code == 403
        assert client.get(reverse("household-create")).status_code == 403
    client.force_login(department)
    assert client.get(reverse("household-edit", args=["A-RO"])).status_code == 200


def test_hamlet_options_follow_the_commune(client, officer_a, officer_b, commune_a, commune_b):
    Hamlet.objects.create(commune=commune_a, name="Khu phố 7")
    Hamlet.objects.create(commune=commune_b, name="Ấp Bí Mật")
    client.force_login(officer_a)
    html = client.get(reverse("hamlet-options"), {"commune": commune_a.pk}).content.decode()
    assert 'value="Khu phố 7"' in html
    assert client.get(reverse("hamlet-options"), {"commune": commune_b.pk}).status_code == 404


def test_member_rows_are_counted(client, officer_a, commune_a):
    make_household(officer_a, commune_a, code="A-COUNT")
    client.force_login(officer_a)
    response = client.get(reverse("household-list"))
    assert response.context["page"].object_list[0].member_count == Member.objects.filter(household__code="A-COUNT").count()


def test_create_page_suggests_the_next_code(client, officer_a, commune_a):
    client.force_login(officer_a)
    assert client.get(reverse("household-create")).context["form"]["code"].value() == f"{commune_a.code}-0001"
    make_household(officer_a, commune_a, code=f"{commune_a.code}-0041")
    assert client.get(reverse("household-create")).context["form"]["code"].value() == f"{commune_a.code}-0042"


def test_detail_shows_the_history_and_stays_within_a_query_budget(
    client, officer_a, commune_a, round_2024, django_assert_max_num_queries
):
    household = make_household(officer_a, commune_a, code="A-HIST")
    assess(officer_a, household, round_2024, 1_000_000)
    client.force_login(officer_a)
    with django_assert_max_num_queries(21):  # 16, plus the access log (a role check and a batched insert), the menu,
        # the results under additional standards (one prefetch), and the visible communes read once
        response = client.get(reverse("household-detail", args=["A-HIST"]))
    actions = [e.action for e in response.context["events"]]
    assert "household.created" in actions and "assessment.created" in actions
    assert 'data-action="household.created"' in response.content.decode()


def test_household_status_change_from_the_detail_page(client, officer_a, commune_a):
    from core.models import AuditEvent
    from tests.factories import make_household as make

    a = make(officer_a, commune_a, code="HH-STATUS-A")
    b = make(officer_a, commune_a, code="HH-STATUS-B")
    client.force_login(officer_a)
    url = reverse("household-status", args=[a.code])
    # Merging needs a target in the officer's area; nothing changes otherwise.
    response = client.post(
        url, {"status": "merged", "merged_into": "NOPE", "reason": "joined parents", "expected_version": 1}, follow=True
    )
    a.refresh_from_db()
    assert a.status == "active" and "NOPE" in response.content.decode()
    # A page opened before someone else's change (or without its version) changes nothing.
    for stale in ({"expected_version": 7}, {}):
        client.post(url, {"status": "dissolved", "reason": "stale page", **stale})
        a.refresh_from_db()
        assert a.status == "active"
    client.post(url, {"status": "merged", "merged_into": b.code, "reason": "joined parents", "expected_version": a.version})
    a.refresh_from_db()
    assert (a.status, a.merged_into) == ("merged", b)
    event = AuditEvent.objects.filter(action="household.status_changed").get()
    assert event.reason == "joined parents"


def test_district_officer_cannot_change_status(client, officer_a, district_officer, commune_a):
    from tests.factories import make_household as make

    a = make(officer_a, commune_a, code="HH-STATUS-C")
    client.force_login(district_officer)
    response = client.post(reverse("household-status", args=[a.code]), {"status": "dissolved", "reason": "x"})
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.status == "active"
