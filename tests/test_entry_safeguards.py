"""Entry safeguards (issue 12 item 4): one head per household, "able to work" from age, implausible incomes
confirmed, no silent truncation, look-alike households, one-time registration tokens, folded search."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core.models import AuditEvent
from households.models import Household, Member, of_working_age
from households.search import fold, household_search_key
from households.services import MemberData, household_create, household_update
from surveys.imports.importer import survey_import, write_survey_workbook
from surveys.models import Assessment
from tests.factories import default_members, make_household

pytestmark = pytest.mark.django_db

THIS_YEAR = datetime.date.today().year
THREE_DEPRIVED = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


@pytest.fixture(autouse=True)
def _english():
    # Messages are checked in English (new messages get their Vietnamese from the lead's catalogue).
    with translation.override("en"):
        yield


@pytest.fixture
def web(client, officer_a):
    client.force_login(officer_a)
    client.cookies["django_language"] = "en"
    return client


def member_post(members: list[dict], *, prefix: str = "members", initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(members)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "40",
    }
    for i, m in enumerate(members):
        row = {"relation": "other", "ethnicity": "Kinh", "citizen_id": "", "sex": "M", **m}
        for key, value in row.items():
            if isinstance(value, bool):
                if value:
                    data[f"{prefix}-{i}-{key}"] = "on"
            else:
                data[f"{prefix}-{i}-{key}"] = str(value)
    return data


LONG_FAMILY = [
    {"full_name": "Đặng Minh Long", "birth_year": 1970, "relation": "head", "able_to_work": True},
    {"full_name": "Phạm Thị Thu", "sex": "F", "birth_year": 1972, "relation": "spouse", "able_to_work": True},
]


def form_token(client) -> str:
    return client.get(reverse("household-create")).context["form"]["form_token"].value()


def register(
    client, commune, *, code: str, members=LONG_FAMILY, address: str = "12 Đường Số 3", token: str | None = None, **extra
):
    data = {
        "code": code,
        "commune": commune.pk,
        "hamlet": "Khu phố 1",
        "address": address,
        "form_token": form_token(client) if token is None else token,
        **member_post(members),
        **extra,
    }
    return client.post(reverse("household-create"), data)


# --- 1. one head per household ----------------------------------------------------------------------------------


def test_service_wants_exactly_one_head(officer_a, commune_a):
    no_head = [dataclasses.replace(m, relation="spouse" if i == 0 else m.relation) for i, m in enumerate(default_members())]
    with pytest.raises(ValidationError) as err:
        make_household(officer_a, commune_a, members=no_head)
    assert "members" in err.value.message_dict and "head" in err.value.message_dict["members"][0]
    two_heads = [*default_members(2), MemberData(full_name="Lê Văn Tư", sex="M", birth_year=1950, relation="head")]
    with pytest.raises(ValidationError) as err:
        make_household(officer_a, commune_a, members=two_heads)
    assert {"members", "members[0].relation", "members[2].relation"} <= set(err.value.message_dict)
    assert not Household.objects.exists()
    household = make_household(officer_a, commune_a)
    with pytest.raises(ValidationError) as err:
        household_update(actor=officer_a, household=household, members=two_heads)
    assert "members" in err.value.message_dict


def test_head_name_is_the_head_members_name(officer_a, commune_a):
    people = [MemberData(full_name=" Lò Thị Mai ", sex="F", birth_year=1950, relation="head"), *default_members(2)[1:]]
    household = household_create(actor=officer_a, code="A-HEAD", commune=commune_a, members=people)
    assert household.head_name == "Lò Thị Mai"  # from the row marked head
    # Another head in the member list: head_name follows, even when a caller sends another name.
    switched = [dataclasses.replace(people[0], relation="parent"), dataclasses.replace(people[1], relation="head")]
    household_update(actor=officer_a, household=household, members=switched, head_name="Someone Else")
    household.refresh_from_db()
    assert household.head_name == people[1].full_name
    # head_name alone (the API's PATCH) renames the head member, so the two never differ; audited as both.
    household_update(actor=officer_a, household=household, head_name=" Nguyễn Thị Mai Anh ")
    household.refresh_from_db()
    head = household.members.get(relation="head")
    assert household.head_name == head.full_name == "Nguyễn Thị Mai Anh" and "nguyen thi mai anh" in household.search_key
    event = AuditEvent.objects.filter(action="household.updated").latest("id")
    assert event.changes["head_name"][1] == "Nguyễn Thị Mai Anh"
    assert [m["full_name"] for m in event.changes["members"][1]] == [" Lò Thị Mai ", "Nguyễn Thị Mai Anh"]
    with pytest.raises(ValidationError) as err:
        household_update(actor=officer_a, household=household, head_name="x" * 121)
    assert "head_name" in err.value.message_dict


def test_api_gets_400_naming_members_without_one_head(officer_a, commune_a):
    client = APIClient()
    client.force_authenticate(officer_a)
    members = [{"full_name": "Lê Văn Nam", "sex": "M", "birth_year": 1975, "relation": "spouse"}]
    payload = {"code": "A-API1", "commune": commune_a.code, "head_name": "Lê Văn Nam", "members": members}
    response = client.post("/api/v1/households/", payload, format="json")
    assert response.status_code == 400 and "members" in response.content.decode()
    both = [dict(members[0], relation="head"), dict(members[0], full_name="Lê Văn Ba", relation="head")]
    response = client.post("/api/v1/households/", {**payload, "members": both}, format="json")
    assert response.status_code == 400 and "members" in response.content.decode()
    assert not Household.objects.filter(code="A-API1").exists()
    response = client.post("/api/v1/households/", {**payload, "head_name": "Tên Khác", "members": both[:1]}, format="json")
    assert response.status_code == 201 and response.json()["head_name"] == "Lê Văn Nam"


def test_form_has_no_head_name_field_and_checks_the_rows(web, commune_a):
    page = web.get(reverse("household-create")).content.decode()
    assert 'name="head_name"' not in page and "The member marked “Head”" in page
    no_head = [dict(LONG_FAMILY[0], relation="spouse"), LONG_FAMILY[1]]
    response = register(web, commune_a, code="A-NOHEAD", members=no_head)
    assert response.status_code == 400
    assert any("head of household" in e for e in response.context["formset"].non_form_errors())
    two = [LONG_FAMILY[0], dict(LONG_FAMILY[1], relation="head")]
    response = register(web, commune_a, code="A-TWO", members=two)
    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert "relation" in forms[0].errors and "relation" in forms[1].errors
    # A removed row does not count: the other head alone is fine.
    rows = member_post(two)
    rows["members-1-DELETE"] = "on"
    data = {"code": "A-ONEHEAD", "commune": commune_a.pk, "hamlet": "", "address": "", "form_token": form_token(web), **rows}
    assert web.post(reverse("household-create"), data).status_code == 302
    household = Household.objects.get(code="A-ONEHEAD")
    assert household.head_name == "Đặng Minh Long" and household.members.count() == 1
    assert not Household.objects.filter(code__in=["A-NOHEAD", "A-TWO"]).exists()


def test_editing_the_head_row_renames_the_household(web, officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-REN")
    page = web.get(reverse("household-edit", args=["A-REN"]))
    assert "Nguyễn Văn Hùng" in page.content.decode()
    rows = [
        {
            "full_name": m.full_name,
            "sex": m.sex,
            "birth_year": m.birth_year,
            "relation": m.relation,
            "able_to_work": m.able_to_work,
        }
        for m in household.members.all()
    ]
    rows[0]["full_name"] = "Nguyễn Văn Hưng"
    data = {"commune": commune_a.pk, "hamlet": "Khu phố 1", "address": "", "expected_version": 1, **member_post(rows, initial=3)}
    assert web.post(reverse("household-edit", args=["A-REN"]), data).status_code == 302
    household.refresh_from_db()
    assert household.head_name == "Nguyễn Văn Hưng" and household.version == 2


# --- 2. able to work from age -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "working"), [(14, False), (15, True), (60, True), (61, False)])
def test_working_age_bounds(age, working):
    assert of_working_age(THIS_YEAR - age) is working


def test_new_rows_follow_the_birth_year_existing_rows_do_not(web, officer_a, commune_a):
    page = web.get(reverse("household-create")).content.decode()
    assert 'data-working-age-from="15"' in page and 'data-working-age-to="60"' in page and f'data-this-year="{THIS_YEAR}"' in page
    # The initial head row and the "add member" template both follow the typed birth year.
    assert page.count("data-able-to-work data-follow-age") == 2
    make_household(officer_a, commune_a, code="A-AGE")
    edit = web.get(reverse("household-edit", args=["A-AGE"])).content.decode()
    assert edit.count("data-able-to-work data-follow-age") == 1 and edit.count("data-able-to-work") == 4
    with open("static/js/povreg.js", encoding="utf-8") as script:
        assert "data-follow-age" in script.read()


def test_child_marked_able_to_work_is_saved_with_a_warning(web, commune_a):
    child = {"full_name": "Đặng Minh Khang", "birth_year": THIS_YEAR - 10, "relation": "child", "able_to_work": True}
    response = register(web, commune_a, code="A-CHILD", members=[*LONG_FAMILY, child])
    assert response.status_code == 302
    assert Member.objects.get(full_name="Đặng Minh Khang").able_to_work  # saved as ticked: a warning, not a refusal
    shown = web.get(response["Location"]).content.decode()
    assert "Marked able to work although under 15: Đặng Minh Khang" in shown
    # A re-rendered form points at the row too.
    response = register(web, commune_a, code="bad code!", members=[*LONG_FAMILY, child])
    assert response.status_code == 400 and "Under 15: check" in response.content.decode()


# --- 3. implausible incomes -------------------------------------------------------------------------------------


def assess_post(client, code, **data):
    return client.post(
        reverse("assessment-entry", args=[code]),
        {"round": "BD-2024", "deprived": THREE_DEPRIVED, "expected_version": "0", **data},
    )


def test_income_above_the_bound_needs_confirming(web, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-RICH")
    response = assess_post(web, "A-RICH", income_per_capita="60.000.000")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="income-warning"' in html and "more than 50.000.000" in html
    assert 'name="confirm_income" value="60000000"' in html and 'value="60.000.000"' in html
    assert not Assessment.objects.filter(household=household).exists()
    # Confirming another amount than the one saved does not count.
    response = assess_post(web, "A-RICH", income_per_capita="70.000.000", confirm_income="60000000")
    assert response.status_code == 200 and 'value="70000000"' in response.content.decode()
    assert not Assessment.objects.filter(household=household).exists()
    response = assess_post(web, "A-RICH", income_per_capita="60.000.000", confirm_income="60000000")
    assert response.status_code == 302
    assert Assessment.objects.get(household=household).income_per_capita == 60_000_000


@pytest.mark.parametrize(
    ("data", "warned"),
    [
        ({"income_per_capita": "50000000"}, False),  # the bound itself is plausible
        ({"income_per_capita": "50000001"}, True),
        ({"income_per_capita": "100000"}, False),
        ({"income_per_capita": "99999"}, True),
        ({"income_per_capita": "0"}, False),  # no income at all is a real case, not a slip
        ({"total_income": "180.000.003"}, True),  # 60.000.001 per person over three members
    ],
)
def test_income_bounds(web, officer_a, commune_a, round_2024, data, warned):
    household = make_household(officer_a, commune_a, code="A-B")
    response = assess_post(web, "A-B", **data)
    assert (response.status_code == 200 and 'id="income-warning"' in response.content.decode()) is warned
    assert Assessment.objects.filter(household=household).exists() is not warned


def test_income_bounds_are_settings(web, officer_a, commune_a, round_2024, settings):
    settings.POVREG_INCOME_WARN_ABOVE = 10_000_000
    settings.POVREG_INCOME_WARN_BELOW = 0
    make_household(officer_a, commune_a, code="A-S")
    assert 'id="income-warning"' in assess_post(web, "A-S", income_per_capita="20.000.000").content.decode()
    assert assess_post(web, "A-S", income_per_capita="5").status_code == 302  # no lower bound


def test_preview_still_classifies_an_implausible_income(web, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-P")
    html = web.post(
        reverse("assessment-preview", args=["A-P"]), {"round": "BD-2024", "income_per_capita": "60.000.000", "deprived": []}
    ).content.decode()
    assert 'data-category="not_poor"' in html


# --- 4. nothing cut silently ------------------------------------------------------------------------------------


def test_form_inputs_carry_no_maxlength(web, officer_a, commune_a):
    assert "maxlength" not in web.get(reverse("household-create")).content.decode()
    make_household(officer_a, commune_a, code="A-ML")
    assert "maxlength" not in web.get(reverse("household-edit", args=["A-ML"])).content.decode()


def test_too_long_values_get_errors_naming_the_field(web, commune_a):
    rows = [dict(LONG_FAMILY[0], citizen_id="0740700001234"), dict(LONG_FAMILY[1], full_name="Phạm " + "x" * 295)]
    response = register(web, commune_a, code="A-LONG", members=rows, address="a" * 300)
    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert forms[0].errors["citizen_id"] == ["A citizen ID has exactly 12 digits; this one has 13."]
    assert forms[1].errors["full_name"] == ["Full name can have at most 120 characters; this one has 300. Shorten it."]
    assert response.context["form"].errors["address"] == [
        "Address can have at most 255 characters; this one has 300. Shorten it."
    ]
    html = response.content.decode()
    assert 'value="0740700001234"' in html and "x" * 295 in html  # kept as typed, not cut
    assert not Household.objects.filter(code="A-LONG").exists()
    letters = register(web, commune_a, code="A-LONG", members=[dict(LONG_FAMILY[0], citizen_id="07407000012a")])
    assert letters.context["formset"].forms[0].errors["citizen_id"] == ["A citizen ID has exactly 12 digits, and nothing else."]


# --- 5. look-alike households -----------------------------------------------------------------------------------


def test_lookalike_household_is_warned_about_then_registered_anyway(web, officer_a, commune_a):
    existing = household_create(
        actor=officer_a,
        code="A-LONG1",
        commune=commune_a,
        address="12 Đường Số 3",
        members=[MemberData(full_name="Đặng Minh Long", sex="M", birth_year=1970, relation="head")],
    )
    folded = [dict(LONG_FAMILY[0], full_name="dang minh LONG"), LONG_FAMILY[1]]
    token = form_token(web)
    response = register(web, commune_a, code="A-LONG2", members=folded, address=" 12  đường số 3", token=token)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="lookalikes"' in html
    assert reverse("household-detail", args=[existing.code]) in html
    assert 'name="register_anyway" value="A-LONG1"' in html
    assert not Household.objects.filter(code="A-LONG2").exists()
    # Acknowledging some other household is not acknowledging this one.
    again = register(web, commune_a, code="A-LONG2", members=folded, address="12 Đường Số 3", token=token, register_anyway="A-X")
    assert again.status_code == 200 and not Household.objects.filter(code="A-LONG2").exists()
    saved = register(
        web, commune_a, code="A-LONG2", members=folded, address="12 Đường Số 3", token=token, register_anyway="A-LONG1"
    )
    assert saved.status_code == 302 and Household.objects.filter(code="A-LONG2").exists()


def test_no_warning_for_another_birth_year_address_or_commune(web, officer_a, officer_b, commune_a, commune_b):
    for code, commune, actor, year, address in [
        ("A-Y", commune_a, officer_a, 1971, "12 Đường Số 3"),
        ("A-AD", commune_a, officer_a, 1970, "14 Đường Số 3"),
        ("B-C", commune_b, officer_b, 1970, "12 Đường Số 3"),
    ]:
        household_create(
            actor=actor,
            code=code,
            commune=commune,
            address=address,
            members=[MemberData(full_name="Đặng Minh Long", sex="M", birth_year=year, relation="head")],
        )
    assert register(web, commune_a, code="A-NEW").status_code == 302


# --- 6. one-time registration tokens ----------------------------------------------------------------------------


def test_a_resubmitted_form_creates_nothing_and_links_to_its_household(web, commune_a):
    token = form_token(web)
    assert token in web.session["household_form_tokens"]
    assert register(web, commune_a, code="A-ONCE", token=token).status_code == 302
    assert web.session["household_form_tokens"][token] == "A-ONCE"
    # Back twice, then save (even with the code changed): refused, with a link to what the form registered.
    response = register(web, commune_a, code="A-TWICE", token=token)
    html = response.content.decode()
    assert response.status_code == 409 and "already saved" in html
    assert f'href="{reverse("household-detail", args=["A-ONCE"])}"' in html
    assert not Household.objects.filter(code="A-TWICE").exists() and Household.objects.count() == 1
    # The page carries a fresh token for a genuinely new registration.
    assert response.context["form"]["form_token"].value() not in ("", token)


def test_a_form_without_a_known_token_saves_nothing(web, commune_a):
    for token in ("", "forged"):
        response = register(web, commune_a, code="A-NOTOKEN", token=token)
        assert response.status_code == 400 and "nothing was saved" in response.content.decode()
        fresh = response.context["form"]["form_token"].value()
        assert fresh and web.session["household_form_tokens"][fresh] == ""
    assert not Household.objects.filter(code="A-NOTOKEN").exists()


def test_a_refused_save_keeps_its_token(web, commune_a):
    token = form_token(web)
    assert register(web, commune_a, code="bad code!", token=token).status_code == 400
    assert register(web, commune_a, code="A-FIXED", token=token).status_code == 302


# --- 7. search without tone marks or case -----------------------------------------------------------------------


def test_fold():
    assert fold("Đặng Minh Long") == "dang minh long" == fold("dang minh long")
    assert fold("ĐỖ THỊ ÁNH  Tuyết") == "do thi anh tuyet"
    assert fold("Nguyễn") == fold("Nguye\u0302\u0303n")  # decomposed input folds alike
    assert (
        household_search_key(code="A-1", head_name="Lê Văn Ơn", members=[("Lê Văn Ơn", "074080000001")])
        == "a-1 | le van on | 074080000001"
    )


def test_search_ignores_tone_marks_and_case(web, officer_a, commune_a):
    make_household(officer_a, commune_a, code="A-OTHER")
    household_create(
        actor=officer_a,
        code="A-LONG",
        commune=commune_a,
        members=[
            MemberData(full_name="Đặng Minh Long", sex="M", birth_year=1970, relation="head", citizen_id="074070000123"),
            MemberData(full_name="Phạm Thị Thu", sex="F", birth_year=1972, relation="spouse"),
        ],
    )

    def found(q):
        return [h.code for h in web.get(reverse("household-list"), {"q": q}).context["page"].object_list]

    for query in ("dang minh long", "DANG MINH LONG", "Đặng Minh Long", "long dang", "pham thi thu", "a-long", "074070000123"):
        assert found(query) == ["A-LONG"], query
    assert found("dang minh hung") == []
    api = APIClient()
    api.force_authenticate(officer_a)
    assert [h["code"] for h in api.get("/api/v1/households/", {"q": "dang minh long"}).json()["results"]] == ["A-LONG"]


def test_search_key_follows_changes(officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-KEY")
    assert "nguyen van hung" in household.search_key
    renamed = [dataclasses.replace(default_members()[0], full_name="Trịnh Công Sơn"), *default_members()[1:]]
    household_update(actor=officer_a, household=household, members=renamed)
    household.refresh_from_db()
    assert "trinh cong son" in household.search_key and "nguyen van hung" not in household.search_key


def test_import_fills_the_search_key(tmp_path, officer_a, round_2024):
    path = tmp_path / "survey.xlsx"
    household = {
        "household_code": "IMP-S",
        "commune_code": "25747",
        "hamlet": "Khu phố 1",
        "head_name": "Đỗ Thị Ánh",
        "address": "",
        "income_per_capita": 1_900_000,
        "deprived": "",
    }
    members = [
        {
            "household_code": "IMP-S",
            "full_name": "Đỗ Thị Ánh",
            "sex": "F",
            "birth_year": 1980,
            "relation": "head",
            "citizen_id": "074180000777",
            "ethnicity": "Kinh",
            "able_to_work": 1,
            "social_protection": 0,
            "merit": 0,
            "disability": 0,
        }
    ]
    write_survey_workbook(path, households=[household], members=members)
    assert survey_import(actor=officer_a, round=round_2024, path=path).ok
    assert Household.objects.get(code="IMP-S").search_key == "imp-s | do thi anh | 074180000777"
    # Members replaced by a second file: the key follows them.
    members.append({**members[0], "full_name": "Lương Văn Bảy", "relation": "child", "birth_year": 2010, "citizen_id": ""})
    write_survey_workbook(path, households=[household], members=members)
    assert survey_import(actor=officer_a, round=round_2024, path=path).ok
    assert "luong van bay" in Household.objects.get(code="IMP-S").search_key


def test_migration_fills_existing_households(officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-MIG")
    Household.objects.filter(pk=household.pk).update(search_key="")
    migration = importlib.import_module("households.migrations.0004_household_search_key")
    migration.fill_search_keys(django_apps, None)
    assert Household.objects.get(pk=household.pk).search_key == household.search_key != ""
    assert re.fullmatch(r"a-mig \| nguyen van hung \| nguyen thi mai 0 \| nguyen thi mai 1", household.search_key)
