"""Shared test helpers that are not fixtures of every test (tests/conftest.py has those)."""

from __future__ import annotations

import pytest


def install_shipped_data() -> None:
    """What the data migrations install (criteria sets, ethnic groups): a transactional test's flush empties it."""
    from households.ethnicity import install_groups
    from surveys.criteria_data import install
    from surveys.models import CriteriaSet, Indicator, Rule

    install(CriteriaSet, Indicator, Rule)
    install_groups()


@pytest.fixture
def shipped_data(transactional_db):
    """For transactional tests (import it into the module, and make it autouse there with `usefixtures`)."""
    install_shipped_data()  # the flush after the previous transactional test emptied it


@pytest.fixture(scope="module")
def shipped_data_afterwards(django_db_setup, django_db_blocker):
    """Put the shipped data back when the module ends: the tests after it count on what the migrations installed."""
    yield
    with django_db_blocker.unblock():
        install_shipped_data()
