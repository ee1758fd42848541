"""Shared fixtures: Binh Duong's real units and the named personas of ../shared/STYLE.md.

Both are standing data: loaded once into each test database (`django_db_setup`), so a fixture only fetches
them, and each test's transaction rolls its own changes back. A transactional test (`transaction=True`,
`transactional_db`, `live_server`) ends with a flush that empties every table; the standing data is put back
before the next test or module that needs it (`_standing_data`, `_standing_data_for_module`). Builders and
helpers live in tests/factories.py."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from households.models import AdminUnit
from surveys.models import CriteriaSet
from surveys.rounds import round_create
from tests.factories import (  # noqa: F401 (re-exported for the modules that import them from here)
    COMMUNE_A,
    COMMUNE_B,
    FAST_HASHERS,
    PROVINCE,
    Level,
    approved_list,
    assess,
    default_members,
    install_test_data,
    legacy_unit,
    make_household,
    make_user,
    recognise,
)


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached approved numbers and throttle counters live in the cache: no test sees another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher costs ~0.4 s per persona; tests need no slow hashes (the personas are hashed so too).
    settings.PASSWORD_HASHERS = FAST_HASHERS


# --- the standing data -------------------------------------------------------------------------------------


class _Tables:
    # True once a transactional test has run: its closing flush emptied the standing data too.
    flushed = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database (one per xdist worker), then the standing data, once."""
    with django_db_blocker.unblock():
        install_test_data()


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames))


def _uses_db(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or "db" in request.fixturenames


@pytest.fixture(scope="module", autouse=True)
def _standing_data_for_module(request):
    """Before a module's first test: the standing data back if a transactional test flushed it (outside any
    test's transaction, so it stays)."""
    if _Tables.flushed:
        with request.getfixturevalue("django_db_blocker").unblock():
            install_test_data()
        _Tables.flushed = False


@pytest.fixture(autouse=True)
def _standing_data(request):
    """A transactional test starts with the standing data (put back if the previous one's flush took it) and
    leaves it flushed. (pytest-django runs transactional tests after the others, so a test in a transaction
    meets a flushed database only when the order was changed: then it gets the data inside its transaction.)"""
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
        if _Tables.flushed:
            install_test_data()
        _Tables.flushed = True
    elif _Tables.flushed and _uses_db(request):
        request.getfixturevalue("db")
        install_test_data()


# --- units and personas (fetched, never created, per test) ---------------------------------------------------


@pytest.fixture
def province(db) -> AdminUnit:
    return legacy_unit(PROVINCE)


@pytest.fixture
def commune_a(db) -> AdminUnit:
    return legacy_unit(COMMUNE_A)  # Phường Phú Cường, Thủ Dầu Một (urban)


@pytest.fixture
def commune_b(db) -> AdminUnit:
    return legacy_unit(COMMUNE_B)  # Xã Trừ Văn Thố, Bàu Bàng: a rural commune in another district


@pytest.fixture
def district_a(commune_a) -> AdminUnit:
    return commune_a.parent


def _persona(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def officer_a(db):
    return _persona("officer_a")


@pytest.fixture
def officer_b(db):
    return _persona("officer_b")


@pytest.fixture
def chairman_a(db):
    return _persona("chairman_a")


@pytest.fixture
def district_officer(db):
    return _persona("district_a")


@pytest.fixture
def department(db):
    return _persona("department")


@pytest.fixture
def api_reader(db):
    return _persona("api_reader")


@pytest.fixture
def outsider(db):
    return _persona("outsider")


@pytest.fixture
def round_2024(province, department):
    return round_create(
        actor=department, code="BD-2024", year=2024, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )


__all__ = ["Level", "approved_list", "assess", "default_members", "make_household", "make_user", "recognise"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Browser tests last, after pytest-django's own ordering (tests in a transaction, transactional tests, tests
    # without a database): Playwright's event loop lives until the session ends, and the other tests should not
    # run under it (Django would hand them connections it cannot close before dropping the test database).
    # Under xdist (`make test` runs `-n 2 --dist loadgroup`) they form one group, run by one worker.
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            if item.get_closest_marker("browser") is not None:
                item.add_marker(pytest.mark.xdist_group("browser"))
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
