"""The demo as a new user meets it in December 2026, in a real Chromium and in Vietnamese: the officer enters
an assessment in HCM-2026 (Ho Chi Minh City, units of 1 July 2025), department staff approve a submitted
list from the queue, read Binh Duong's 2024 result in today's communes, and find nothing left to re-home."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from households.models import AdminUnit
from surveys.demo import DEMO_PASSWORD, build_demo
from surveys.models import Assessment, CommuneList, ListEntry, ListStatus, SurveyRound
from tests.browser.conftest import login, logout
from tests.browser.test_approval_flow import t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_runs_on_hcm_2026(live_server, page):
    build_demo(households_per_commune=6)
    base = live_server.url
    hcm = SurveyRound.objects.get(code="HCM-2026")

    # --- the commune officer: the dashboard is HCM-2026, the next household is entered -----------------------
    login(page, base, "officer", DEMO_PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#round-title")).to_contain_text("HCM-2026")
    officer_unit = AdminUnit.objects.get(assignments__user__username="officer")
    expect(page.locator("main")).to_contain_text(officer_unit.name)
    page.get_by_role("link", name=re.compile(t("Enter the next one"))).click()
    page.wait_for_url(re.compile(r"/assessment/\?round=HCM-2026"))
    code = page.url.split("/households/")[1].split("/")[0]
    page.fill("#id_income_per_capita", "1.200.000")
    for indicator in ("HEALTH_INSURANCE", "WATER", "LATRINE"):
        page.check(f"#dep-{indicator}")
    expect(page.locator("#preview [data-category='poor']")).to_be_visible()
    page.press("#id_income_per_capita", "Enter")
    page.wait_for_url(f"{base}/households/{code}/")
    saved = Assessment.objects.get(household__code=code, round=hcm)
    assert saved.category == "poor" and saved.commune.structure == "2025"
    logout(page, base)

    # --- department staff: approve a submitted HCM-2026 list from the queue ---------------------------------
    login(page, base, "department", DEMO_PASSWORD)
    waiting = (
        CommuneList.objects.filter(round=hcm, status=ListStatus.SUBMITTED)
        .select_related("commune")
        .order_by("commune__code")
        .first()
    )
    page.get_by_role("navigation").get_by_role("link", name=t("Lists"), exact=True).click()
    page.get_by_role("link", name=t("Lists waiting for me"), exact=True).click()
    page.get_by_role("link", name=waiting.commune.name, exact=True).first.click()
    page.get_by_role("button", name=t("Approve and freeze the numbers"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(t("The list was approved; its numbers are frozen."))
    waiting.refresh_from_db()
    assert waiting.status == ListStatus.APPROVED
    assert (
        ListEntry.objects.filter(commune_list=waiting).count()
        == Assessment.objects.filter(round=hcm, commune=waiting.commune).count()
    )

    # --- Binh Duong's 2024 result in today's units, with three decimals --------------------------------------
    page.goto(f"{base}/reports/rates/?round=BD-2024&structure=2025&decimals=3")
    expect(page.locator("#sel-structure")).to_have_value("2025")
    table = page.locator("table[data-report='rates']")
    expect(table).to_contain_text(officer_unit.name)
    expect(table.locator("tfoot")).to_contain_text("546")  # every demo household, now in Ho Chi Minh City's communes
    page.goto(f"{base}/reports/flows/?round=HCM-2026&status=all")
    expect(page.locator("main")).to_contain_text("BD-2024")
    expect(page.locator(".bad")).to_have_count(0)  # every row balances
    page.goto(f"{base}/units/rehome/")
    expect(page.locator("main")).to_contain_text(t("No province has households left in the old units."))
