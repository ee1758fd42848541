"""The household form's "able to work" follows the birth year typed in a new member row (static/js/povreg.js)."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_rows_follow_the_birth_year_until_ticked_by_hand(live_server, page, officer_a, commune_a):
    this_year = datetime.date.today().year
    base = live_server.url
    login(page, base, "officer_a", "pw-officer_a")
    page.goto(f"{base}/households/new/")
    head = page.locator("#id_members-0-able_to_work")
    expect(head).to_be_checked()
    page.fill("#id_members-0-birth_year", str(this_year - 70))
    expect(head).not_to_be_checked()
    page.fill("#id_members-0-birth_year", str(this_year - 60))
    expect(head).to_be_checked()
    page.click("[data-add-row]")
    child = page.locator("#id_members-1-able_to_work")
    page.fill("#id_members-1-birth_year", str(this_year - 14))
    expect(child).not_to_be_checked()
    page.fill("#id_members-1-birth_year", str(this_year - 15))
    expect(child).to_be_checked()
    # Ticked or unticked by hand, the box keeps the officer's choice.
    child.uncheck()
    page.fill("#id_members-1-birth_year", str(this_year - 30))
    expect(child).not_to_be_checked()

    # A stored member's box is the stored value, whatever is typed.
    make_household(officer_a, commune_a, code="A-JS")
    page.goto(f"{base}/households/A-JS/edit/")
    stored = page.locator("#id_members-0-able_to_work")
    expect(stored).to_be_checked()
    page.fill("#id_members-0-birth_year", str(this_year - 5))
    expect(stored).to_be_checked()
