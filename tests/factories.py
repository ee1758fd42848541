"""Shared test helpers: the standing test data (Binh Duong's units, the named personas of ../shared/STYLE.md,
what the data migrations ship), how to put it back after a transactional test's flush, and the builders
and API/form helpers more than one test module uses. Test modules import from here, never from each other
(tests/conftest.py holds the fixtures every test may ask for)."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from households.models import AdminUnit, Assignment, Hamlet, Level, Role, Structure
from households.services import MemberData, household_create
from surveys.services import assessment_save

# The one hasher of the tests (tests/conftest.py's `_fast_password_hashing`): the default costs ~0.4 s per user.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PROVINCE = "74"  # Bình Dương, pre-2025 structure
COMMUNE_A = "25747"  # Phường Phú Cường, Thủ Dầu Một (urban)
COMMUNE_B = "25816"  # Xã Trừ Văn Thố, Bàu Bàng: a rural commune in another district

# The named personas: username -> (role, where). Each one's password is "pw-" + username.
PERSONAS = {
    "officer_a": (Role.COMMUNE_OFFICER, COMMUNE_A),
    "officer_b": (Role.COMMUNE_OFFICER, COMMUNE_B),
    "chairman_a": (Role.COMMUNE_CHAIRMAN, COMMUNE_A),
    "district_a": (Role.DISTRICT_OFFICER, "district of " + COMMUNE_A),
    "department": (Role.DEPARTMENT_STAFF, PROVINCE),
    "api_reader": (Role.API_READER, PROVINCE),
    "outsider": (None, None),
}

_codes = itertools.count(1)


# --- the standing data -------------------------------------------------------------------------------------


def install_shipped_data() -> None:
    """What the data migrations install (criteria sets, ethnic groups): a transactional test's flush empties it."""
    from households.ethnicity import install_groups
    from surveys.criteria_data import install
    from surveys.models import CriteriaSet, Indicator, Rule

    install(CriteriaSet, Indicator, Rule)
    install_groups()


def legacy_unit(code: str) -> AdminUnit:
    return AdminUnit.objects.get(structure=Structure.LEGACY, code=code)


def install_units() -> None:
    """Binh Duong's pre-2025 units, as tests/conftest.py's `province` fixture used to load for every test
    (loading is idempotent: a second call changes nothing)."""
    from households.units import load_legacy

    load_legacy(PROVINCE)


def install_personas() -> None:
    """The named personas with their assignments, hashed with the tests' fast hasher (the password check in a
    test then costs nothing, and no login re-hashes the password)."""
    existing = set(get_user_model().objects.filter(username__in=PERSONAS).values_list("username", flat=True))
    commune_a = legacy_unit(COMMUNE_A)
    units = {
        PROVINCE: legacy_unit(PROVINCE),
        COMMUNE_A: commune_a,
        COMMUNE_B: legacy_unit(COMMUNE_B),
        "district of " + COMMUNE_A: commune_a.parent,
    }
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        for username, (role, where) in PERSONAS.items():
            if username not in existing:
                make_user(username, role, units.get(where))


def install_test_data() -> None:
    """Everything every test may count on finding: loaded once per test database (tests/conftest.py's
    `django_db_setup`) and again after a transactional test's flush emptied the tables."""
    install_shipped_data()
    install_units()
    install_personas()


def standing_data_present() -> bool:
    return (
        get_user_model().objects.filter(username="outsider").exists()
        and AdminUnit.objects.filter(structure=Structure.LEGACY, code=COMMUNE_B).exists()
    )


@pytest.fixture
def shipped_data(transactional_db):
    """Kept for modules that name it: tests/conftest.py's `_standing_data` now reinstalls the standing data
    (shipped rows, units, personas) before every transactional test that follows a flush."""


@pytest.fixture(scope="module")
def shipped_data_afterwards():
    """Kept for modules that name it: tests/conftest.py's module-scoped `_standing_data_for_module` puts the
    standing data back before the next module's first test."""
    yield


# --- builders ------------------------------------------------------------------------------------------------


def make_user(username: str, role: str | None = None, unit: AdminUnit | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)
    if role:
        Assignment.objects.create(user=user, unit=unit, role=role)
    return user


def default_members(n: int = 3, *, able: bool = True) -> list[MemberData]:
    people = [MemberData(full_name="Nguyễn Văn Hùng", sex="M", birth_year=1980, relation="head", able_to_work=able)]
    people += [
        MemberData(
            full_name=f"Nguyễn Thị Mai {i}", sex="F", birth_year=1985 + i, relation="child" if i else "spouse", able_to_work=able
        )
        for i in range(n - 1)
    ]
    return people


def make_household(
    actor, commune: AdminUnit, *, members: list[MemberData] | None = None, hamlet_name: str = "Khu phố 1", code: str | None = None
):
    hamlet, _ = Hamlet.objects.get_or_create(commune=commune, name=hamlet_name)
    return household_create(
        actor=actor,
        code=code or f"{commune.code}-T{next(_codes):05d}",
        commune=commune,
        hamlet=hamlet,
        head_name="Nguyễn Văn Hùng",
        members=members if members is not None else default_members(),
    )


def assess(actor, household, survey_round, income: int, deprived=()):
    return assessment_save(
        actor=actor, household=household, round=survey_round, income_per_capita=income, deprived=list(deprived)
    )


def approved_list(survey_round, commune, **counts):
    """A commune list standing approved with its entries frozen from the assessments as they are now
    (what `commune_list_approve` stores), without walking the procedure."""
    from surveys.approval.freeze import list_entries_freeze
    from surveys.models import CommuneList, ListStatus

    commune_list = CommuneList.objects.create(round=survey_round, commune=commune, status=ListStatus.APPROVED, **counts)
    list_entries_freeze([commune_list])
    return commune_list


def recognise(commune_list, actor=None, *, number: str = "12/QĐ-UBND"):
    """The commune chairman's recognition decision, recorded as the approval needs it (dated today)."""
    from surveys.approval.decisions import recognition_record

    if actor is None:
        actor = make_user(f"chair-{commune_list.commune.code}-{commune_list.pk}", Role.COMMUNE_CHAIRMAN, commune_list.commune)
    return recognition_record(
        actor=actor, commune_list=commune_list, number=number, date=timezone.localdate(), signer="Chủ tịch UBND xã"
    )


# --- the approval procedure (tests/test_approval.py and the modules that build on it) ------------------------

TODAY = timezone.localdate()
POOR_INCOME, NEAR_POOR_INCOME, RICH_INCOME = 1_000_000, 1_900_000, 5_000_000  # urban line 2,000,000 (VN-2022)
FOUR = ["HEALTH_INSURANCE", "WATER", "LATRINE", "TELECOM"]


def fill_commune(officer, commune, survey_round, hamlets=("Khu phố 1", "Khu phố 2")):
    """Households in each hamlet, assessed: one poor, one near-poor, one not poor per hamlet."""
    households = []
    for name in hamlets:
        for income, deprived in ((POOR_INCOME, FOUR), (NEAR_POOR_INCOME, []), (RICH_INCOME, [])):
            household = make_household(officer, commune, hamlet_name=name)
            assess(officer, household, survey_round, income, deprived)
            households.append(household)
    return households


def record_procedure(actor, commune_list, *, agreeing=30, attendees=40, posting_start=None, posting_end=None):
    """The hamlet meetings, the public posting and (once the posting has ended) the chairman's recognition."""
    from surveys import approval

    meeting_day = TODAY - datetime.timedelta(days=20)
    for hamlet in Hamlet.objects.filter(commune=commune_list.commune):
        approval.hamlet_meeting_record(
            actor=actor, commune_list=commune_list, hamlet=hamlet, held_on=meeting_day, attendees=attendees, agreeing=agreeing
        )
    approval.public_posting_record(
        actor=actor,
        commune_list=commune_list,
        starts_on=posting_start or TODAY - datetime.timedelta(days=14),
        ends_on=posting_end or TODAY - datetime.timedelta(days=1),
        place="Trụ sở UBND",
    )
    if (posting_end or TODAY) <= TODAY:  # the chairman's decision follows the posting
        recognise(commune_list, actor)


def approve(survey_round, commune, *, officer, district, department):
    """A commune list walked through the whole procedure to approved (tests/test_reports.py's world)."""
    from surveys import approval

    today = timezone.localdate()
    cl = approval.commune_list_get_or_create(actor=officer, round=survey_round, commune=commune)
    for hamlet in Hamlet.objects.filter(commune=commune):
        approval.hamlet_meeting_record(
            actor=officer, commune_list=cl, hamlet=hamlet, held_on=today - datetime.timedelta(days=30), attendees=10, agreeing=9
        )
    approval.public_posting_record(
        actor=officer, commune_list=cl, starts_on=today - datetime.timedelta(days=25), ends_on=today - datetime.timedelta(days=10)
    )
    recognise(cl, officer)
    cl = approval.commune_list_review(actor=district, commune_list=approval.commune_list_submit(actor=officer, commune_list=cl))
    return approval.commune_list_approve(actor=department, commune_list=cl)


# --- the API -------------------------------------------------------------------------------------------------


def client_for(user=None):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_error(response, status: int, field: str | None = None, code: str | None = None) -> dict:
    """The API's one error shape ({"errors": [{field, code, message}]}, DESIGN.md §3), with this status."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    body = response.json()
    assert set(body) == {"errors"} and body["errors"], body
    for item in body["errors"]:
        assert set(item) == {"field", "code", "message"}, item
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    return body


@pytest.fixture
def _fresh_throttle_cache():
    """Kept for modules that name it: tests/conftest.py's autouse `_empty_cache` clears the throttle counters
    around every test."""


# --- the household form --------------------------------------------------------------------------------------


def member_post(prefix: str, members: list[dict], *, initial: int = 0) -> dict:
    """The member formset's POST data for these rows (booleans as ticked boxes)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(members)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "40",
    }
    for i, m in enumerate(members):
        row = {"relation": "other", "ethnicity": "Kinh", "citizen_id": "", **m}
        for key, value in row.items():
            if isinstance(value, bool):
                if value:
                    data[f"{prefix}-{i}-{key}"] = "on"
            else:
                data[f"{prefix}-{i}-{key}"] = str(value)
    return data


def form_token(client) -> str:
    """The one-time token of a freshly opened registration form (each one saves once)."""
    return client.get(reverse("household-create")).context["form"]["form_token"].value()


# --- survey workbooks (tests/test_import.py and the modules that import files) -------------------------------

URBAN_NEAR = 1_900_000  # VN-2022 urban line is 2,000,000


def member(code, name="Trần Văn An", **over):
    """A row of the members sheet."""
    row = {
        "household_code": code,
        "full_name": name,
        "sex": "M",
        "birth_year": 1980,
        "relation": "head",
        "citizen_id": None,
        "ethnicity": "Kinh",
        "able_to_work": 1,
        "social_protection": 0,
        "merit": 0,
        "disability": 0,
    }
    row.update(over)
    return row


def household(code, commune=COMMUNE_A, **over):
    """A row of the households sheet."""
    row = {
        "household_code": code,
        "commune_code": commune,
        "hamlet": "Khu phố 1",
        "head_name": "Trần Văn An",
        "address": "12 Đường 30/4",
        "income_per_capita": URBAN_NEAR,
        "deprived": "HEALTH_INSURANCE, WATER, LATRINE",
    }
    row.update(over)
    return row


def basic_rows():
    households = [
        household("IMP-1"),  # poor: under the line, 3 deprived
        household("IMP-2", hamlet="Khu phố Mới", deprived=""),  # near-poor, new hamlet
        household("IMP-3", income_per_capita=5_000_000, deprived="WATER"),  # not poor
    ]
    members = [
        member("IMP-1"),
        member("IMP-1", "Lê Thị Hoa", sex="F", relation="spouse", citizen_id="074190000001"),
        member("IMP-2", able_to_work=0, social_protection=1, ethnicity="Khmer"),
        member("IMP-3"),
    ]
    return households, members


def write(tmp_path, name="survey.xlsx", households=None, members=None, denominators=(), labels=False):
    """A survey workbook at tmp_path/name (basic_rows() unless rows are given)."""
    from surveys.imports.importer import write_survey_workbook

    if households is None:
        households, members = basic_rows()
    path = tmp_path / name
    write_survey_workbook(path, households=households, members=members, denominators=denominators, labels=labels)
    return path


# --- classification boundaries (tests/test_classification.py, and the browser's copy in tests/test_offline.py) --

P, N, A, X = "poor", "near_poor", "average", "not_poor"

# (set, area, income, deprived count, expected category): every line of every shipped set at line − 1, line and
# line + 1 VND, with 2 and 3 deprivations, written from the law (../shared/LAW.md), not read back from the data.
CLASSIFICATION_CASES: list[tuple[str, str, int, int, str]] = []


def _band59(code, area, poor, near, medium):
    for income, with2, with3 in [
        (poor - 1, P, P),
        (poor, P, P),
        (poor + 1, N, P),
        (near - 1, N, P),
        (near, N, P),
        (near + 1, A, A),
        (medium - 1, A, A),
        (medium, A, A),
        (medium + 1, X, X),
    ]:
        CLASSIFICATION_CASES.append((code, area, income, 2, with2))
        CLASSIFICATION_CASES.append((code, area, income, 3, with3))


def _national(code, area, line, average):
    for income, with2, with3 in [(line - 1, N, P), (line, N, P), (line + 1, A if average else X, A if average else X)]:
        CLASSIFICATION_CASES.append((code, area, income, 2, with2))
        CLASSIFICATION_CASES.append((code, area, income, 3, with3))
    if average:
        for income, expected in [(average - 1, A), (average, A), (average + 1, X)]:
            CLASSIFICATION_CASES.append((code, area, income, 2, expected))
            CLASSIFICATION_CASES.append((code, area, income, 3, expected))


def _strict(code, area, poor, near):
    # "dưới X": strictly below; deprivations do not change an income-only set.
    for income, expected in [(poor - 1, P), (poor, N), (poor + 1, N), (near - 1, N), (near, X), (near + 1, X)]:
        CLASSIFICATION_CASES.append((code, area, income, 2, expected))
        CLASSIFICATION_CASES.append((code, area, income, 3, expected))


def _yearly(code, area, poor_year, near_year):
    # Yearly lines, monthly incomes: 12 × the income against the line, exactly (46,000,000 / 12 is not whole).
    for income, expected in [(poor_year // 12, P), (poor_year // 12 + 1, N), (near_year // 12, N), (near_year // 12 + 1, X)]:
        CLASSIFICATION_CASES.append((code, area, income, 2, expected))
        CLASSIFICATION_CASES.append((code, area, income, 3, expected))


_band59("VN-2016", "rural", 700_000, 1_000_000, 1_500_000)
_band59("VN-2016", "urban", 900_000, 1_300_000, 1_950_000)
_national("VN-2022", "rural", 1_500_000, 2_250_000)
_national("VN-2022", "urban", 2_000_000, 3_000_000)
_national("VN-2027", "rural", 2_200_000, None)
_national("VN-2027", "urban", 2_800_000, None)
_strict("BD-2016", "rural", 1_200_000, 1_600_000)
_strict("BD-2016", "urban", 1_400_000, 1_800_000)
_yearly("HCM-2025", "rural", 46_000_000, 54_000_000)
_yearly("HCM-2025", "urban", 46_000_000, 54_000_000)


__all__ = [
    "FOUR",
    "Level",
    "NEAR_POOR_INCOME",
    "POOR_INCOME",
    "RICH_INCOME",
    "TODAY",
    "approve",
    "approved_list",
    "assert_error",
    "assess",
    "basic_rows",
    "client_for",
    "default_members",
    "fill_commune",
    "form_token",
    "household",
    "install_test_data",
    "make_household",
    "make_user",
    "member",
    "member_post",
    "recognise",
    "record_procedure",
    "write",
]
