"""The official layout of the rate and flow reports (issue 14 item 1): sections I urban / II rural / total that add
up, "of which ethnic-minority" within its block, the start from the previous approved round, the flows mapped to
escaped / re-poor / newly poor, the title and signing blocks, the workbook set up for A4 landscape."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.services import MemberData
from surveys.models import CriteriaSet, RoundDecision
from surveys.rounds import round_create
from tests.factories import approved_list, assess, default_members, make_household

POOR_URBAN, NEAR_URBAN, RICH = 1_500_000, 1_800_000, 9_000_000
POOR_RURAL, NEAR_RURAL = 1_000_000, 1_200_000
THREE = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


def minority_head(n: int = 2) -> list[MemberData]:
    return [
        MemberData(full_name="Lò Văn Páo", sex="M", birth_year=1975, relation="head", ethnicity="Tày", able_to_work=True),
        *default_members(n)[1:],
    ]


@pytest.fixture
def rounds(province, commune_a, commune_b, officer_a, officer_b, department):
    """BD-2023 → BD-2024. Commune A (urban): A1 poor both years, A2 poor → near-poor, A3 (minority head) newly poor,
    A4 (minority head) near-poor, A5 rich. Commune B (rural): B1 (minority head) newly poor, B2 near-poor."""
    vn = CriteriaSet.objects.get(code="VN-2022")
    r23 = round_create(actor=department, code="BD-2023", year=2023, criteria_set=vn, province=province)
    r24 = round_create(actor=department, code="BD-2024", year=2024, criteria_set=vn, province=province)
    a1, a2 = make_household(officer_a, commune_a, code="A-1"), make_household(officer_a, commune_a, code="A-2")
    a3 = make_household(officer_a, commune_a, code="A-3", members=minority_head())
    a4 = make_household(officer_a, commune_a, code="A-4", members=minority_head(3))
    a5 = make_household(officer_a, commune_a, code="A-5")
    b1 = make_household(officer_b, commune_b, code="B-1", members=minority_head())
    b2 = make_household(officer_b, commune_b, code="B-2")
    assess(officer_a, a1, r23, POOR_URBAN, THREE)
    assess(officer_a, a2, r23, POOR_URBAN, THREE)
    approved_list(r23, commune_a, total_households=48)
    approved_list(r23, commune_b, total_households=30)
    assess(officer_a, a1, r24, POOR_URBAN, THREE)
    assess(officer_a, a2, r24, NEAR_URBAN, ["WATER"])
    assess(officer_a, a3, r24, POOR_URBAN, THREE)
    assess(officer_a, a4, r24, NEAR_URBAN, [])
    assess(officer_a, a5, r24, RICH, [])
    assess(officer_b, b1, r24, POOR_RURAL, THREE)
    assess(officer_b, b2, r24, NEAR_RURAL, [])
    approved_list(r24, commune_a, total_households=50)
    approved_list(r24, commune_b, total_households=30)
    return {"r23": r23, "r24": r24}


def page(client, user, path="/reports/rates/", **params):
    client.force_login(user)
    return client.get(path, {"round": "BD-2024", "layout": "official", **params})


def lines_of(form):
    sections = {line["area"]: line for line in form["lines"] if line["kind"] == "section"}
    total = next(line for line in form["lines"] if line["kind"] == "total")
    return sections["urban"], sections["rural"], total, [line for line in form["lines"] if line["kind"] == "unit"]


def values(line) -> dict:
    return {c["key"]: c["value"] for c in line["cells"]}


def int_keys(form) -> list[str]:
    return [c["key"] for c in form["lines"][0]["cells"] if c["kind"] == "int"]


def assert_adds_up(form):
    urban, rural, total, units = lines_of(form)
    for key in int_keys(form):
        assert values(urban)[key] + values(rural)[key] == values(total)[key], key
        for section in (urban, rural):
            assert sum(values(u)[key] for u in units if u["area"] == section["area"]) == values(section)[key], key
    blocks = {"poor_em": ("poor", "poor_end"), "near_poor_em": ("near_poor", "near_poor_end")}
    for line in form["lines"]:
        v = values(line)
        for em, block in blocks.items():
            if em in v:
                assert 0 <= v[em] <= v[block[0] if block[0] in v else block[1]], (line["name"], em)


def test_official_rates_form_adds_up_and_reads_the_approved_entries(client, rounds, department):
    response = page(client, department)
    assert response.status_code == 200
    [form] = response.context["forms"]
    assert form["key"] == "rates"
    assert_adds_up(form)
    urban, rural, total, _units = lines_of(form)
    assert {k: values(urban)[k] for k in ("total_households", "poor_start", "poor", "poor_em", "near_poor", "near_poor_em")} == {
        "total_households": 50,
        "poor_start": 2,
        "poor": 2,
        "poor_em": 1,
        "near_poor": 2,
        "near_poor_em": 1,
    }
    assert {k: values(rural)[k] for k in ("total_households", "poor_start", "poor", "poor_em", "near_poor", "near_poor_em")} == {
        "total_households": 30,
        "poor_start": 0,
        "poor": 1,
        "poor_em": 1,
        "near_poor": 1,
        "near_poor_em": 0,
    }
    assert (values(total)["poor"], values(total)["poor_rate"], values(total)["poor_em"]) == (3, "3.75", 2)
    assert values(urban)["poor_rate"] == "4.00" and values(rural)["near_poor_rate"] == "3.33"
    # Sections first, the total last; the units within a section are its districts, numbered from 1.
    kinds = [line["kind"] for line in form["lines"]]
    assert kinds[0] == "section" and kinds[-1] == "total" and kinds.count("section") == 2
    html = response.content.decode()
    assert 'data-official-table="rates"' in html and "size:A4 landscape" in html
    assert "data-no-decision" in html  # no provincial decision recorded: dots, said so


def test_official_flows_forms_balance_and_map_the_flows(client, rounds, department):
    response = page(client, department, "/reports/flows/")
    assert response.status_code == 200
    poor, near = response.context["forms"]
    assert (poor["key"], near["key"]) == ("flows-poor", "flows-near_poor")
    for form in (poor, near):
        assert_adds_up(form)
        assert all(line["balanced"] for line in form["lines"]), form["key"]
    urban, rural, total, _units = lines_of(poor)
    # A2 poor → near-poor: escaped; A3 and B1 never poor before: newly poor; A1 stays.
    assert {k: values(urban)[k] for k in ("poor_start", "poor_escaped", "poor_re", "poor_new", "poor_other_out", "poor_end")} == {
        "poor_start": 2,
        "poor_escaped": 1,
        "poor_re": 0,
        "poor_new": 1,
        "poor_other_out": 0,
        "poor_end": 2,
    }
    assert (values(rural)["poor_new"], values(total)["poor_end"], values(total)["poor_em"]) == (1, 3, 2)
    urban_near = values(lines_of(near)[0])
    # A2 came from poor (counted in "newly near-poor", and again in its "of which" column), A4 is new.
    assert (urban_near["near_poor_new"], urban_near["near_poor_new_from_other"], urban_near["near_poor_end"]) == (2, 1, 2)
    # The mapping is written in the notes: escaped = to near-poor + above near-poor; moves apart.
    assert any("=" in note for note in poor["notes"]) and len(poor["notes"]) == 5


def test_official_workbook_title_block_signing_and_a4_landscape(client, rounds, department):
    RoundDecision.objects.create(round=rounds["r24"], number="123/QĐ-UBND", date=datetime.date(2024, 12, 20), signer="Chủ tịch")
    client.force_login(department)
    response = client.get("/reports/rates.xlsx", {"round": "BD-2024", "layout": "official"})
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    assert (ws.page_setup.orientation, str(ws.page_setup.paperSize), ws.page_setup.fitToWidth) == ("landscape", "9", 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    text = [str(v) for row in cells for v in row if v is not None]
    assert "(Kèm theo Quyết định số 123/QĐ-UBND ngày 20/12/2024)" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "NGƯỜI LẬP BIỂU" in text and "THỦ TRƯỞNG ĐƠN VỊ" in text
    by_label = {row[0]: row for row in cells if row[0] in ("I", "II")}
    total = next(row for row in cells if row[2] == "Tổng cộng")
    for col in range(3, len(total)):
        if isinstance(total[col], int):
            assert by_label["I"][col] + by_label["II"][col] == total[col]
    # The page says it too, once the decision is recorded.
    html = page(client, department).content.decode()
    assert "data-decision" in html and "123/QĐ-UBND" in html and "data-no-decision" not in html


def test_official_csv_of_the_near_poor_flows(client, rounds, department):
    client.force_login(department)
    response = client.get("/reports/flows.csv", {"round": "BD-2024", "layout": "official", "kind": "near_poor"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "BIẾN ĐỘNG HỘ CẬN NGHÈO NĂM 2024" in body and "Tổng cộng" in body


def test_official_layout_is_approved_numbers_only_and_bad_values_are_400(client, rounds, department):
    assert page(client, department, status="all").status_code == 400
    bad = page(client, department, layout="nonsense")
    assert bad.status_code == 400 and "layout" in bad.content.decode()
    client.force_login(department)
    assert client.get("/reports/rates.xlsx", {"round": "BD-2024", "layout": "official", "status": "all"}).status_code == 400
    # The ordinary pages offer the official layout only where it exists.
    assert "data-official-link" in client.get("/reports/rates/", {"round": "BD-2024"}).content.decode()
    assert "data-official-link" not in client.get("/reports/rates/", {"round": "BD-2024", "status": "all"}).content.decode()
    assert "data-official-link" in client.get("/reports/flows/", {"round": "BD-2024"}).content.decode()


def test_official_layout_access_follows_the_reports(client, rounds, officer_a, outsider, district_a):
    assert page(client, officer_a).status_code == 200  # aggregates of approved lists: any role
    assert page(client, outsider).status_code == 403
    client.logout()
    assert client.get("/reports/rates/", {"round": "BD-2024", "layout": "official"}).status_code == 302
    # A district's form: its communes, urban and rural.
    response = page(client, officer_a, unit=district_a.code)
    urban, rural, total, units = lines_of(response.context["forms"][0])
    assert all(len(u["code"]) == 5 for u in units) and values(urban)["poor"] == 2 and values(total)["poor"] == 2


def test_official_page_query_count_does_not_grow_with_communes(client, rounds, department, commune_b, province):
    from households.models import AdminUnit, Level

    client.force_login(department)
    url = "/reports/flows/"
    params = {"round": "BD-2024", "layout": "official"}
    client.get(url, params)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url, params).status_code == 200
    third = (
        AdminUnit.objects.filter(parent__parent=province, level=Level.COMMUNE).exclude(pk=commune_b.pk).order_by("-code").first()
    )
    approved_list(rounds["r24"], third, total_households=10)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url, params).status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(before.captured_queries) <= 40
