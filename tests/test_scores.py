"""Circular 07/2021's scores (issue 13 item 1): score A against the line, score B = 10 points per deprivation.
The pure rule, the what-if API, assessments through the API, and the exports agree."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from surveys import classification as cl
from surveys.models import Assessment, CriteriaSet
from surveys.services import criteria_spec
from tests.factories import assert_error, client_for, make_household

LINES = {"rural": 140, "urban": 175}
ABLE = [cl.MemberFacts(able_to_work=True)]


@pytest.fixture
def vn2022(db):
    return criteria_spec(CriteriaSet.objects.get(code="VN-2022"))


def _codes(spec, n):
    return [i.code for i in spec.indicators][:n]


def test_vn_2022_carries_circular_07s_scale_with_its_certainty_in_the_notes(db):
    cs = CriteriaSet.objects.get(code="VN-2022")
    assert (cs.score_line_rural, cs.score_line_urban, cs.score_points_per_indicator, cs.score_poor_min_b) == (140, 175, 10, 30)
    assert "Circular 07/2021/TT-BLĐTBXH, confirmed" in cs.notes and "not verified" in cs.notes
    assert not CriteriaSet.objects.get(code="VN-2016").has_score_scale


@pytest.mark.parametrize("area", ["rural", "urban"])
@pytest.mark.parametrize(
    ("offset", "deprived", "expected"),
    [
        (-1, 3, "poor"),
        (0, 3, "poor"),
        (1, 3, "not_poor"),
        (-1, 2, "near_poor"),
        (0, 2, "near_poor"),
        (1, 2, "not_poor"),
        (0, 0, "near_poor"),
        (0, 4, "poor"),
    ],
)
def test_score_a_at_the_line_minus_one_the_line_and_plus_one(vn2022, area, offset, deprived, expected):
    result = cl.classify(vn2022, area=area, score_a=LINES[area] + offset, deprived=_codes(vn2022, deprived), members=ABLE)
    assert result.category == expected
    assert (result.basis, result.score_a, result.score_b) == ("score", LINES[area] + offset, 10 * deprived)


def test_the_explanation_names_both_scores(vn2022):
    result = cl.classify(vn2022, area="rural", score_a=132, deprived=_codes(vn2022, 4), members=ABLE)
    assert result.explanation_vi.startswith(
        "Bộ tiêu chí VN-2022, khu vực nông thôn: điểm A 132 ≤ 140, điểm B 40 ≥ 30 (thiếu hụt 4/"
    )
    assert result.explanation_vi.endswith("→ Hộ nghèo (thuộc đối tượng giảm nghèo).")
    above = cl.classify(vn2022, area="urban", score_a=176, deprived=[], members=ABLE)
    assert "score A 176 > 175" in above.explanation_en and above.category == "not_poor"


def test_a_score_for_a_set_without_a_scale_and_both_inputs_are_refused(db):
    vn2016 = criteria_spec(CriteriaSet.objects.get(code="VN-2016"))
    with pytest.raises(cl.ClassificationInputError) as no_scale:
        cl.classify(vn2016, area="rural", score_a=100, deprived=[], members=ABLE)
    with pytest.raises(cl.ClassificationInputError) as both:
        cl.classify(vn2016, area="rural", score_a=100, income=1, deprived=[], members=ABLE)
    assert no_scale.value.field == both.value.field == "score_a"


def test_classify_api_takes_score_a_instead_of_an_income(api_reader):
    client = client_for(api_reader)
    body = {
        "criteria_set": "VN-2022",
        "area": "rural",
        "score_a": 132,
        "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE", "TELECOM"],
        "members": [{"able_to_work": True, "social_protection": False}],
    }
    answer = client.post("/api/v1/classify/", body, format="json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["category"], data["basis"], data["score_a"], data["score_b"]) == ("poor", "score", 132, 40)

    both = assert_error(client.post("/api/v1/classify/", {**body, "income_per_capita": 1_000_000}, format="json"), 400)
    neither = assert_error(
        client.post("/api/v1/classify/", {k: v for k, v in body.items() if k != "score_a"}, format="json"), 400
    )
    for answer_body in (both, neither):
        assert {e["field"] for e in answer_body["errors"]} == {"income_per_capita", "score_a"}
    no_scale = assert_error(
        client.post("/api/v1/classify/", {**body, "criteria_set": "VN-2016", "deprived": []}, format="json"), 400
    )
    assert [e["field"] for e in no_scale["errors"]] == ["score_a"]


def test_an_assessment_records_which_test_was_used_and_exports_show_the_scores(officer_a, commune_a, round_2024, department):
    household = make_household(officer_a, commune_a, code="S-1")
    client = client_for(officer_a)
    created = client.post(
        "/api/v1/assessments/",
        {"round": round_2024.code, "household": "S-1", "score_a": 150, "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assessment = Assessment.objects.get(household=household, round=round_2024)
    assert (assessment.basis, assessment.income_per_capita, assessment.score_a, assessment.score_b) == ("score", None, 150, 30)
    assert assessment.category == "poor"  # commune A is urban: 150 ≤ 175 and B 30 ≥ 30
    assert created.json()["score_a"] == 150 and created.json()["basis"] == "score"

    # Entering an income instead stays possible; the assessment then records the income.
    changed = client.put(
        f"/api/v1/assessments/{round_2024.code}/S-1/",
        {"income_per_capita": 5_000_000, "deprived": [], "version": assessment.version},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assessment.refresh_from_db()
    assert (assessment.basis, assessment.income_per_capita, assessment.score_a, assessment.score_b) == (
        "income",
        5_000_000,
        None,
        None,
    )
    assert_error(
        client.put(
            f"/api/v1/assessments/{round_2024.code}/S-1/",
            {"income_per_capita": 5_000_000, "score_a": 3, "deprived": [], "version": assessment.version},
            format="json",
        ),
        400,
    )

    client.put(
        f"/api/v1/assessments/{round_2024.code}/S-1/",
        {"score_a": 100, "deprived": ["WATER"], "version": assessment.version},
        format="json",
    )
    web = client_for()
    web.force_login(department)
    sheet = load_workbook(
        io.BytesIO(b"".join(web.get("/reports/households.xlsx", {"round": round_2024.code}).streaming_content))
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Điểm A" in r)
    row = next(r for r in rows if r and r[0] == "S-1")
    assert row[header.index("Điểm A")] == 100 and row[header.index("Điểm B")] == 10


def test_the_assessment_form_takes_score_a_with_a_live_preview(client, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="S-2")
    client.force_login(officer_a)
    url = f"/households/S-2/assessment/?round={round_2024.code}"
    page = client.get(url).content.decode()
    assert 'name="score_a"' in page and "175" in page  # the urban line is shown
    deprived = ["HEALTH_INSURANCE", "WATER", "LATRINE"]
    preview = client.post(
        "/households/S-2/assessment/preview/", {"round": round_2024.code, "score_a": "170", "deprived": deprived}
    )
    assert "điểm A 170 ≤ 175, điểm B 30 ≥ 30" in preview.content.decode()
    both = client.post(
        "/households/S-2/assessment/",
        {
            "round": round_2024.code,
            "score_a": "170",
            "income_per_capita": "1.000.000",
            "deprived": deprived,
            "expected_version": "0",
        },
    )
    assert both.status_code == 400 and not Assessment.objects.filter(household__code="S-2").exists()
    saved = client.post(
        "/households/S-2/assessment/", {"round": round_2024.code, "score_a": "170", "deprived": deprived, "expected_version": "0"}
    )
    assert saved.status_code == 302
    assessment = Assessment.objects.get(household__code="S-2", round=round_2024)
    assert (assessment.basis, assessment.score_a, assessment.score_b, assessment.category) == ("score", 170, 30, "poor")
    detail = client.get("/households/S-2/").content.decode()
    assert "data-scores" in detail and "A 170 · B 30" in detail


def test_the_import_takes_score_a_and_refuses_both_or_neither(tmp_path, officer_a, round_2024):
    from surveys.imports.importer import survey_import
    from tests.factories import household, member, write

    rows = [household("SC-1", income_per_capita=None, score_a=160), household("SC-2")]
    result = survey_import(
        actor=officer_a, round=round_2024, path=write(tmp_path, households=rows, members=[member("SC-1"), member("SC-2")])
    )
    assert result.ok and result.applied, [str(i) for i in result.issues]
    scored = Assessment.objects.get(household__code="SC-1", round=round_2024)
    assert (scored.basis, scored.score_a, scored.score_b, scored.income_per_capita, scored.category) == (
        "score",
        160,
        30,
        None,
        "poor",
    )
    assert Assessment.objects.get(household__code="SC-2", round=round_2024).basis == "income"

    bad = [household("SC-3", score_a=160), household("SC-4", income_per_capita=None)]
    refused = survey_import(
        actor=officer_a,
        round=round_2024,
        path=write(tmp_path, "bad.xlsx", households=bad, members=[member("SC-3"), member("SC-4")]),
    )
    assert not refused.applied
    assert {(i.row, i.column) for i in refused.issues} == {(2, "score_a"), (3, "income_per_capita")}
