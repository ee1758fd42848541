"""Coded ethnicity: the GSO's 54 groups as data, every entry path taking a name or a code, the migration from free
text, and the one definition of an ethnic-minority household read alike by the frozen entries and the live SQL."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from households.ethnicity import KINH_CODE, head_ethnic_minority, is_ethnic_minority, match_code
from households.models import EthnicGroup, Household, Member
from households.services import MemberData, household_create
from surveys.approval.freeze import entry_facts
from surveys.imports.importer import survey_import, write_survey_workbook
from surveys.models import Assessment, ListEntry
from surveys.reports.breakdowns import breakdowns
from tests.factories import approved_list, assert_error, assess, client_for, form_token, make_household, member_post

pytestmark = pytest.mark.django_db

POOR = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_54_groups_are_loaded_with_their_gso_codes():
    groups = dict(EthnicGroup.objects.values_list("code", "name_vi"))
    assert len(groups) == 54 and sorted(groups) == [f"{n:02d}" for n in range(1, 55)]
    assert (groups["01"], groups["04"], groups["05"], groups["53"], groups["54"]) == ("Kinh", "Hoa", "Khmer", "Ơ Đu", "Rơ Măm")
    assert EthnicGroup.objects.values("key").distinct().count() == 54
    assert EthnicGroup.objects.get(code="08").name_en == "Hmong"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kinh", "01"),
        ("Người Kinh", "01"),
        ("Việt", "01"),
        ("kinh", "01"),
        ("KINH", "01"),
        ("dân tộc Kinh", "01"),
        ("nguoi kinh", "01"),
        ("Kinh (Việt)", "01"),
        ("1", "01"),
        ("01", "01"),
        ("Khơ-me", "05"),
        ("khmer", "05"),
        ("Người Khơ me", "05"),
        ("5", "05"),
        ("H'Mông", "08"),
        ("Mèo", "08"),
        ("Ê-đê", "12"),
        ("ede", "12"),
        ("Tày", "02"),
        ("TAY", "02"),
        ("Cờ Lao", "47"),
        ("Ơ Đu", "53"),
        ("54", "54"),
        ("", None),
        ("   ", None),
        ("xyz", None),
        ("55", None),
        ("0", None),
        ("Người", None),
        (None, None),
    ],
)
def test_a_name_or_code_is_read_as_one_group(text, code):
    assert match_code(text) == code


def test_ethnic_minority_is_the_heads_group_other_than_kinh():
    assert is_ethnic_minority("02") and not is_ethnic_minority(KINH_CODE) and not is_ethnic_minority(None)
    head = {"relation": "head"}
    # Coded snapshots read the code; snapshots from before the groups read their text with the same matching.
    assert head_ethnic_minority([{**head, "ethnic_group": "05", "ethnicity": "Khmer"}])
    assert not head_ethnic_minority([{**head, "ethnic_group": "01", "ethnicity": "Kinh"}])
    assert not head_ethnic_minority([{**head, "ethnicity": "Người Kinh"}, {"relation": "child", "ethnicity": "Tày"}])
    assert not head_ethnic_minority([{**head, "ethnicity": "Việt"}])
    assert head_ethnic_minority([{**head, "ethnicity": "Khơ-me"}])
    assert not head_ethnic_minority([{**head, "ethnicity": "unknown text"}])  # unknown: not counted, listed instead
    assert entry_facts([{**head, "ethnicity": "KINH", "sex": "F"}], 1)["head_ethnic_minority"] is False


def test_the_service_stores_the_group_and_its_name_and_refuses_an_unknown_one(officer_a, commune_a):
    household = make_household(
        officer_a,
        commune_a,
        members=[
            MemberData(full_name="Lý Văn A", sex="M", birth_year=1970, relation="head", ethnicity="Người Khơ me"),
            MemberData(full_name="Lý Thị B", sex="F", birth_year=1972, relation="spouse", ethnicity="KINH"),
            MemberData(full_name="Lý Văn C", sex="M", birth_year=2001, relation="child", ethnicity="02"),
        ],
    )
    stored = list(household.members.order_by("position").values_list("ethnicity", "ethnic_group__code"))
    assert stored == [("Khmer", "05"), ("Kinh", "01"), ("Tày", "02")]
    assert household.members.get(relation="head").is_ethnic_minority
    with pytest.raises(ValidationError) as exc:
        household_create(
            actor=officer_a,
            code="A-BAD",
            commune=commune_a,
            members=[MemberData(full_name="X", sex="M", birth_year=1970, relation="head", ethnicity="Martian")],
        )
    assert "members[0].ethnicity" in exc.value.message_dict and not Household.objects.filter(code="A-BAD").exists()


def _rows(*members):
    households = [
        {
            "household_code": code,
            "commune_code": "25747",
            "hamlet": "Khu phố 1",
            "head_name": "Trần Văn An",
            "address": "1",
            "income_per_capita": 1_000_000,
            "deprived": "HEALTH_INSURANCE, WATER, LATRINE",
        }
        for code in dict.fromkeys(m["household_code"] for m in members)
    ]
    rows = [
        {
            "full_name": "Trần Văn An",
            "sex": "M",
            "birth_year": 1980,
            "relation": "head",
            "citizen_id": None,
            "able_to_work": 1,
            "social_protection": 0,
            "merit": 0,
            "disability": 0,
            **m,
        }
        for m in members
    ]
    return households, rows


def test_an_import_with_nguoi_kinh_kinh_and_KINH_yields_one_group(tmp_path, round_2024, officer_a):
    households, members = _rows(
        {"household_code": "ETH-1", "ethnicity": "Người Kinh"},
        {"household_code": "ETH-2", "ethnicity": "kinh"},
        {"household_code": "ETH-3", "ethnicity": "KINH"},
        {"household_code": "ETH-4", "ethnicity": ""},  # empty is Kinh, as the format documents
        {"household_code": "ETH-5", "ethnicity": 5},  # a code typed as a number
    )
    path = tmp_path / "eth.xlsx"
    write_survey_workbook(path, households=households, members=members)
    result = survey_import(actor=officer_a, round=round_2024, path=path)
    assert result.ok and result.applied, [str(i) for i in result.issues]
    kinh = Member.objects.filter(household__code__in=["ETH-1", "ETH-2", "ETH-3", "ETH-4"])
    assert set(kinh.values_list("ethnic_group__code", "ethnicity")) == {("01", "Kinh")}
    assert Member.objects.get(household__code="ETH-5").ethnic_group.code == "05"
    snapshot = Assessment.objects.get(household__code="ETH-1", round=round_2024).members_snapshot
    assert snapshot[0]["ethnic_group"] == "01" and snapshot[0]["ethnicity"] == "Kinh"
    # Imported again: the same group, nothing written twice.
    again = survey_import(actor=officer_a, round=round_2024, path=path)
    assert again.ok and not again.changed


def test_an_unknown_ethnicity_is_a_row_error_naming_the_column(tmp_path, round_2024, officer_a):
    households, members = _rows({"household_code": "ETH-9", "ethnicity": "Người sao Hỏa"})
    path = tmp_path / "bad.xlsx"
    write_survey_workbook(path, households=households, members=members)
    result = survey_import(actor=officer_a, round=round_2024, path=path)
    assert not result.ok and not result.applied
    assert [(i.sheet, i.row, i.column) for i in result.issues] == [("members", 2, "ethnicity")]
    assert "Người sao Hỏa" in result.issues[0].message
    assert not Household.objects.filter(code="ETH-9").exists()


def test_the_member_form_is_a_select_of_the_groups_and_reads_a_name_or_a_code(client, officer_a, commune_a):
    client.force_login(officer_a)
    with translation.override("vi"):
        page = client.get(reverse("household-create"))
    select = page.context["formset"].forms[0]["ethnicity"]
    html = str(select)
    assert html.startswith("<select") and 'value=""' in html and 'value="01"' in html and 'value="54"' in html
    assert select.field.choices[0][0] == "" and select.field.choices[1] == ("01", "Kinh")
    assert select.value() in (None, "")  # "— Choose —": no group picked for the officer
    url = reverse("household-create")
    people = [
        {"full_name": "Thạch Sa", "sex": "M", "birth_year": 1970, "relation": "head", "ethnicity": "05"},
        {"full_name": "Thạch Thị Na", "sex": "F", "birth_year": 1972, "relation": "spouse", "ethnicity": "Người Kinh"},
    ]
    data = {
        "code": "A-ETH",
        "commune": commune_a.pk,
        "hamlet": "Ấp 1",
        "address": "",
        "form_token": form_token(client),
        **member_post("members", people),
    }
    assert client.post(url, data).status_code == 302
    assert list(
        Member.objects.filter(household__code="A-ETH").order_by("position").values_list("ethnic_group__code", flat=True)
    ) == ["05", "01"]
    bad = {
        **data,
        "code": "A-ETH2",
        "form_token": form_token(client),
        **member_post("members", [{**people[0], "ethnicity": "Martian"}]),
    }
    response = client.post(url, bad)
    assert response.status_code == 400 and "ethnicity" in response.context["formset"].forms[0].errors
    empty = {
        **data,
        "code": "A-ETH3",
        "form_token": form_token(client),
        **member_post("members", [{**people[0], "ethnicity": ""}]),
    }
    assert client.post(url, empty).status_code == 400 and not Household.objects.filter(code__in=["A-ETH2", "A-ETH3"]).exists()


def test_the_edit_form_starts_an_unread_ethnicity_at_choose(client, officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-OLD")
    Member.objects.filter(household=household, relation="head").update(ethnic_group=None, ethnicity="Kihn")
    client.force_login(officer_a)
    page = client.get(reverse("household-edit", args=[household.code]))
    assert [f.initial["ethnicity"] for f in page.context["formset"].forms] == ["", "01", "01"]
    html = page.content.decode()
    assert html.count("data-ethnicity-entered") == 1 and "Kihn" in html  # what was typed, beside the select


def test_the_api_takes_a_name_or_code_and_answers_the_code(officer_a, commune_a):
    payload = {
        "code": "A-API",
        "commune": commune_a.code,
        "head_name": "Lò Văn Sáng",
        "members": [
            {"full_name": "Lò Văn Sáng", "sex": "M", "birth_year": 1970, "relation": "head", "ethnicity": "dân tộc Thái"},
            {"full_name": "Lò Thị Mai", "sex": "F", "birth_year": 1975, "relation": "spouse", "ethnicity": "KINH"},
            {"full_name": "Lò Văn Nam", "sex": "M", "birth_year": 2005, "relation": "child"},
        ],
    }
    response = client_for(officer_a).post("/api/v1/households/", payload, format="json")
    assert response.status_code == 201, response.json()
    members = response.json()["members"]
    assert [(m["ethnicity"], m["ethnic_group"]) for m in members] == [("Thái", "03"), ("Kinh", "01"), ("Kinh", "01")]
    bad = {**payload, "code": "A-API2", "members": [{**payload["members"][0], "ethnicity": "Martian"}]}
    assert_error(client_for(officer_a).post("/api/v1/households/", bad, format="json"), 400, field="members[0].ethnicity")


def test_the_migration_maps_free_text_and_lists_what_it_cannot(officer_a, commune_a, capsys):
    household = make_household(officer_a, commune_a, code="A-MIG")
    texts = ["Người Kinh", "Việt", "kinh", "KINH", "Khơ-me", "người Tày", "", "Kinhh", "Kinhh", "Martian"]
    Member.objects.bulk_create(
        [
            Member(
                household=household, full_name=f"P{i}", sex="M", birth_year=1990, relation="child", ethnicity=t, position=10 + i
            )
            for i, t in enumerate(texts)
        ]
    )
    migration = importlib.import_module("households.migrations.0006_ethnic_group_data")
    migration.load_and_map(django_apps, None)
    got = dict(Member.objects.filter(household=household, position__gte=10).values_list("full_name", "ethnic_group__code"))
    assert [got[f"P{i}"] for i in range(len(texts))] == ["01", "01", "01", "01", "05", "02", "01", None, None, None]
    printed = capsys.readouterr().out
    assert "3 member(s)" in printed and "'Kinhh': 2" in printed and "'Martian': 1" in printed
    assert EthnicGroup.objects.count() == 54  # loading again adds nothing


def test_breakdowns_count_the_heads_group_alike_live_and_approved(officer_a, commune_a, round_2024):
    def household(code, head_ethnicity):
        h = make_household(
            officer_a,
            commune_a,
            code=code,
            members=[
                MemberData(full_name="Chủ hộ", sex="M", birth_year=1970, relation="head", ethnicity=head_ethnicity),
                MemberData(full_name="Con", sex="F", birth_year=2000, relation="child", ethnicity="Tày"),
            ],
        )
        return assess(officer_a, h, round_2024, 1_000_000, POOR)

    household("B-1", "Tày")
    household("B-2", "Kinh")
    legacy_kinh = household("B-3", "Kinh")
    legacy_khmer = household("B-4", "Kinh")
    # Snapshots written before ethnicity was coded: text only, as the people typed it.
    for assessment, text in ((legacy_kinh, "Người Kinh"), (legacy_khmer, "Khơ-me")):
        snapshot = [{k: v for k, v in m.items() if k != "ethnic_group"} for m in assessment.members_snapshot]
        snapshot[0]["ethnicity"] = text
        Assessment.objects.filter(pk=assessment.pk).update(members_snapshot=snapshot)
    live = next(r for r in breakdowns(round=round_2024, unit=commune_a, status="all") if r.category == "poor")
    assert (live.households, live.ethnic_minority) == (4, 2)
    approved_list(round_2024, commune_a, poor=4)
    frozen = dict(ListEntry.objects.filter(round=round_2024).values_list("household__code", "head_ethnic_minority"))
    assert frozen == {"B-1": True, "B-2": False, "B-3": False, "B-4": True}
    approved = next(r for r in breakdowns(round=round_2024, unit=commune_a) if r.category == "poor")
    assert approved.ethnic_minority == live.ethnic_minority


def test_the_report_notes_carry_the_definition(client, officer_a, commune_a, department, round_2024):
    assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_000_000, POOR)
    client.force_login(department)
    page = client.get(reverse("reports:deprivation"), {"round": round_2024.code, "status": "all"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-definition="ethnic-minority"' in html and "mã Tổng cục Thống kê khác 01" in html
