"""The seed's table, end to end: Binh Duong's 2017 review imported from a workbook, every commune's list taken
through the procedure and approved, then the report page, its Excel export and the API agree on
294,573 households; 3,206 poor = 1.09% (1,989 poverty-reduction = 0.68%, 1,217 social protection = 0.41%);
near-poor 2,883 = 0.98%."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from households.models import AdminUnit, Hamlet, Level, Role
from surveys.approval import (
    commune_list_approve,
    commune_list_get_or_create,
    commune_list_review,
    commune_list_submit,
    hamlet_meeting_record,
    public_posting_record,
)
from surveys.imports.importer import survey_import, write_survey_workbook
from surveys.models import CriteriaSet
from surveys.rounds import round_create
from tests.factories import make_user, recognise

TOTAL = 294_573
POVERTY_REDUCTION, SOCIAL_PROTECTION, NEAR_POOR, NOT_POOR = 1_989, 1_217, 2_883, 2_000


def spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def seed_rows(communes: list[AdminUnit]):
    """8,089 households across the 91 communes: (kind, income, members) per household, BD-2016 lines."""
    kinds = []
    for kind, n in (("pr", POVERTY_REDUCTION), ("sp", SOCIAL_PROTECTION), ("near", NEAR_POOR), ("not", NOT_POOR)):
        for commune, count in zip(communes, spread(n, len(communes)), strict=True):
            kinds += [(kind, commune)] * count
    households, members = [], []
    income = {"pr": 1_000_000, "sp": 900_000, "near": 1_500_000, "not": 3_000_000}
    for serial, (kind, commune) in enumerate(kinds, start=1):
        code = f"BD17-{serial:05d}"
        households.append(
            {
                "household_code": code,
                "commune_code": commune.code,
                "hamlet": "Ấp 1",
                "head_name": f"Hộ {serial}",
                "address": "",
                "income_per_capita": income[kind],
                "deprived": "WATER" if kind == "pr" else "",
            }
        )
        members.append(
            {
                "household_code": code,
                "full_name": f"Chủ hộ {serial}",
                "sex": "F" if serial % 3 == 0 else "M",
                "birth_year": 1950 if kind == "sp" else 1975,
                "relation": "head",
                "ethnicity": "Khmer" if serial % 50 == 0 else "Kinh",
                "able_to_work": 0 if kind == "sp" else 1,
                "social_protection": 1 if kind == "sp" else 0,
                "merit": 0,
                "disability": 0,
            }
        )
        if kind == "pr":
            members.append(
                {
                    "household_code": code,
                    "full_name": f"Vợ/chồng {serial}",
                    "sex": "F",
                    "birth_year": 1978,
                    "relation": "spouse",
                    "able_to_work": 1,
                }
            )
    denominators = [
        {"commune_code": c.code, "total_households": n} for c, n in zip(communes, spread(TOTAL, len(communes)), strict=True)
    ]
    return households, members, denominators


def approve_every_list(survey_round, communes, *, officer, district, department):
    """The procedure of Decision 24/2021 for each commune: hamlet meeting, posting, submit, district review, approval."""
    today = timezone.localdate()
    hamlets = {h.commune_id: h for h in Hamlet.objects.filter(commune__in=communes, name="Ấp 1")}
    for commune in communes:
        cl = commune_list_get_or_create(actor=officer, round=survey_round, commune=commune)
        hamlet_meeting_record(
            actor=officer,
            commune_list=cl,
            hamlet=hamlets[commune.pk],
            held_on=today - datetime.timedelta(days=30),
            attendees=40,
            agreeing=35,
        )
        public_posting_record(
            actor=officer,
            commune_list=cl,
            starts_on=today - datetime.timedelta(days=25),
            ends_on=today - datetime.timedelta(days=10),
        )
        recognise(cl, officer)
        cl = commune_list_submit(actor=officer, commune_list=cl)
        cl = commune_list_review(actor=district, commune_list=cl)
        commune_list_approve(actor=department, commune_list=cl)


@pytest.mark.django_db
def test_binh_duong_2017_table_through_import_approval_report_excel_and_api(tmp_path, province, department, client):
    survey_round = round_create(
        actor=department, code="BD-2017", year=2017, criteria_set=CriteriaSet.objects.get(code="BD-2016"), province=province
    )
    communes = list(AdminUnit.objects.under(province).filter(level=Level.COMMUNE).order_by("code"))
    assert len(communes) == 91
    households, members, denominators = seed_rows(communes)
    assert len(households) == 8_089
    path = tmp_path / "bd-2017.xlsx"
    write_survey_workbook(path, households=households, members=members, denominators=denominators)

    result = survey_import(actor=department, round=survey_round, path=path)
    assert result.ok, result.issues[:5]
    assert result.categories == {"poor": 3_206, "near_poor": 2_883, "not_poor": 2_000}

    officer = make_user("bd_officer", Role.COMMUNE_OFFICER, province)
    district = make_user("bd_district", Role.DISTRICT_OFFICER, province)
    approve_every_list(survey_round, communes, officer=officer, district=district, department=department)

    expected = {
        "total_households": "294573",
        "poor": "3206",
        "poor_rate": "1.09",
        "poverty_reduction": "1989",
        "poverty_reduction_rate": "0.68",
        "social_protection": "1217",
        "social_protection_rate": "0.41",
        "near_poor": "2883",
        "near_poor_rate": "0.98",
    }

    # The report page (approved lists only, the default).
    client.force_login(department)
    page = client.get("/reports/rates/", {"round": "BD-2017", "unit": "74"})
    assert page.status_code == 200
    report = page.context["report"]
    assert len(report.rows) == 9 and report.level == "district"
    total = report.total
    assert {k: str(getattr(total, k)) for k in expected} == expected
    assert total.communes_included == 91
    html = page.content.decode()
    for key, value in expected.items():  # rates with a decimal comma on the Vietnamese page
        assert f'data-col="{key}">{value.replace(".", ",")}<' in html

    # The Excel export of the same report.
    response = client.get("/reports/rates.xlsx", {"round": "BD-2017", "unit": "74"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    assert "BD-2016" in " ".join(str(ws.cell(row=r, column=1).value) for r in range(1, 5))
    header_row = next(r for r in range(1, 10) if ws.cell(row=r, column=3).value == "Tổng số hộ dân cư")
    headers = [ws.cell(row=header_row, column=c).value for c in range(1, 15)]
    total_row = next(r for r in range(header_row, ws.max_row + 1) if ws.cell(row=r, column=2).value == "Tổng cộng")
    assert total_row == header_row + 10  # nine districts, then the total
    cells = {h: ws.cell(row=total_row, column=i + 1).value for i, h in enumerate(headers)}
    assert cells["Tổng số hộ dân cư"] == 294_573 and cells["Số hộ nghèo"] == 3_206
    assert cells["Tỷ lệ hộ nghèo (%)"] == pytest.approx(1.09) and cells["Số hộ cận nghèo"] == 2_883
    assert cells["Tỷ lệ hộ cận nghèo (%)"] == pytest.approx(0.98)
    assert ws.cell(row=total_row, column=7).value == pytest.approx(0.68) and ws.cell(
        row=total_row, column=9
    ).value == pytest.approx(0.41)
    assert ws.cell(row=total_row, column=5).number_format == "0.00"

    # The API gives the same numbers.
    api = client.get("/api/v1/rates/", {"round": "BD-2017", "unit": "74", "level": "province", "status": "approved"})
    assert api.status_code == 200
    body = api.json()
    row = body["results"][0] if "results" in body else body[0]
    assert {k: str(row[k]) for k in expected} == expected
