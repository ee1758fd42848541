"""Issue 12, a day's work without surprises: drafts print as drafts, a blocked submit says why, exports print
well, empty reports explain themselves, dates are day/month/year, the admin speaks Vietnamese."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from surveys import approval
from tests.factories import approved_list, assess, make_household


def _url(name, survey_round, commune, *args):
    return reverse(f"approval:{name}", args=[survey_round.code, commune.code, *args])


def test_a_draft_recognition_list_prints_as_a_draft_without_a_signature(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    client.force_login(officer_a)
    html = client.get(_url("print_recognition", round_2024, commune_a)).content.decode()
    assert "data-draft" in html and "DỰ THẢO" in html and "data-signature" not in html


def test_an_approved_recognition_list_prints_with_the_signature_block_and_no_draft_mark(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    approved_list(round_2024, commune_a)
    client.force_login(officer_a)
    html = client.get(_url("print_recognition", round_2024, commune_a)).content.decode()
    assert "data-signature" in html and "data-draft" not in html


def test_a_blocked_submit_looks_disabled_and_links_to_what_blocks_it(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    client.force_login(officer_a)
    html = client.get(_url("detail", round_2024, commune_a)).content.decode()
    assert 'disabled aria-disabled="true" aria-describedby="submit-blocked"' in html
    assert "data-submit-blocked" in html and 'href="#procedure"' in html and 'id="procedure"' in html


def test_meeting_dates_are_entered_day_month_year(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, [])
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    client.force_login(officer_a)
    page = client.get(_url("detail", round_2024, commune_a)).content.decode()
    assert 'placeholder="dd/mm/yyyy"' in page and 'type="date"' not in page and "— Chọn —" in page
    day = datetime.date.today() - datetime.timedelta(days=3)
    response = client.post(
        _url("meeting_add", round_2024, commune_a),
        {"hamlet": household.hamlet_id, "held_on": day.strftime("%d/%m/%Y"), "attendees": 30, "agreeing": 25},
    )
    assert response.status_code == 302
    assert commune_list.hamlet_meetings.get().held_on == day


def test_rate_workbooks_print_on_a4_landscape_with_repeated_headers_and_a_filter(
    client, department, commune_a, round_2024, officer_a
):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    approved_list(round_2024, commune_a)
    client.force_login(department)
    response = client.get("/reports/rates.xlsx", {"round": round_2024.code, "unit": "74"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    header_row = int(sheet.print_title_rows.split(":")[0].strip("$"))
    assert sheet.cell(row=header_row, column=1).value and sheet.auto_filter.ref.startswith(f"A{header_row}:")


def test_reports_open_on_the_latest_round_with_approved_numbers_and_an_empty_one_explains_itself(
    client, department, officer_a, commune_a, round_2024, province
):
    from surveys.models import CriteriaSet
    from surveys.rounds import round_create

    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    approved_list(round_2024, commune_a)
    newer = round_create(
        actor=department, code="BD-2025", year=2025, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    client.force_login(department)
    default = client.get("/reports/rates/")
    assert default.context["survey_round"] == round_2024  # not the newer round, which has nothing approved

    empty = client.get("/reports/rates/", {"round": newer.code}).content.decode()
    assert "data-empty-report" in empty and 'id="rate-table"' not in empty
    assert f"?round={round_2024.code}" in empty  # a way to the latest round with numbers


@pytest.mark.parametrize("language, header", [("vi", "Povreg: quản trị"), ("en", "Povreg: administration")])
def test_the_admin_has_a_povreg_header_in_the_users_language(client, settings, language, header, db):
    from tests.factories import make_user

    admin = make_user("boss", is_superuser=True, is_staff=True)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get("/admin/").content.decode()
    assert header in html


def test_an_empty_workbook_is_a_clear_file_problem_not_nothing_changed(tmp_path, officer_a, round_2024):
    from surveys.imports.importer import FileProblem, survey_import, write_survey_workbook

    path = tmp_path / "empty.xlsx"
    write_survey_workbook(path, households=[], members=[])
    with pytest.raises(FileProblem, match="no data rows|không có dòng dữ liệu"):
        survey_import(actor=officer_a, round=round_2024, path=path)


def test_department_staff_are_offered_lists_to_approve_not_households_to_enter(
    client, department, officer_a, commune_a, round_2024
):
    make_household(officer_a, commune_a)  # not yet assessed
    client.force_login(department)
    assert client.get("/").context["next_household"] is None
    client.force_login(officer_a)
    assert client.get("/").context["next_household"] is not None
