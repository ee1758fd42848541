"""Registry data good enough to report from: one head per household everywhere it is entered, the data-quality page
and `check_data`, and the consistency warnings (surveys/consistency.py) beside the field, in the import and on the
page."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from households.models import Household, Member
from households.services import MemberData
from surveys.consistency import CHECKS, DependantsOverHalf, MemberOfAge, dependants, possible_warnings, warnings_for
from surveys.imports.importer import survey_import, write_error_copy, write_survey_workbook
from surveys.models import Assessment, CriteriaSet
from surveys.rounds import round_create
from tests.factories import assess, form_token, make_household, member_post

pytestmark = pytest.mark.django_db

POOR = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def adults(*birth_years, able=True):
    return [
        {"birth_year": y, "able_to_work": able, "relation": "head" if i == 0 else "spouse"} for i, y in enumerate(birth_years)
    ]


# ---------------------------------------------------------------- the checks as data


def test_every_check_names_indicators_of_the_sets_it_applies_to():
    from surveys.criteria_data import CRITERIA_SETS

    indicators = {data["code"]: {row[0] for row in data["indicators"]} for data in CRITERIA_SETS}
    for check in CHECKS:
        assert check.criteria_sets and check.basis
        for code in check.criteria_sets:
            assert check.indicator in indicators[code], (check.indicator, code)


@pytest.mark.parametrize(
    ("set_code", "birth_year", "warned"),
    [
        # VN-2022, round year 2024: a child aged 3 to under 16 means born 2009..2021.
        ("VN-2022", 2022, True),
        ("VN-2022", 2021, False),
        ("VN-2022", 2009, False),
        ("VN-2022", 2008, True),
        # VN-2016, round year 2024: aged 5 to under 15 means born 2010..2019.
        ("VN-2016", 2020, True),
        ("VN-2016", 2019, False),
        ("VN-2016", 2010, False),
        ("VN-2016", 2009, True),
    ],
)
def test_child_schooling_needs_a_member_of_school_age(set_code, birth_year, warned):
    members = adults(1980, 1982) + [{"birth_year": birth_year, "able_to_work": False, "relation": "child"}]
    found = warnings_for(criteria_set_code=set_code, year=2024, deprived=["CHILD_SCHOOLING"], members=members)
    assert [(w.indicator, w.code) for w in found] == ([("CHILD_SCHOOLING", "no_member_of_age")] if warned else [])
    # Not ticked: nothing to say, whatever the ages.
    assert warnings_for(criteria_set_code=set_code, year=2024, deprived=[], members=members) == []


def test_nutrition_needs_a_child_under_16():
    assert [
        w.code for w in warnings_for(criteria_set_code="VN-2022", year=2024, deprived=["NUTRITION"], members=adults(1980, 2008))
    ] == ["no_member_of_age"]
    assert warnings_for(criteria_set_code="VN-2022", year=2024, deprived=["NUTRITION"], members=adults(1980, 2009)) == []
    assert (
        warnings_for(criteria_set_code="VN-2016", year=2024, deprived=["NUTRITION"], members=adults(1980)) == []
    )  # no such check
    assert (
        warnings_for(criteria_set_code="VN-2027", year=2027, deprived=["CHILD_SCHOOLING"], members=adults(1980)) == []
    )  # none yet


def test_dependants_both_ways():
    rule = DependantsOverHalf()
    # 2024: born 2010 is 14 (under 15: dependant), born 1964 is 60 (dependant), born 1965 is 59 (not).
    assert dependants(adults(2010, 1964, 1965), 2024, rule) == (2, 3)
    assert dependants(adults(1980, 1985, able=False), 2024, rule) == (2, 2)  # unable to work counts
    over = adults(1950, 1955, 1990)  # 2 of 3 dependants
    half = adults(1950, 1955, 1990, 1992)  # 2 of 4: not more than half
    assert [w.code for w in warnings_for(criteria_set_code="VN-2022", year=2024, deprived=[], members=over)] == [
        "dependants_over_half"
    ]
    assert warnings_for(criteria_set_code="VN-2022", year=2024, deprived=["DEPENDANTS"], members=over) == []
    assert [w.code for w in warnings_for(criteria_set_code="VN-2022", year=2024, deprived=["DEPENDANTS"], members=half)] == [
        "dependants_not_over_half"
    ]
    assert warnings_for(criteria_set_code="VN-2022", year=2024, deprived=[], members=half) == []
    both = possible_warnings(criteria_set_code="VN-2022", year=2024, members=half)
    assert set(both["DEPENDANTS"]) == {True} and set(both["CHILD_SCHOOLING"]) == {True}
    assert isinstance(CHECKS[0].rule, MemberOfAge)


# ---------------------------------------------------------------- one head: the import and the form


def _workbook(tmp_path, members, deprived="HEALTH_INSURANCE, WATER, LATRINE", name="q.xlsx"):
    codes = list(dict.fromkeys(m["household_code"] for m in members))
    households = [
        {
            "household_code": c,
            "commune_code": "25747",
            "hamlet": "Khu phố 1",
            "head_name": "Trần Văn An",
            "address": "1",
            "income_per_capita": 1_000_000,
            "deprived": deprived,
        }
        for c in codes
    ]
    rows = [
        {
            "full_name": "Trần Văn An",
            "sex": "M",
            "birth_year": 1980,
            "relation": "head",
            "citizen_id": None,
            "ethnicity": "Kinh",
            "able_to_work": 1,
            "social_protection": 0,
            "merit": 0,
            "disability": 0,
            **m,
        }
        for m in members
    ]
    path = tmp_path / name
    write_survey_workbook(path, households=households, members=rows)
    return path


def test_an_import_refuses_a_household_without_a_head_or_with_two(tmp_path, round_2024, officer_a):
    path = _workbook(
        tmp_path,
        [
            {"household_code": "Q-NONE", "relation": "spouse"},
            {"household_code": "Q-NONE", "full_name": "Con", "relation": "child"},
            {"household_code": "Q-TWO"},
            {"household_code": "Q-TWO", "full_name": "Lê Văn Bốn"},
            {"household_code": "Q-OK"},
        ],
    )
    result = survey_import(actor=officer_a, round=round_2024, path=path)
    assert not result.ok and not result.applied
    assert [(i.sheet, i.row, i.column) for i in result.issues] == [
        ("members", 2, "relation"),
        ("members", 4, "relation"),
        ("members", 5, "relation"),
    ]
    assert "Q-NONE" in result.issues[0].message and "no head" in result.issues[0].message
    assert "Q-TWO" in result.issues[1].message and "rows 4, 5" in result.issues[1].message
    assert not Member.objects.filter(household__code__startswith="Q-").exists()


def test_an_import_keeps_the_head_members_name_as_the_households(tmp_path, round_2024, officer_a):
    path = _workbook(tmp_path, [{"household_code": "Q-NAME", "full_name": "Lê Văn Bình"}])  # the sheet says "Trần Văn An"
    result = survey_import(actor=officer_a, round=round_2024, path=path)
    assert result.ok and result.applied
    assert [(w.sheet, w.row, w.column) for w in result.warnings] == [("households", 2, "head_name")]
    assert Household.objects.get(code="Q-NAME").head_name == "Lê Văn Bình"


def test_the_form_refuses_a_household_without_a_head(client, officer_a, commune_a):
    client.force_login(officer_a)
    people = [{"full_name": "Lê Thị Hoa", "sex": "F", "birth_year": 1980, "relation": "spouse"}]
    data = {
        "code": "A-NOHEAD",
        "commune": commune_a.pk,
        "hamlet": "Ấp 1",
        "address": "",
        "form_token": form_token(client),
        **member_post("members", people),
    }
    response = client.post(reverse("household-create"), data)
    assert response.status_code == 400
    assert [e.code for e in response.context["formset"].non_form_errors().as_data()] == ["head"]


# ---------------------------------------------------------------- the page and the command


@pytest.fixture
def broken(officer_a, officer_b, commune_a, commune_b, round_2024):
    """Commune A: one household without a head, one with two, one member with an unread ethnicity, one contradiction.
    Commune B: one household without a head."""
    good = make_household(officer_a, commune_a, code="A-GOOD")
    no_head = make_household(officer_a, commune_a, code="A-NOHEAD")
    Member.objects.filter(household=no_head, relation="head").update(relation="other")
    two = make_household(officer_a, commune_a, code="A-TWOHEADS")
    Member.objects.filter(household=two, relation="spouse").update(relation="head")
    Member.objects.filter(household=good, relation="head").update(ethnic_group=None, ethnicity="Kihn")
    # Adults only, CHILD_SCHOOLING ticked: a warning in the open round.
    assess(officer_a, good, round_2024, 1_000_000, [*POOR, "CHILD_SCHOOLING"])
    other = make_household(officer_b, commune_b, code="B-NOHEAD")
    Member.objects.filter(household=other, relation="head").update(relation="other")
    return {"good": good, "no_head": no_head, "two": two, "other": other}


def test_the_page_lists_the_problems_in_the_users_units(client, broken, officer_a, officer_b, department, district_officer):
    client.force_login(officer_a)
    with translation.override("vi"):
        page = client.get(reverse("data-quality"))
    assert page.status_code == 200
    report = page.context["report"]
    assert ([h.code for h in report.no_head], [h.code for h in report.several_heads]) == (["A-NOHEAD"], ["A-TWOHEADS"])
    assert [(m.household.code, m.ethnicity) for m in report.unmapped] == [("A-GOOD", "Kihn")]
    assert report.unmapped_values == [("Kihn", 1)]
    assert [(w.household_code, w.indicator, w.code) for w in report.warnings] == [
        ("A-GOOD", "CHILD_SCHOOLING", "no_member_of_age")
    ]
    html = page.content.decode()
    for marker in ('data-count="no_head"', 'data-heads="2"', 'data-warning="CHILD_SCHOOLING"', 'data-unmapped-value="Kihn"'):
        assert marker in html
    assert "B-NOHEAD" not in html and reverse("data-quality") in html  # the menu links to it

    client.force_login(officer_b)
    report_b = client.get(reverse("data-quality")).context["report"]
    assert [h.code for h in report_b.no_head] == ["B-NOHEAD"] and report_b.unmapped_total == 0 and report_b.warnings_total == 0

    client.force_login(department)
    report_dept = client.get(reverse("data-quality")).context["report"]
    assert {h.code for h in report_dept.no_head} == {"A-NOHEAD", "B-NOHEAD"} and report_dept.problems == 4
    only_b = client.get(reverse("data-quality"), {"unit": broken["other"].commune.code}).context["report"]
    assert [h.code for h in only_b.no_head] == ["B-NOHEAD"] and only_b.several_heads_total == 0

    client.force_login(district_officer)  # commune A's district
    assert client.get(reverse("data-quality")).context["report"].several_heads_total == 1


def test_the_page_is_for_roles_that_read_households(client, broken, api_reader, outsider):
    assert client.get(reverse("data-quality")).status_code == 302  # to the login page
    for user in (api_reader, outsider):
        client.force_login(user)
        response = client.get(reverse("data-quality"))
        assert response.status_code == 403 and "A-NOHEAD" not in response.content.decode()
    client.force_login(api_reader)
    assert reverse("data-quality") not in client.get(reverse("dashboard")).content.decode()


def test_check_data_prints_the_lists_and_fails_on_problems(broken, province):
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("check_data", "--province", "74", stdout=out)
    assert exc.value.returncode == 1 and "4 problem(s)" in str(exc.value)
    printed = out.getvalue()
    for text in ("A-NOHEAD", "B-NOHEAD", "A-TWOHEADS", "'Kihn': 1", "CHILD_SCHOOLING"):
        assert text in printed
    with pytest.raises(CommandError):
        call_command("check_data", "--province", "99", stdout=io.StringIO())


def test_check_data_passes_on_clean_data_and_strict_fails_on_warnings(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    out = io.StringIO()
    call_command("check_data", "--province", "74", stdout=out)
    assert "No problems found." in out.getvalue()
    assess(officer_a, household, round_2024, 1_000_000, [*POOR, "NUTRITION"])  # no child under 16
    call_command("check_data", stdout=io.StringIO())  # a warning alone does not fail
    with pytest.raises(CommandError):
        call_command("check_data", "--strict", stdout=io.StringIO())


# ---------------------------------------------------------------- warnings where the data is entered


def test_the_assessment_form_warns_beside_the_field_and_saves(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-ADULTS")  # 3 adults: born 1980, 1985, 1986
    url = reverse("assessment-entry", args=[household.code])
    client.force_login(officer_a)
    html = client.get(url).content.decode()
    assert 'data-warning="CHILD_SCHOOLING" data-warning-code="no_member_of_age" data-warn-when="checked"' in html
    assert 'data-warning="NUTRITION"' in html and 'data-warning="WATER"' not in html
    data = {
        "round": round_2024.code,
        "income_per_capita": "1000000",
        "deprived": [*POOR, "CHILD_SCHOOLING"],
        "expected_version": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302  # a warning never refuses the save
    assessment = Assessment.objects.get(household=household, round=round_2024)
    assert "CHILD_SCHOOLING" in set(assessment.deprived_indicators.values_list("code", flat=True))
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 1 and "CHILD_SCHOOLING" in warnings[0]
    # Opened again: the box is ticked, and its warning is the one shown for a ticked box.
    html = client.get(url).content.decode()
    assert 'value="CHILD_SCHOOLING" id="dep-CHILD_SCHOOLING" checked' in html


def test_the_import_reports_warnings_without_refusing_and_the_error_copy_lists_them(tmp_path, round_2024, officer_a):
    path = _workbook(tmp_path, [{"household_code": "Q-W"}], deprived="HEALTH_INSURANCE, WATER, LATRINE, CHILD_SCHOOLING")
    result = survey_import(actor=officer_a, round=round_2024, path=path)
    assert result.ok and result.applied and result.issues == []
    assert [(w.sheet, w.row, w.column, w.severity) for w in result.warnings] == [("households", 2, "deprived", "warning")]
    assert "CHILD_SCHOOLING" in result.warnings[0].message
    buf = io.BytesIO()
    write_error_copy(path, result.issues + result.warnings, buf)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    summary = list(wb["errors"].iter_rows(values_only=True))
    assert summary[0][-1] == "Severity" and summary[1][1:3] == (2, "deprived") and summary[1][-1] == "warning"
    households = list(wb["households"].iter_rows(values_only=True))
    assert households[0][-1] == "errors" and households[1][-1].startswith("Warning: deprived: CHILD_SCHOOLING")


def test_the_import_preview_shows_the_warnings_and_offers_the_copy(client, tmp_path, round_2024, officer_a, settings):
    settings.POVREG_IMPORT_DIR = str(tmp_path / "imports")
    client.force_login(officer_a)
    token = client.get(reverse("reports:import")).context["token"]
    with open(
        _workbook(tmp_path, [{"household_code": "Q-W"}], deprived="HEALTH_INSURANCE, WATER, LATRINE, NUTRITION"), "rb"
    ) as fh:
        response = client.post(reverse("reports:import"), {"token": token, "round": round_2024.code, "file": fh})
    assert response.status_code == 302
    html = client.get(reverse("reports:import-preview", args=[token])).content.decode()
    assert 'id="import-warnings"' in html and 'data-severity="warning"' in html and "NUTRITION" in html
    assert "data-import-form" in html  # warnings only: the import can be confirmed
    copy = client.get(reverse("reports:import-errors", args=[token]))
    wb = load_workbook(io.BytesIO(b"".join(copy.streaming_content)))
    assert [(row[1], row[2], row[-1]) for row in wb["errors"].iter_rows(min_row=2, values_only=True)] == [
        (2, "deprived", "cảnh báo")
    ]  # (the copy speaks the officer's language)


def test_the_page_reads_each_rounds_year_and_warns_of_unticked_dependants(client, officer_a, commune_a, department, province):
    survey_round = round_create(
        actor=department, code="BD-2022", year=2022, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    household = make_household(
        officer_a,
        commune_a,
        code="A-DEP",
        members=[
            MemberData(full_name="Bà Năm", sex="F", birth_year=1940, relation="head", able_to_work=False),
            MemberData(full_name="Cháu Tí", sex="M", birth_year=2015, relation="grandchild", able_to_work=False),
        ],
    )
    assess(officer_a, household, survey_round, 1_000_000, POOR)  # DEPENDANTS not ticked: 2 of 2 are dependants
    client.force_login(department)
    report = client.get(reverse("data-quality")).context["report"]
    assert [(w.household_code, w.round_code, w.indicator, w.code) for w in report.warnings] == [
        ("A-DEP", "BD-2022", "DEPENDANTS", "dependants_over_half")
    ]
    survey_round.is_open = False
    survey_round.save(update_fields=["is_open"])
    assert client.get(reverse("data-quality")).context["report"].warnings_total == 0  # open rounds only
