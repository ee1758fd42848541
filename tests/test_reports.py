"""Report pages: rates (approved vs all, drill-down, API parity, query counts, access), flows, deprivation
and breakdowns, charts with a table fallback."""

from __future__ import annotations

import pytest

from households.services import MemberData
from surveys.models import CriteriaSet
from surveys.reports.breakdowns import breakdowns
from surveys.rounds import round_create
from surveys.selectors import rates_for, rates_total
from tests.factories import approve, assess, default_members, make_household

POOR_URBAN, NEAR_URBAN, RICH = 1_500_000, 1_800_000, 9_000_000
THREE = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


@pytest.fixture
def world(province, commune_a, commune_b, officer_a, officer_b, district_officer, department):
    vn = CriteriaSet.objects.get(code="VN-2022")
    r23 = round_create(actor=department, code="BD-2023", year=2023, criteria_set=vn, province=province)
    r24 = round_create(actor=department, code="BD-2024", year=2024, criteria_set=vn, province=province)
    assert r24.previous_round == r23
    h1 = make_household(officer_a, commune_a, code="A-1")
    h2 = make_household(officer_a, commune_a, code="A-2")
    h3 = make_household(
        officer_a,
        commune_a,
        code="A-3",
        members=[
            MemberData(
                full_name="Lò Thị Mai", sex="F", birth_year=1950, relation="head", ethnicity="Tày", able_to_work=False, merit=True
            )
        ],
    )
    h4 = make_household(officer_a, commune_a, code="A-4")
    h5 = make_household(officer_a, commune_a, code="A-5")
    h6 = make_household(officer_b, commune_b, code="B-6", members=default_members(2))
    assess(officer_a, h1, r23, POOR_URBAN, THREE)
    assess(officer_a, h2, r23, POOR_URBAN, THREE)
    assess(officer_a, h1, r24, POOR_URBAN, THREE)
    assess(officer_a, h2, r24, NEAR_URBAN, ["WATER"])
    assess(officer_a, h3, r24, POOR_URBAN, [*THREE, "TELECOM"])
    assess(officer_a, h4, r24, NEAR_URBAN, [])
    assess(officer_a, h5, r24, RICH, [])
    assess(officer_b, h6, r24, 1_000_000, THREE)  # rural line 1,500,000
    approve(r24, commune_a, officer=officer_a, district=district_officer, department=department)
    return {"r23": r23, "r24": r24}


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_rates_page_all_and_approved_match_selectors_and_api(client, world, department, province):
    page = get(client, department, "/reports/rates/", round="BD-2024", unit="74", status="all")
    assert page.status_code == 200
    total = page.context["report"].total
    assert (total.poor, total.poverty_reduction, total.social_protection, total.near_poor) == (3, 2, 1, 2)
    assert total.poor_persons == 3 + 1 + 2
    expected = rates_total(rates_for(round=world["r24"], unit=province, level="district", status="all"), unit=province)
    assert total == expected
    api = client.get("/api/v1/rates/", {"round": "BD-2024", "unit": "74", "level": "province", "status": "all"}).json()
    row = api["results"][0] if "results" in api else api[0]
    for key in ("total_households", "poor", "poor_rate", "near_poor", "near_poor_rate", "social_protection_rate"):
        assert str(row[key]) == str(getattr(total, key))

    approved = get(client, department, "/reports/rates/", round="BD-2024", unit="74").context["report"].total
    assert (approved.poor, approved.near_poor, approved.communes_included) == (2, 2, 1)
    assert approved.total_households == 5  # commune A's registered households, frozen at approval

    # Charts: the vendored library, the data as JSON, and the tables as the fallback; nothing from another host.
    html = page.content.decode()
    assert "vendor/chart/chart.umd.min.js" in html and 'id="report-chart-data"' in html
    assert 'id="trend-table"' in html and "data-chart-fallback" in html
    assert "https://" not in html and "http://" not in html.replace("http://testserver", "")
    assert [(p.round_code, p.poor) for p in page.context["trend"]] == [("BD-2023", 2), ("BD-2024", 3)]


def test_drill_down_access_and_query_count(
    client, world, department, district_a, commune_a, officer_a, outsider, api_reader, django_assert_max_num_queries
):
    page = get(client, department, "/reports/rates/", round="BD-2024", unit=district_a.code, status="all")
    rows = page.context["report"].rows
    assert page.context["report"].level == "commune" and commune_a.code in [r.unit_code for r in rows]
    assert all(r.level == "commune" for r in rows)
    one = get(client, department, "/reports/rates/", round="BD-2024", unit=commune_a.code, status="all").context["report"]
    assert [r.unit_code for r in one.rows] == [commune_a.code] and one.total.poor == 2
    assert get(client, department, "/reports/rates/", round="BD-2024", unit="99999").status_code == 404
    with django_assert_max_num_queries(40):
        assert client.get("/reports/rates/", {"round": "BD-2024", "status": "all"}).status_code == 200

    client.logout()
    assert client.get("/reports/rates/").status_code == 302
    assert get(client, outsider, "/reports/rates/").status_code == 403
    assert get(client, officer_a, "/reports/rates/", round="BD-2024", status="all").status_code == 403
    assert get(client, officer_a, "/reports/rates/", round="BD-2024").status_code == 200
    assert get(client, api_reader, "/reports/flows/", round="BD-2024").status_code == 200
    assert get(client, officer_a, "/reports/simulation/").status_code == 403


def test_flows_page_balances(client, world, department, commune_a, district_a):
    page = get(client, department, "/reports/flows/", round="BD-2024", unit=district_a.code, status="all")
    assert page.status_code == 200
    poor = page.context["flows"]["poor"]
    row = next(r for r in poor["rows"] if r["unit_code"] == commune_a.code)
    assert (row["start"], row["escaped_to_near_poor"], row["newly_poor"], row["end"]) == (2, 1, 1, 2)
    assert all(r["balanced"] for r in [*poor["rows"], poor["total"]])
    assert "does not balance" not in page.content.decode()
    near = page.context["flows"]["near_poor"]["total"]
    assert near["end"] == 2 and near["poor_to_near_poor"] == 1


def test_deprivation_table_and_breakdowns(client, world, department, province):
    page = get(client, department, "/reports/deprivation/", round="BD-2024", status="all")
    assert page.status_code == 200
    table = page.context["deprivation"]
    assert (table.poor_total, table.near_poor_total) == (3, 2)
    by_code = {r.code: r for r in table.rows}
    assert (by_code["WATER"].poor, by_code["WATER"].poor_rate) == (3, "100.00")
    assert (by_code["WATER"].near_poor, by_code["WATER"].near_poor_rate) == (1, "50.00")
    assert (by_code["TELECOM"].poor, by_code["TELECOM"].poor_rate) == (1, "33.33")
    assert by_code["NUTRITION"].poor == 0
    poor, near = page.context["breakdowns"]
    assert (poor.category, poor.households, poor.ethnic_minority, poor.female_head, poor.merit, poor.no_working_capacity) == (
        "poor",
        3,
        1,
        1,
        1,
        1,
    )
    assert poor.ethnic_minority_rate == "33.33" and near.households == 2 and near.ethnic_minority == 0
    approved = breakdowns(round=world["r24"], unit=province, status="approved")
    assert approved[0].households == 2  # commune B's list is not approved


def test_dashboard_chart_fragment(client, world, department, officer_a):
    page = get(client, department, "/reports/dashboard-charts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dashboard-chart-data"' in html and "data-charts" in html and "data-dashboard-rates" in html
    assert page.context["report"].total.poor == 3  # department staff see all data
    assert get(client, officer_a, "/reports/dashboard-charts/").context["report"].total.poor == 2  # approved only


def test_a_partly_approved_round_says_provisional_on_the_page_the_chart_the_trend_and_the_workbook(
    client, world, department, province, commune_a
):
    """One commune of Binh Duong's 91 approved (the 9.80% case of issue 12): every place the province total
    appears says "1/91 communes approved: provisional"; a fully counted total says nothing."""
    import io

    from openpyxl import load_workbook

    page = get(client, department, "/reports/rates/", round="BD-2024", unit="74")
    html = page.content.decode()
    total = page.context["report"].total
    n = total.communes
    assert total.communes_included == 1 and n == 91
    assert f'data-coverage="1/{n}"' in html and f"1/{n} xã có danh sách đã phê duyệt: tạm tính" in html
    assert page.context["chart_data"]["coverage"] == f"1/{n} xã có danh sách đã phê duyệt — số liệu tạm tính"
    trend = {p.round_code: p for p in page.context["trend"]}
    assert trend["BD-2024"].provisional and f"(1/{n}, tạm tính)" in page.context["chart_data"]["trend_labels"][-1]
    assert "data-provisional" in html

    workbook = client.get("/reports/rates.xlsx", {"round": "BD-2024", "unit": "74"})
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    head = [sheet.cell(row=r, column=1).value or "" for r in range(1, 8)]
    assert any(f"1/{n} XÃ CÓ DANH SÁCH ĐÃ PHÊ DUYỆT" in line for line in head)

    # Commune A alone is fully counted: no warning, and its rate is written with a decimal comma in Vietnamese.
    commune = get(client, department, "/reports/rates/", round="BD-2024", unit=commune_a.code)
    assert "data-coverage" not in commune.content.decode()
    rate = commune.context["report"].total.poor_rate
    assert rate.replace(".", ",") in commune.content.decode()
