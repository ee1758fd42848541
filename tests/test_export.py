"""Excel and CSV exports, opened back: titles, merged cells, frozen panes, number formats, totals, formula
neutralisation, scoping and audit of personal-data exports, streaming from iterators, the CLI."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from core.models import AuditEvent
from households.services import MemberData
from surveys import excel
from surveys.models import CriteriaSet
from surveys.rounds import round_create
from tests.factories import assess, make_household


@pytest.fixture
def data(province, commune_a, commune_b, officer_a, officer_b, department):
    r = round_create(
        actor=department, code="BD-2024", year=2024, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    evil = make_household(
        officer_a,
        commune_a,
        code="A-EVIL",
        members=[MemberData(full_name='=HYPERLINK("http://x")', sex="M", birth_year=1980, relation="head")],
    )
    evil.head_name = "=cmd|' /C calc'!A0"
    evil.address = "@SUM(1+1)"
    evil.save()
    assess(officer_a, evil, r, 1_000_000, ["WATER", "LATRINE", "TELECOM"])
    assess(officer_a, make_household(officer_a, commune_a, code="A-2"), r, 1_900_000, [])
    assess(officer_b, make_household(officer_b, commune_b, code="B-1"), r, 1_000_000, ["WATER", "LATRINE", "TELECOM"])
    return r


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_rates_workbook_layout(client, data, department):
    client.force_login(department)
    wb = workbook(client.get("/reports/rates.xlsx", {"round": "BD-2024", "status": "all"}))
    ws = wb.worksheets[0]
    assert ws.title == "Tỷ lệ"
    title = ws["A1"].value
    assert "Bình Dương" in title and "2024" in title and ws["A1"].font.b
    assert "A1:Q1" in {str(r) for r in ws.merged_cells.ranges}
    assert "VN-2022" in ws["A3"].value and "BD-2024" in ws["A2"].value
    header_row = 6
    assert ws.cell(row=header_row, column=2).value == "Đơn vị" and ws.cell(row=header_row, column=2).font.b
    assert ws.freeze_panes == f"B{header_row + 1}"
    rows = list(ws.iter_rows(min_row=header_row + 1, max_row=header_row + 9, values_only=True))
    assert len(rows) == 9 and all(isinstance(r[2], int) for r in rows)  # nine districts
    total = [c for c in ws[header_row + 10]]
    assert total[1].value == "Tổng cộng" and total[1].font.b
    assert total[3].value == 2 and total[9].value == 1
    assert total[4].number_format == "0.00" and total[2].number_format == "#,##0"
    # English on request
    wb_en = workbook(client.get("/reports/rates.xlsx", {"round": "BD-2024", "status": "all", "lang": "en"}))
    assert wb_en.worksheets[0].cell(row=6, column=2).value == "Unit"

    response = client.get("/reports/rates.csv", {"round": "BD-2024", "status": "all"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff") and response["Content-Type"].startswith("text/csv")
    lines = text.splitlines()
    assert any(line.startswith("Mã,Đơn vị,Tổng số hộ dân cư") for line in lines)
    assert lines[-1].startswith(",Tổng cộng,")


def test_household_list_is_scoped_audited_and_neutralised(client, data, officer_a, outsider):
    client.force_login(officer_a)
    before = AuditEvent.objects.filter(action="export.household_list").count()
    wb = workbook(client.get("/reports/households.xlsx", {"round": "BD-2024"}))
    assert AuditEvent.objects.filter(action="export.household_list").count() == before + 1
    event = AuditEvent.objects.filter(action="export.household_list").latest("id")
    assert event.actor == officer_a
    ws = wb.worksheets[0]
    codes = [r[0] for r in ws.iter_rows(min_row=7, values_only=True) if r[0]]
    assert codes == ["A-2", "A-EVIL"]  # commune B is out of scope
    evil = next(r for r in ws.iter_rows(min_row=7, values_only=True) if r[0] == "A-EVIL")
    assert evil[4] == "'=cmd|' /C calc'!A0" and evil[5] == "'@SUM(1+1)"
    assert evil[6] == "Hộ nghèo" and evil[8] == 1_000_000
    # filtered like the lists, and as CSV
    response = client.get("/reports/households.csv", {"round": "BD-2024", "category": "near_poor"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "A-2" in text and "A-EVIL" not in text
    client.force_login(outsider)
    assert client.get("/reports/households.xlsx", {"round": "BD-2024"}).status_code == 403


def test_neutralise():
    assert excel.neutralise("=1+1") == "'=1+1"
    assert excel.neutralise("+84 912") == "'+84 912"
    assert excel.neutralise("-x") == "'-x" and excel.neutralise("@a") == "'@a"
    assert excel.neutralise("Ấp 1") == "Ấp 1" and excel.neutralise(-5) == -5 and excel.neutralise(None) is None


def test_workbook_streams_from_a_generator(tmp_path):
    consumed = []

    def rows():
        for i in range(10_000):
            consumed.append(i)
            yield [f"H{i}", i * 1000, "=bad" if i == 7 else "ok"]

    cols = [excel.Column("code", "Mã"), excel.Column("income", "Thu nhập", "money"), excel.Column("note", "Ghi chú")]
    path = tmp_path / "big.xlsx"
    written = excel.write_workbook([excel.Table(sheet="x", title="T", columns=cols, rows=rows(), total=["", 1, ""])], path)
    assert written == 10_000 and len(consumed) == 10_000
    ws = load_workbook(path, read_only=True).worksheets[0]
    values = list(ws.iter_rows(min_row=3, values_only=True))
    assert values[0] == ("Mã", "Thu nhập", "Ghi chú") and values[8] == ("H7", 7000, "'=bad") and len(values) == 10_002


def test_flows_and_deprivation_workbooks_and_the_command(client, data, department, tmp_path):
    client.force_login(department)
    wb = workbook(client.get("/reports/flows.xlsx", {"round": "BD-2024", "status": "all"}))
    assert wb.sheetnames == ["Biến động hộ nghèo", "Biến động hộ cận nghèo"]
    ws = wb.worksheets[0]
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "Mã")
    assert "Đầu kỳ" in header and "Cuối kỳ" in header
    total = next(r for r in ws.iter_rows(values_only=True) if r and r[1] == "Tổng cộng")
    assert total[header.index("Cuối kỳ")] == 2 and total[header.index("Nghèo phát sinh")] == 2
    wb = workbook(client.get("/reports/deprivation.xlsx", {"round": "BD-2024", "status": "all"}))
    assert wb.sheetnames == ["Thiếu hụt", "Đặc điểm"]
    water = next(r for r in wb["Thiếu hụt"].iter_rows(values_only=True) if r and r[0] == "WATER")
    assert water[2] == 2 and float(water[3]) == 100.0

    # The same from the command line.
    out = tmp_path / "rates.xlsx"
    call_command("export_report", "--round", "BD-2024", "--status", "all", "--output", str(out), stdout=io.StringIO())
    ws = load_workbook(out).worksheets[0]
    assert any(r[1] == "Tổng cộng" and r[3] == 2 for r in ws.iter_rows(values_only=True))
    csv_out = tmp_path / "hh.csv"
    before = AuditEvent.objects.filter(action="export.household_list").count()
    call_command(
        "export_report",
        "--round",
        "BD-2024",
        "--report",
        "households",
        "--format",
        "csv",
        "-o",
        str(csv_out),
        stdout=io.StringIO(),
    )
    text = csv_out.read_text(encoding="utf-8")
    assert "B-1" in text and "'=cmd" in text
    assert AuditEvent.objects.filter(action="export.household_list").count() == before + 1
