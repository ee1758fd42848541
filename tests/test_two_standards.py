"""Two standards in one review (issue 13 items 4 and 5): a round classified under its official set and under a
province's own standard from the same inputs; Ho Chi Minh City's yearly lines stored as yearly; rates under either
standard through `criteria=`; Decree 30/2025's low-income workers counted apart."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from openpyxl import load_workbook

from surveys import classification as cl
from surveys.models import Assessment, CriteriaSet, EntryResult, StandardResult, SurveyRound
from surveys.rounds import round_standards_set
from surveys.services import assessment_save, criteria_spec
from tests.factories import approved_list, assert_error, assess, client_for, make_household

ABLE = [cl.MemberFacts(able_to_work=True)]


@pytest.fixture
def city(db):
    return CriteriaSet.objects.get(code="HCM-2025")


@pytest.fixture
def two_standards(round_2024, city, department):
    round_standards_set(actor=department, round=round_2024, additional_sets=[city])
    return round_2024


def test_the_city_standard_is_shipped_with_yearly_lines_and_its_certainty(city):
    assert city.income_period == "year"
    lines = {(r.area_type, r.category): (r.income_above, r.income_upto) for r in city.rules.all()}
    assert lines[("urban", "poor")] == (None, 46_000_000) and lines[("rural", "near_poor")] == (46_000_000, 54_000_000)
    assert "secondary" in city.notes and "unverified" in city.notes and "46,000,000 / 12" in city.notes


@pytest.mark.parametrize(
    ("monthly", "expected"),
    [
        (3_833_333, "poor"),  # × 12 = 45,999,996 ≤ 46,000,000
        (3_833_334, "near_poor"),  # × 12 = 46,000,008: above the poor line, although 46,000,000 / 12 rounds to 3,833,333
        (4_500_000, "near_poor"),  # × 12 = 54,000,000: the near-poor line itself
        (4_500_001, "not_poor"),
    ],
)
def test_yearly_lines_compare_twelve_months_exactly(city, monthly, expected):
    result = cl.classify(criteria_spec(city), area="urban", income=monthly, deprived=[], members=ABLE)
    assert result.category == expected
    assert f"{cl.vnd(monthly * 12)}/người/năm" in result.explanation_vi


def test_a_scored_household_needs_its_income_too_when_the_city_standard_is_income_based(two_standards, officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="TS-1")
    deprived = ["HEALTH_INSURANCE", "WATER", "LATRINE"]
    with pytest.raises(ValidationError) as missing:
        assessment_save(actor=officer_a, household=household, round=two_standards, score_a=150, deprived=deprived)
    assert list(missing.value.message_dict) == ["income_per_capita"] and "HCM-2025" in missing.value.messages[0]

    saved = assessment_save(
        actor=officer_a, household=household, round=two_standards, score_a=150, income_per_capita=3_900_000, deprived=deprived
    )
    assert (saved.basis, saved.score_a, saved.income_per_capita, saved.category) == ("score", 150, 3_900_000, "poor")
    city_result = StandardResult.objects.get(assessment=saved)
    assert (city_result.criteria_set.code, city_result.basis, city_result.category) == ("HCM-2025", "income", "near_poor")
    assert "46.800.000 ₫/người/năm" in city_result.explanation_vi

    # A change of the inputs reclassifies under both standards.
    saved = assessment_save(
        actor=officer_a,
        household=household,
        round=two_standards,
        score_a=150,
        income_per_capita=3_000_000,
        deprived=deprived,
        expected_version=saved.version,
    )
    assert StandardResult.objects.get(assessment=saved).category == "poor"
    assert StandardResult.objects.filter(assessment=saved).count() == 1


def test_without_an_income_only_standard_both_inputs_stay_refused(round_2024, officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="TS-2")
    with pytest.raises(ValidationError) as both:
        assessment_save(actor=officer_a, household=household, round=round_2024, score_a=150, income_per_capita=1, deprived=[])
    assert set(both.value.message_dict) == {"income_per_capita", "score_a"}


def test_the_official_set_cannot_also_be_additional(round_2024, department):
    with pytest.raises(ValidationError) as refused:
        round_standards_set(actor=department, round=round_2024, additional_sets=[round_2024.criteria_set])
    assert "additional_sets" in refused.value.message_dict


def test_adding_a_standard_classifies_the_assessments_already_made(round_2024, city, officer_a, commune_a, department):
    household = make_household(officer_a, commune_a, code="TS-3")
    assess(officer_a, household, round_2024, 3_000_000)
    assert round_standards_set(actor=department, round=round_2024, additional_sets=[city]) == 1
    assert StandardResult.objects.get(assessment__household=household).category == "poor"


def test_rates_under_either_standard_live_and_approved(two_standards, officer_a, commune_a, department, api_reader):
    incomes = {"TS-10": 1_500_000, "TS-11": 3_000_000, "TS-12": 4_000_000, "TS-13": 9_000_000}
    for code, income in incomes.items():
        assess(
            officer_a,
            make_household(officer_a, commune_a, code=code),
            two_standards,
            income,
            ["HEALTH_INSURANCE", "WATER", "LATRINE"],
        )
    # Official (VN-2022 urban, 2,000,000 a month): TS-10 poor. City (46M / 54M a year): TS-10 and TS-11 poor, TS-12 near-poor.
    staff = client_for(department)
    base = {"round": two_standards.code, "unit": commune_a.code, "level": "commune", "status": "all"}
    official = staff.get("/api/v1/rates/", base).json()
    city = staff.get("/api/v1/rates/", {**base, "criteria": "HCM-2025"}).json()
    assert (official["criteria"], official["total"]["poor"], official["total"]["near_poor"]) == ("VN-2022", 1, 0)
    assert (city["criteria"], city["total"]["poor"], city["total"]["near_poor"]) == ("HCM-2025", 2, 1)
    assert city["total"]["total_households"] == official["total"]["total_households"]  # one denominator
    assert staff.get("/api/v1/rates/", {**base, "criteria": "VN-2022"}).json()["total"] == official["total"]

    # Approved: frozen with the list. A later change to the live results does not move the approved numbers.
    commune_list = approved_list(two_standards, commune_a, total_households=100, poor=1, near_poor=0)
    assert EntryResult.objects.filter(commune_list=commune_list).count() == 4
    StandardResult.objects.filter(assessment__household__code="TS-13").update(category="poor")
    reader = client_for(api_reader)
    approved = reader.get("/api/v1/rates/", {**base, "status": "approved", "criteria": "HCM-2025"}).json()
    assert (approved["total"]["poor"], approved["total"]["near_poor"], approved["total"]["poor_rate"]) == (2, 1, "2.00")


def test_bad_criteria_parameters_are_400s_naming_them(two_standards, api_reader, commune_a):
    reader = client_for(api_reader)
    base = {"round": two_standards.code, "unit": commune_a.code, "level": "commune"}
    assert_error(reader.get("/api/v1/rates/", {**base, "criteria": "VN-2016"}), 400, "criteria")
    assert_error(reader.get("/api/v1/rates/", {**base, "criteria": "X" * 33}), 400, "criteria")
    assert_error(reader.get("/api/v1/flows/", {**base, "criteria": "HCM-2025"}), 400, "criteria")
    assert_error(reader.get("/api/v1/rates/", {**base, "criteria": "HCM-2025", "as_of": "2024-12-31"}), 400, "as_of")
    rounds = reader.get(f"/api/v1/rounds/{two_standards.code}/").json()
    assert (rounds["criteria_set"], rounds["additional_sets"]) == ("VN-2022", ["HCM-2025"])


def test_the_assessment_api_and_the_household_page_show_both_results(two_standards, officer_a, commune_a, client):
    assess(officer_a, make_household(officer_a, commune_a, code="TS-20"), two_standards, 3_000_000)
    data = client_for(officer_a).get(f"/api/v1/assessments/{two_standards.code}/TS-20/").json()
    assert data["category"] == "average"  # VN-2022 urban: 2,000,000 < 3,000,000 ≤ 3,000,000
    assert [(s["criteria_set"], s["category"], s["basis"]) for s in data["standards"]] == [("HCM-2025", "poor", "income")]
    client.force_login(officer_a)
    page = client.get("/households/TS-20/").content.decode()
    assert 'data-standard="HCM-2025" data-category="poor"' in page


def test_the_form_asks_for_the_income_beside_score_a_and_previews_both(two_standards, officer_a, commune_a, client):
    make_household(officer_a, commune_a, code="TS-30")
    client.force_login(officer_a)
    page = client.get(f"/households/TS-30/assessment/?round={two_standards.code}").content.decode()
    assert 'id="help-income-also"' in page and "HCM-2025" in page
    deprived = ["HEALTH_INSURANCE", "WATER", "LATRINE"]
    missing = client.post(
        "/households/TS-30/assessment/",
        {"round": two_standards.code, "score_a": "150", "deprived": deprived, "expected_version": "0"},
    )
    assert missing.status_code == 400 and "HCM-2025" in missing.content.decode()
    preview = client.post(
        "/households/TS-30/assessment/preview/",
        {"round": two_standards.code, "score_a": "150", "income_per_capita": "3.900.000", "deprived": deprived},
    ).content.decode()
    assert 'data-standard="HCM-2025" data-standard-category="near_poor"' in preview and "điểm A 150 ≤ 175" in preview
    saved = client.post(
        "/households/TS-30/assessment/",
        {
            "round": two_standards.code,
            "score_a": "150",
            "income_per_capita": "3.900.000",
            "deprived": deprived,
            "expected_version": "0",
        },
    )
    assert saved.status_code == 302
    assert Assessment.objects.get(household__code="TS-30").standard_results.get().category == "near_poor"


def test_the_import_needs_the_income_beside_score_a(tmp_path, two_standards, officer_a):
    from surveys.imports.importer import survey_import
    from tests.factories import household, member, write

    rows = [household("TSI-1", income_per_capita=None, score_a=160), household("TSI-2", income_per_capita=3_000_000, score_a=160)]
    result = survey_import(
        actor=officer_a, round=two_standards, path=write(tmp_path, households=rows, members=[member("TSI-1"), member("TSI-2")])
    )
    assert [(i.row, i.column) for i in result.issues] == [(2, "income_per_capita")] and not result.applied
    ok = survey_import(actor=officer_a, round=two_standards, path=write(tmp_path, households=rows[1:], members=[member("TSI-2")]))
    assert ok.applied, ok.issues
    assessment = Assessment.objects.get(household__code="TSI-2")
    assert (assessment.basis, assessment.income_per_capita) == ("score", 3_000_000)
    assert assessment.standard_results.get().category == "poor"


def test_the_report_page_and_its_export_under_the_city_standard(two_standards, officer_a, commune_a, department, client):
    for code, income in {"TS-40": 1_500_000, "TS-41": 3_000_000}.items():
        assess(
            officer_a,
            make_household(officer_a, commune_a, code=code),
            two_standards,
            income,
            ["HEALTH_INSURANCE", "WATER", "LATRINE"],
        )
    approved_list(two_standards, commune_a, total_households=50, poor=1, near_poor=0)
    client.force_login(department)
    page = client.get(
        "/reports/rates/", {"round": two_standards.code, "unit": commune_a.code, "criteria": "HCM-2025"}
    ).content.decode()
    assert 'id="sel-criteria"' in page and 'data-standard="HCM-2025"' in page
    assert '<td class="num" data-col="poor">2</td>' in page
    official = client.get("/reports/rates/", {"round": two_standards.code, "unit": commune_a.code}).content.decode()
    assert '<td class="num" data-col="poor">1</td>' in official and 'data-standard="HCM-2025"' not in official
    assert client.get("/reports/rates/", {"round": two_standards.code, "criteria": "NOPE"}).status_code == 400
    workbook = client.get("/reports/rates.xlsx", {"round": two_standards.code, "unit": commune_a.code, "criteria": "HCM-2025"})
    rows = list(load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active.iter_rows(values_only=True))
    assert any(r[0] and "Bộ tiêu chí: HCM-2025" in str(r[0]) for r in rows)


def test_create_round_takes_additional_standards(province, db, capsys):
    call_command("create_round", "BD-2025X", "--year", "2024", "--criteria", "VN-2022", "--province", "74", "--also", "HCM-2025")
    survey_round = SurveyRound.objects.get(code="BD-2025X")
    assert [s.code for s in survey_round.standards()] == ["VN-2022", "HCM-2025"]
    assert "VN-2022 + HCM-2025" in capsys.readouterr().out


# ---------------------------------------------------------------- Decree 30/2025: low-income workers


def test_vn_2022_declares_the_low_income_lines_with_their_certainty(db):
    cs = CriteriaSet.objects.get(code="VN-2022")
    assert (cs.low_income_line_rural, cs.low_income_line_urban) == (2_250_000, 3_000_000)
    assert "Decree 30/2025/NĐ-CP, secondary" in cs.notes
    assert not CriteriaSet.objects.get(code="VN-2027").counts_low_income_workers


@pytest.mark.parametrize(
    ("income", "deprived", "expected"),
    [
        (3_000_000, 0, 2),  # at the urban line, not poor: both able members
        (3_000_001, 0, 0),  # above it
        (1_900_000, 3, 0),  # poor: not a low-income worker household
        (1_900_000, 0, 0),  # near-poor: neither
    ],
)
def test_low_income_workers_at_the_line(db, income, deprived, expected):
    spec = criteria_spec(CriteriaSet.objects.get(code="VN-2022"))
    members = [cl.MemberFacts(True), cl.MemberFacts(True), cl.MemberFacts(False)]
    codes = [i.code for i in spec.indicators][:deprived]
    category = cl.classify(spec, area="urban", income=income, deprived=codes, members=members).category
    assert cl.low_income_workers(spec, area="urban", income=income, category=category, members=members) == expected


def test_low_income_workers_are_counted_apart_and_frozen_with_the_list(round_2024, officer_a, commune_a, department, client):
    low = assess(officer_a, make_household(officer_a, commune_a, code="LI-1"), round_2024, 2_500_000)
    assess(officer_a, make_household(officer_a, commune_a, code="LI-2"), round_2024, 3_500_000)
    assert low.low_income_workers == 3 and low.category == "average"
    approved_list(round_2024, commune_a, total_households=10)
    client.force_login(department)
    page = client.get("/reports/rates/", {"round": round_2024.code, "unit": commune_a.code}).content.decode()
    assert '<td class="num" data-col="low_income_households">1</td>' in page
    assert '<td class="num" data-col="low_income_workers">3</td>' in page


def test_flows_start_from_the_previous_rounds_decision(round_2024, province, department, api_reader):
    import datetime

    from surveys.approval.decisions import round_decision_record
    from surveys.rounds import round_create

    round_decision_record(
        actor=department, round=round_2024, number="505/QĐ-UBND", date=datetime.date(2025, 1, 20), signer="Chủ tịch"
    )
    later = round_create(
        actor=department,
        code="BD-2025",
        year=2025,
        criteria_set=round_2024.criteria_set,
        province=province,
        previous_round=round_2024,
    )
    data = client_for(api_reader).get("/api/v1/flows/", {"round": later.code, "unit": "74", "level": "province"}).json()
    assert data["start_decision"] == {"round": "BD-2024", "number": "505/QĐ-UBND", "date": "2025-01-20"}
