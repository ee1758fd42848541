"""An officer's whole entry flow in a real Chromium: register, assess with the live preview, find; scope; language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from households.models import Household
from surveys.models import Assessment
from tests.browser.conftest import login
from tests.factories import assess, make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBERS = [("Trần Văn An", "M", "1975", "head"), ("Lê Thị Bình", "F", "1978", "spouse"), ("Trần Văn Cường", "M", "2008", "child")]


def test_officer_registers_and_assesses_a_household(live_server, page, browser, officer_a, officer_b, commune_a, round_2024):
    base = live_server.url
    login(page, base, "officer_a", "pw-officer_a")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    page.click("nav.mainnav a[href='/households/']")
    page.click("a[href='/households/new/']")
    page.fill("#id_code", "PC-0001")
    page.fill("#id_hamlet", "Khu phố 3")
    page.click("[data-add-row]")
    page.click("[data-add-row]")
    for i, (name, sex, year, relation) in enumerate(MEMBERS):
        page.fill(f"#id_members-{i}-full_name", name)
        page.select_option(f"#id_members-{i}-sex", sex)
        page.fill(f"#id_members-{i}-birth_year", year)
        page.select_option(f"#id_members-{i}-relation", relation)
        page.select_option(f"#id_members-{i}-ethnicity", label="Kinh")  # "— Chọn —" until the officer picks
    page.click("button[name='then'][value='assess']")

    page.wait_for_url(re.compile(r"/households/PC-0001/assessment/"))
    assert Household.objects.get(code="PC-0001").members.count() == 3
    # Total income 3.000.000 ₫ over 3 members = 1.000.000 ₫ per person (urban line 2.000.000 ₫), 3 deprived.
    page.fill("#id_total_income", "3.000.000")
    for code in ("HEALTH_INSURANCE", "WATER", "LATRINE"):
        page.check(f"#dep-{code}")
    poor = page.locator("#preview [data-category='poor']")
    expect(poor).to_be_visible()
    expect(poor).to_contain_text("Hộ nghèo")
    expect(poor).to_contain_text("1.000.000 ₫")
    page.press("#id_total_income", "Enter")  # Enter saves

    page.wait_for_url(f"{base}/households/PC-0001/")
    assessment = Assessment.objects.get(household__code="PC-0001")
    assert (assessment.category, assessment.income_per_capita) == ("poor", 1_000_000)
    expect(page.locator("article.assessment[data-category='poor']")).to_contain_text("Hộ nghèo")

    page.goto(f"{base}/households/")
    page.fill("input[name='q']", "PC-0001")
    page.press("input[name='q']", "Enter")
    row = page.locator("tr[data-household='PC-0001']")
    expect(row).to_contain_text("Trần Văn An")
    expect(row.locator("[data-category='poor']")).to_have_text("Hộ nghèo")

    # An officer of another commune does not learn that the household exists.
    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    other_page = other.new_page()
    login(other_page, base, "officer_b", "pw-officer_b")
    response = other_page.goto(f"{base}/households/PC-0001/")
    assert response.status == 404
    assert "Trần Văn An" not in other_page.content()
    other.close()


def test_language_switch_to_english_sticks(live_server, page, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="PC-0002")
    assess(officer_a, household, round_2024, 1_000_000, ["HEALTH_INSURANCE", "WATER", "LATRINE"])
    base = live_server.url
    login(page, base, "officer_a", "pw-officer_a")
    page.goto(f"{base}/households/PC-0002/")
    expect(page.locator("article.assessment")).to_contain_text("Hộ nghèo")
    page.select_option("#lang-select", "en")
    page.wait_for_url(f"{base}/households/PC-0002/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("article.assessment")).to_contain_text("Poor household")
    page.click("nav.mainnav a[href='/households/']")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("tr[data-household='PC-0002'] [data-category='poor']")).to_have_text("Poor household")
    # The live preview answers in English too.
    page.goto(f"{base}/households/PC-0002/assessment/")
    page.fill("#id_income_per_capita", "900000")
    expect(page.locator("#preview [data-category='poor']")).to_contain_text("Poor household")
