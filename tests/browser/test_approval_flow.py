"""Issue 4's "Done when" in a real Chromium: the commune officer records the procedure steps and submits the
list, the district officer reviews it, department staff approve it; the list page then shows the approved
state, the frozen numbers and the whole history with its actors.

The UI stays in Vietnamese (the default) throughout. Locators use the page's labels, roles and button texts,
looked up through Django's own Vietnamese catalogue (`t()`), so they hold whatever wording the translators pick.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from surveys.models import CommuneList, ListStatus
from tests.browser.conftest import login, logout
from tests.factories import assess, make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THREE_DEPRIVATIONS = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


def t(message) -> str:
    """`message` as the Vietnamese UI shows it."""
    with translation.override("vi"):
        return str(translation.gettext(message) if isinstance(message, str) else message)


def open_commune_list(page, commune_name: str, *, from_queue: bool) -> None:
    """From the top bar: Lists → (my queue →) the commune's list page."""
    page.get_by_role("navigation").get_by_role("link", name=t("Lists"), exact=True).click()
    if from_queue:
        page.get_by_role("link", name=t("Lists waiting for me"), exact=True).click()
    page.get_by_role("link", name=commune_name, exact=True).click()


def test_list_is_submitted_reviewed_approved_and_frozen(
    live_server, page, officer_a, district_officer, department, commune_a, round_2024
):
    # Urban commune (poverty line 2.000.000 ₫): one poor and one near-poor household in Khu phố 1, one
    # household above the line in Khu phố 2; both hamlets therefore need a meeting.
    assert (
        assess(
            officer_a, make_household(officer_a, commune_a, hamlet_name="Khu phố 1"), round_2024, 1_000_000, THREE_DEPRIVATIONS
        ).category
        == "poor"
    )
    assert (
        assess(
            officer_a, make_household(officer_a, commune_a, hamlet_name="Khu phố 1"), round_2024, 1_500_000, ["WATER"]
        ).category
        == "near_poor"
    )
    assert (
        assess(officer_a, make_household(officer_a, commune_a, hamlet_name="Khu phố 2"), round_2024, 5_000_000).category
        == "not_poor"
    )
    base = live_server.url
    today = timezone.localdate()
    approve = page.get_by_role("button", name=t("Approve and freeze the numbers"), exact=True)

    # --- the commune officer: meetings, posting (already over), submit ---------------------------------
    login(page, base, "officer_a", "pw-officer_a")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    open_commune_list(page, commune_a.name, from_queue=False)
    assert not CommuneList.objects.exists()  # opening the page writes nothing
    page.get_by_role("button", name=t("Start the list"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(t("The list was started."))
    submit = page.get_by_role("button", name=t("Submit the list"), exact=True)
    expect(submit).to_be_disabled()  # no meeting, no posting yet
    for hamlet, days_ago, attendees, agreeing in (("Khu phố 1", 21, 40, 31), ("Khu phố 2", 20, 30, 15)):
        page.get_by_label(t("Hamlet")).select_option(label=hamlet)
        page.get_by_label(t("Held on")).fill(f"{today - datetime.timedelta(days=days_ago):%d/%m/%Y}")  # day/month/year
        page.get_by_label(t("Attendees")).fill(str(attendees))
        page.get_by_label(t("Agreeing")).fill(str(agreeing))  # 77.5 % and exactly 50 %: both agreed
        page.get_by_role("button", name=t("Record the meeting"), exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(t("The hamlet meeting was recorded."))
    # Posted from two weeks ago for a week (6 working days at least), after the meetings: it is over.
    page.get_by_label(t("Posted from")).fill(f"{today - datetime.timedelta(days=14):%d/%m/%Y}")
    page.get_by_label(t("Posted until")).fill(f"{today - datetime.timedelta(days=7):%d/%m/%Y}")
    page.get_by_label(t("Place")).fill("Nhà văn hoá khu phố 1")
    page.get_by_role("button", name=t("Record the posting"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(t("The public posting was recorded."))
    # The chairman's recognition decision, after the posting (the department approves only a recognised list).
    page.get_by_label(t("Decision number")).fill("15/QĐ-UBND")
    page.get_by_label(t("Decision date")).fill(f"{today:%d/%m/%Y}")
    page.get_by_label(t("Signed by")).fill("Nguyễn Văn Chủ")
    page.get_by_role("button", name=t("Record the decision"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(t("The recognition decision was recorded."))
    expect(page.get_by_text(t("All procedure steps are complete; the list can be submitted."))).to_be_visible()
    expect(approve).to_have_count(0)  # a commune officer never approves
    submit.click()
    expect(page.get_by_role("status")).to_contain_text(t("The list was submitted."))
    expect(page.locator("#list-state")).to_have_attribute("data-status", ListStatus.SUBMITTED)
    expect(page.get_by_role("heading", name=t("Current numbers (not yet approved)"))).to_be_visible()
    expect(approve).to_have_count(0)
    expect(submit).to_have_count(0)
    logout(page, base)

    # --- the district officer: review from the queue -------------------------------------------------------
    login(page, base, "district_a", "pw-district_a")
    open_commune_list(page, commune_a.name, from_queue=True)
    expect(approve).to_have_count(0)  # the district gives its opinion, the department approves
    page.get_by_label(t("Opinion (optional)")).fill("Huyện thống nhất danh sách.")
    page.get_by_role("button", name=t("Review and send to the department"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(t("The list was reviewed and sent to the department."))
    expect(page.locator("#list-state")).to_have_attribute("data-status", ListStatus.DISTRICT_REVIEWED)
    logout(page, base)

    # --- department staff: approve from the queue ------------------------------------------------------------
    login(page, base, "department", "pw-department")
    open_commune_list(page, commune_a.name, from_queue=True)
    approve.click()
    expect(page.get_by_role("status")).to_contain_text(t("The list was approved; its numbers are frozen."))

    # --- what everyone now sees on the list page (in Vietnamese) ---------------------------------------------
    frozen = CommuneList.objects.get(round=round_2024, commune=commune_a)
    assert (frozen.status, frozen.poor, frozen.near_poor, frozen.total_households) == (ListStatus.APPROVED, 1, 1, 3)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    state = page.locator("#list-state")
    expect(state).to_have_attribute("data-status", ListStatus.APPROVED)
    expect(state.locator(".status")).to_have_text(t(ListStatus.APPROVED.label))
    expect(state).to_contain_text(f"{t('Approved')}: ")
    expect(state).to_contain_text("department")
    expect(page.get_by_role("heading", name=t("Approved numbers (frozen)"), exact=True)).to_be_visible()
    for label, value in ((t("Total households (denominator)"), "3"), (t("Poor"), "1"), (t("Near-poor"), "1")):
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label, exact=True))
        expect(row.get_by_role("cell").first).to_have_text(value)
    expect(page.get_by_role("button", name=t("Open a new revision"), exact=True)).to_be_visible()
    expect(approve).to_have_count(0)

    history = page.get_by_role("region", name=t("History"), exact=True)
    for action, label, actor in (
        ("commune_list.submitted", "List submitted", "officer_a"),
        ("commune_list.district_reviewed", "List reviewed by the district", "district_a"),
        ("commune_list.approved", "List approved", "department"),
    ):
        row = history.locator(f"tr[data-action='{action}']")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(t(label))
        expect(row.get_by_role("cell").nth(1)).to_have_text(actor)
    expect(history.locator("tr[data-action='commune_list.district_reviewed']")).to_contain_text("Huyện thống nhất danh sách.")
    expect(history.locator("tr[data-action='hamlet_meeting.recorded']")).to_have_count(2)
    expect(history.locator("tr[data-action='public_posting.recorded']")).to_have_count(1)
    logout(page, base)

    # The commune officer sees the same frozen list, and still no approve button.
    login(page, base, "officer_a", "pw-officer_a")
    open_commune_list(page, commune_a.name, from_queue=False)
    expect(page.locator("#list-state")).to_have_attribute("data-status", ListStatus.APPROVED)
    expect(page.get_by_role("heading", name=t("Approved numbers (frozen)"), exact=True)).to_be_visible()
    expect(approve).to_have_count(0)
    expect(page.get_by_role("button", name=t("Submit the list"), exact=True)).to_have_count(0)
