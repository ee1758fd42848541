"""Shared fixtures: Binh Duong's real units and the named personas of ../shared/STYLE.md."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model

from households.models import AdminUnit, Assignment, Hamlet, Level, Role, Structure
from households.services import MemberData, household_create
from households.units import load_legacy
from surveys.models import CriteriaSet
from surveys.services import assessment_save, round_create

_codes = itertools.count(1)


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached approved numbers and throttle counters live in the cache: no test sees another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher costs ~0.4 s per persona; tests need no slow hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def province(db) -> AdminUnit:
    load_legacy("74")
    return AdminUnit.objects.get(structure=Structure.LEGACY, code="74")


@pytest.fixture
def commune_a(province) -> AdminUnit:
    return AdminUnit.objects.get(structure=Structure.LEGACY, code="25747")  # Phường Phú Cường, Thủ Dầu Một (urban)


@pytest.fixture
def commune_b(province) -> AdminUnit:
    return AdminUnit.objects.get(structure=Structure.LEGACY, code="25816")  # Xã Trừ Văn Thố, Bàu Bàng: a rural commune in another district


@pytest.fixture
def district_a(commune_a) -> AdminUnit:
    return commune_a.parent


def make_user(username: str, role: str | None = None, unit: AdminUnit | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)
    if role:
        Assignment.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def officer_a(commune_a):
    return make_user("officer_a", Role.COMMUNE_OFFICER, commune_a)


@pytest.fixture
def officer_b(commune_b):
    return make_user("officer_b", Role.COMMUNE_OFFICER, commune_b)


@pytest.fixture
def chairman_a(commune_a):
    return make_user("chairman_a", Role.COMMUNE_CHAIRMAN, commune_a)


@pytest.fixture
def district_officer(district_a):
    return make_user("district_a", Role.DISTRICT_OFFICER, district_a)


@pytest.fixture
def department(province):
    return make_user("department", Role.DEPARTMENT_STAFF, province)


@pytest.fixture
def api_reader(province):
    return make_user("api_reader", Role.API_READER, province)


@pytest.fixture
def outsider(db):
    return make_user("outsider")


@pytest.fixture
def round_2024(province, department):
    return round_create(
        actor=department, code="BD-2024", year=2024, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )


def default_members(n: int = 3, *, able: bool = True) -> list[MemberData]:
    people = [MemberData(full_name="Nguyễn Văn Hùng", sex="M", birth_year=1980, relation="head", able_to_work=able)]
    people += [
        MemberData(full_name=f"Nguyễn Thị Mai {i}", sex="F", birth_year=1985 + i, relation="child" if i else "spouse", able_to_work=able)
        for i in range(n - 1)
    ]
    return people


def make_household(actor, commune: AdminUnit, *, members: list[MemberData] | None = None, hamlet_name: str = "Khu phố 1", code: str | None = None):
    hamlet, _ = Hamlet.objects.get_or_create(commune=commune, name=hamlet_name)
    return household_create(
        actor=actor, code=code or f"{commune.code}-T{next(_codes):05d}", commune=commune, hamlet=hamlet,
        head_name="Nguyễn Văn Hùng", members=members if members is not None else default_members(),
    )


def assess(actor, household, survey_round, income: int, deprived=()):
    return assessment_save(actor=actor, household=household, round=survey_round, income_per_capita=income, deprived=list(deprived))


def approved_list(survey_round, commune, **counts):
    """A commune list standing approved with its entries frozen from the assessments as they are now
    (what `commune_list_approve` stores), without walking the procedure."""
    from surveys.approval import list_entries_freeze
    from surveys.models import CommuneList, ListStatus

    commune_list = CommuneList.objects.create(round=survey_round, commune=commune, status=ListStatus.APPROVED, **counts)
    list_entries_freeze([commune_list])
    return commune_list


def recognise(commune_list, actor=None, *, number: str = "12/QĐ-UBND"):
    """The commune chairman's recognition decision, recorded as the approval needs it (dated today)."""
    from django.utils import timezone

    from surveys.approval import recognition_record

    if actor is None:
        actor = make_user(f"chair-{commune_list.commune.code}-{commune_list.pk}", Role.COMMUNE_CHAIRMAN, commune_list.commune)
    return recognition_record(actor=actor, commune_list=commune_list, number=number, date=timezone.localdate(),
                              signer="Chủ tịch UBND xã")


__all__ = ["Level", "approved_list", "assess", "default_members", "make_household", "make_user", "recognise"]


def pytest_collection_modifyitems(config, items):
    # Browser tests last: Playwright's event loop lives until the session ends, and the other tests should
    # not run under it (Django would hand them connections it cannot close before dropping the test database).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
