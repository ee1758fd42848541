"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"  # Debian's package (`apt-get install chromium`); .ci/run installs it when missing
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # An officer's laptop in Vietnam: 1366×768, browser asking for Vietnamese.
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}, "locale": "vi-VN"}


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base_url}/")


def logout(page, base_url: str) -> None:
    """Log out with the top bar's button (a POST form), as a user would; Django then shows the login page."""
    from django.utils import translation

    with translation.override(page.locator("html").get_attribute("lang") or "vi"):
        name = translation.gettext("Log out")
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_url(f"{base_url}/accounts/login/")



def _install_shipped_sets() -> None:
    from households.ethnicity import install_groups
    from surveys.criteria_data import install
    from surveys.models import CriteriaSet, Indicator, Rule

    install(CriteriaSet, Indicator, Rule)
    install_groups()  # the ethnic groups are data of a migration too


@pytest.fixture(scope="module", autouse=True)
def restore_shipped_sets_afterwards(django_db_setup, django_db_blocker):
    """Leave the database as the migrations made it for the tests that run after these (the last flush
    empties the data migrations' rows too)."""
    yield
    with django_db_blocker.unblock():
        _install_shipped_sets()
        # The connection opened under Playwright's event loop is not the one Django closes at the end of the
        # session; close it here, or PostgreSQL refuses to drop the test database ("accessed by other users").
        connections.close_all()


@pytest.fixture(autouse=True)
def shipped_criteria_sets(transactional_db):
    """A transactional test ends with a flush that also empties what data migrations installed: put the
    shipped criteria sets back. (serialized_rollback cannot do it here: once Playwright's event loop runs,
    Django hands this thread a fresh connection object without the serialized copy.)"""
    _install_shipped_sets()
