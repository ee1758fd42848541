"""Rate reports in persons (issue 6, item 1): the persons denominator (entered total persons, else members of
registered active households), persons rates half up from integers, frozen at approval, and the same numbers
on the page, in the Excel and CSV exports and from /api/v1/rates/."""

from __future__ import annotations

import csv
import decimal
import io

import pytest
from openpyxl import load_workbook

from households.models import HouseholdStatus
from households.services import household_set_status
from surveys.models import CommuneList, CriteriaSet, ListStatus
from surveys.reports.tables import RATE_COLUMNS
from surveys.rounds import denominator_set, round_create
from surveys.selectors import persons_denominators_for, rate, rates_for, rates_total
from tests.factories import approve, assess, default_members, make_household

POOR_URBAN, NEAR_URBAN, RICH = 1_500_000, 1_800_000, 9_000_000
THREE = ["HEALTH_INSURANCE", "WATER", "LATRINE"]
PERSONS_KEYS = ("total_persons", "poor_persons", "poor_persons_rate", "near_poor_persons", "near_poor_persons_rate")
KEYS = [key for key, *_rest in RATE_COLUMNS]


@pytest.fixture
def r24(province, commune_a, commune_b, officer_a, officer_b, department):
    """Commune A: a poor household of 3, a near-poor one of 2, a better-off one of 4, and a household of 5 that
    moved away (not counted). Commune B: one poor person; the department entered 32 persons for it."""
    survey_round = round_create(
        actor=department, code="BD-2024", year=2024, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    assess(
        officer_a, make_household(officer_a, commune_a, code="A-1", members=default_members(3)), survey_round, POOR_URBAN, THREE
    )
    assess(officer_a, make_household(officer_a, commune_a, code="A-2", members=default_members(2)), survey_round, NEAR_URBAN, [])
    assess(officer_a, make_household(officer_a, commune_a, code="A-3", members=default_members(4)), survey_round, RICH, [])
    moved = make_household(officer_a, commune_a, code="A-4", members=default_members(5))
    household_set_status(actor=officer_a, household=moved, status=HouseholdStatus.MOVED, reason="Chuyển đi nơi khác")
    assess(
        officer_b, make_household(officer_b, commune_b, code="B-1", members=default_members(1)), survey_round, 1_000_000, THREE
    )
    denominator_set(actor=department, round=survey_round, commune=commune_b, total_households=10, total_persons=32)
    return survey_round


def row_for(rows, code):
    return next(r for r in rows if r.unit_code == code)


def test_persons_denominator_defaults_to_registered_members_and_entered_wins(r24, province, commune_a, commune_b, department):
    assert persons_denominators_for(round=r24, commune_ids=[commune_a.pk, commune_b.pk]) == {
        commune_a.pk: 3 + 2 + 4,
        commune_b.pk: 32,
    }

    rows = rates_for(round=r24, unit=province, level="commune", status="all")
    a, b = row_for(rows, commune_a.code), row_for(rows, commune_b.code)
    assert (a.total_persons, a.poor_persons, a.poor_persons_rate, a.near_poor_persons, a.near_poor_persons_rate) == (
        9,
        3,
        "33.33",
        2,
        "22.22",
    )
    # 1 / 32 × 100 = 3.125: half up gives 3.13 (round-half-even on a float would give 3.12).
    assert (b.total_persons, b.poor_persons, b.poor_persons_rate, b.near_poor_persons_rate) == (32, 1, "3.13", "0.00")
    assert rate(1, 32) == "3.13" and rate(5, 8) == "62.50" and rate(2, 3) == "66.67" and rate(1, 0) is None

    # A denominator row without total persons falls back to the registered members.
    denominator_set(actor=department, round=r24, commune=commune_a, total_households=50)
    assert persons_denominators_for(round=r24, commune_ids=[commune_a.pk])[commune_a.pk] == 9
    denominator_set(actor=department, round=r24, commune=commune_a, total_households=50, total_persons=40)
    a = row_for(rates_for(round=r24, unit=province, level="commune", status="all"), commune_a.code)
    assert (a.total_households, a.total_persons, a.poor_persons_rate, a.near_poor_persons_rate) == (50, 40, "7.50", "5.00")

    # Sums up the levels, rates recomputed from the summed integers (not averaged).
    [whole] = rates_for(round=r24, unit=province, level="province", status="all")
    assert (whole.total_persons, whole.poor_persons, whole.near_poor_persons) == (40 + 32, 4, 2)
    assert (whole.poor_persons_rate, whole.near_poor_persons_rate) == ("5.56", "2.78")
    districts = rates_for(round=r24, unit=province, level="district", status="all")
    total = rates_total(districts, unit=province)
    assert (total.total_persons, total.poor_persons_rate, total.near_poor_persons_rate) == (72, "5.56", "2.78")
    # A unit with no persons has no persons rate.
    empty = [r for r in rows if r.unit_code not in (commune_a.code, commune_b.code)]
    assert empty and all(r.total_persons == 0 and r.poor_persons_rate is None for r in empty)


def test_approval_freezes_total_persons(r24, province, commune_a, officer_a, district_officer, department):
    approved = approve(r24, commune_a, officer=officer_a, district=district_officer, department=department)
    assert (approved.status, approved.total_persons, approved.poor_persons, approved.near_poor_persons) == (
        ListStatus.APPROVED,
        9,
        3,
        2,
    )

    # Later changes move the live numbers, never the approved ones.
    denominator_set(actor=department, round=r24, commune=commune_a, total_households=50, total_persons=90)
    live = row_for(rates_for(round=r24, unit=province, level="commune", status="all"), commune_a.code)
    frozen = row_for(rates_for(round=r24, unit=province, level="commune", status="approved"), commune_a.code)
    assert (live.total_persons, live.poor_persons_rate) == (90, "3.33")
    assert (frozen.total_persons, frozen.poor_persons, frozen.poor_persons_rate, frozen.near_poor_persons_rate) == (
        9,
        3,
        "33.33",
        "22.22",
    )
    assert (frozen.total_households, frozen.poor_rate) == (3, "33.33")  # households, unchanged


def test_lists_approved_before_persons_were_frozen_have_no_persons_rate(r24, province, commune_b):
    CommuneList.objects.create(
        round=r24,
        commune=commune_b,
        status=ListStatus.APPROVED,
        total_households=10,
        poor=1,
        poverty_reduction=1,
        social_protection=0,
        near_poor=0,
        poor_persons=1,
        near_poor_persons=0,
    )
    b = row_for(rates_for(round=r24, unit=province, level="commune", status="approved"), commune_b.code)
    assert (b.total_persons, b.poor_persons, b.poor_persons_rate, b.poor_rate) == (0, 1, None, "10.00")


def cells(key, value):
    """An exported cell as the API's string (rates are written as the number they read as)."""
    if value is None or value == "":
        return None
    if key.endswith("_rate"):
        return f"{decimal.Decimal(str(value)):.2f}"
    return str(value)


@pytest.mark.parametrize("status", ["all", "approved"])
def test_persons_on_page_excel_csv_and_api_are_the_same(client, r24, commune_a, officer_a, district_officer, department, status):
    approve(r24, commune_a, officer=officer_a, district=district_officer, department=department)
    client.force_login(department)
    params = {"round": "BD-2024", "unit": "74", "status": status}

    page = client.get("/reports/rates/", params)
    assert page.status_code == 200
    report = page.context["report"]
    assert report.level == "district"
    assert page.context["headers"] == [labels[page.context["lang"]] for *_x, labels in RATE_COLUMNS]
    assert set(PERSONS_KEYS) <= set(KEYS)
    html = page.content.decode()
    total = report.total
    assert f'data-col="total_persons">{total.total_persons}<' in html
    # (the page writes rates with a decimal comma in Vietnamese; the API and the numbers keep the point)
    assert f'data-col="poor_persons_rate">{(total.poor_persons_rate or "—").replace(".", ",")}<' in html
    assert f'data-col="near_poor_persons_rate">{(total.near_poor_persons_rate or "—").replace(".", ",")}<' in html
    expected_total = (9, 3, "33.33", 2, "22.22") if status == "approved" else (9 + 32, 4, "9.76", 2, "4.88")
    assert tuple(getattr(total, k) for k in PERSONS_KEYS) == expected_total

    api = client.get("/api/v1/rates/", {**params, "level": "district"}).json()
    api_rows = api.get("results", api)
    page_rows = {r.unit_code: r for r in report.rows}
    assert [r["unit_code"] for r in api_rows] == list(page_rows)
    for row in api_rows:
        for key in PERSONS_KEYS:
            assert row[key] == getattr(page_rows[row["unit_code"]], key), (row["unit_code"], key)
    assert {k: api["total"][k] for k in PERSONS_KEYS} == {k: getattr(total, k) for k in PERSONS_KEYS}

    response = client.get("/reports/rates.xlsx", params)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header_row = int(ws.print_title_rows.split(":")[0].strip("$"))  # (after a coverage line when provisional)
    assert [c.value for c in ws[header_row]] == [labels["vi"] for *_x, labels in RATE_COLUMNS]
    sheet = {
        r[0]: dict(zip(KEYS, r, strict=True))
        for r in ws.iter_rows(min_row=header_row + 1, max_row=header_row + len(api_rows), values_only=True)
    }
    total_cells = dict(zip(KEYS, next(ws.iter_rows(min_row=header_row + 1 + len(api_rows), values_only=True)), strict=True))
    assert total_cells["unit_name"] == "Tổng cộng"
    for row in api_rows:
        for key in PERSONS_KEYS:
            assert cells(key, sheet[row["unit_code"]][key]) == (None if row[key] is None else str(row[key])), (
                row["unit_code"],
                key,
            )
    for key in PERSONS_KEYS:
        assert cells(key, total_cells[key]) == (None if api["total"][key] is None else str(api["total"][key]))
    rate_col = KEYS.index("poor_persons_rate") + 1
    assert ws.cell(row=header_row + 1 + len(api_rows), column=rate_col).number_format == "0.00"

    response = client.get("/reports/rates.csv", params)
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header_at = next(i for i, line in enumerate(lines) if line[:2] == ["Mã", "Đơn vị"])
    csv_total = dict(zip(KEYS, next(line for line in lines[header_at:] if line[1:2] == ["Tổng cộng"]), strict=True))
    for key in PERSONS_KEYS:
        assert csv_total[key] == ("" if api["total"][key] is None else str(api["total"][key]))
