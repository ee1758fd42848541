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


@pytest.fixture(scope="module", autouse=True)
def _close_connections_afterwards(django_db_setup, django_db_blocker):
    """The connection opened under Playwright's event loop is not the one Django closes at the end of the
    session; close it when the module ends, or PostgreSQL refuses to drop the test database ("accessed by
    other users"). (tests/conftest.py puts the standing data back after each test's flush.)"""
    yield
    with django_db_blocker.unblock():
        connections.close_all()
