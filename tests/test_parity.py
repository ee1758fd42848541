"""The same question through the web pages and the API gets the same answer: rates per unit, the household list
under each filter, a household's history. Both read the same selectors and FilterSets (../shared/STYLE.md,
"one FilterSet per model shared by UI, API and export"); these tests hold the two doors to that."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser

import pytest

from households.models import Hamlet, HouseholdStatus
from households.services import household_set_status
from surveys.models import CriteriaSet
from surveys.rounds import round_create
from tests.factories import approve, assess, client_for, default_members, make_household

pytestmark = pytest.mark.django_db

POOR, NEAR, RICH = 1_000_000, 1_900_000, 9_000_000  # VN-2022 urban line 2,000,000; rural 1,500,000
FOUR = ["HEALTH_INSURANCE", "WATER", "LATRINE", "TELECOM"]
RATE_FIELDS = (
    "total_households",
    "poor",
    "poor_rate",
    "poverty_reduction",
    "poverty_reduction_rate",
    "social_protection",
    "social_protection_rate",
    "near_poor",
    "near_poor_rate",
    "total_persons",
    "poor_persons",
    "poor_persons_rate",
    "near_poor_persons",
    "near_poor_persons_rate",
)


class Page(HTMLParser):
    """What the tests read from a page: the language, the rate rows (`tr[data-unit]` → {data-col: text}), the
    household rows (`tr[data-household]`), the history rows (`tr[data-action]` with their `time[datetime]`)."""

    def __init__(self, html: str):
        super().__init__()
        self.lang = ""
        self.rates: dict[str, dict[str, str]] = {}
        self.households: list[str] = []
        self.history: list[tuple[str, str]] = []
        self._row: dict | None = None
        self._col: str | None = None
        self._in_history = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "table" and "history-table" in (a.get("class") or ""):
            self._in_history = True
        elif tag == "tr" and "data-unit" in a:
            self._row = self.rates.setdefault(a["data-unit"], {})
        elif tag == "tr" and "data-household" in a:
            self.households.append(a["data-household"])
        elif tag == "tr" and self._in_history and "data-action" in a:
            self.history.append((a["data-action"], ""))
        elif tag == "time" and self._in_history and self.history and not self.history[-1][1]:
            self.history[-1] = (self.history[-1][0], a.get("datetime", ""))
        elif tag == "td" and self._row is not None and "data-col" in a:
            self._col = a["data-col"]
            self._row[self._col] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._col = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._in_history = False

    def handle_data(self, data):
        if self._row is not None and self._col is not None:
            self._row[self._col] += data.strip()


def web(client, user, path: str, **params) -> Page:
    client.force_login(user)
    response = client.get(path, params)
    assert response.status_code == 200, (path, params, response.status_code)
    return Page(response.content.decode())


def api(user, path: str, **params) -> dict:
    response = client_for(user).get(path, params)
    assert response.status_code == 200, (path, params, response.status_code, response.content[:300])
    return response.json()


def shown(value, lang: str) -> str:
    """A number or rate from the API as the page writes it (templates' `pct`: a decimal comma in Vietnamese)."""
    if value is None:
        return "—"
    return str(value).replace(".", ",") if lang == "vi" else str(value)


@pytest.fixture
def registry(officer_a, officer_b, district_officer, department, commune_a, commune_b, round_2024):
    """Two communes of two districts: every category, two hamlets, a moved household, a minority member; commune
    A's list approved, commune B's not."""
    a, b = officer_a, officer_b
    made = {}
    for code, hamlet, income, deprived, people in [
        ("PA-01", "Khu phố 1", POOR, FOUR, 4),
        ("PA-02", "Khu phố 1", POOR, FOUR, 2),
        ("PA-03", "Khu phố 2", NEAR, [], 3),
        ("PA-04", "Khu phố 2", RICH, [], 5),
        ("PA-05", "Khu phố 1", NEAR, [], 1),
        ("PA-06", "Khu phố 2", None, [], 3),
    ]:
        made[code] = make_household(
            a, commune_a, code=code, hamlet_name=hamlet, members=default_members(people, able=people != 1)
        )
        if income is not None:
            assess(a, made[code], round_2024, income, deprived)
    household_set_status(actor=a, household=made["PA-04"], status=HouseholdStatus.MOVED, reason="Chuyển đi Bình Phước")
    for code, income, deprived in [("PB-01", POOR, FOUR), ("PB-02", RICH, []), ("PB-03", NEAR, [])]:
        made[code] = make_household(b, commune_b, code=code, hamlet_name="Ấp 1")
        assess(b, made[code], round_2024, income, deprived)
    approve(round_2024, commune_a, officer=a, district=district_officer, department=department)
    return made


@pytest.mark.parametrize("status", ["all", "approved"])
def test_rates_per_unit_are_the_same_on_the_page_and_in_the_api(client, registry, department, province, district_a, status):
    for unit, level in ((province, "district"), (district_a, "commune")):
        page = web(client, department, "/reports/rates/", round="BD-2024", unit=unit.code, status=status)
        answer = api(department, "/api/v1/rates/", round="BD-2024", unit=unit.code, level=level, status=status)
        assert answer["status"] == status and answer["level"] == level
        rows = {r["unit_code"]: r for r in answer["results"]}
        on_page = {code: cols for code, cols in page.rates.items() if code != "total"}
        assert set(on_page) == set(rows), (unit.code, status)
        for code, row in rows.items():
            assert on_page[code] == {f: shown(row[f], page.lang) for f in RATE_FIELDS}, (unit.code, status, code)
        assert page.rates["total"] == {f: shown(answer["total"][f], page.lang) for f in RATE_FIELDS}
    # The numbers are not all zero: the comparison compared something.
    assert any(
        r["poor"]
        for r in api(department, "/api/v1/rates/", round="BD-2024", unit=province.code, level="district", status=status)[
            "results"
        ]
    )


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"category": "poor"},
        {"category": "near_poor"},
        {"category": "not_poor"},
        {"status": "moved"},
        {"status": "active", "category": "poor"},
        {"hamlet": "Khu phố 2"},
        {"hamlet": "Khu phố 1", "category": "near_poor"},
        {"q": "PA-0"},
        {"q": "nguyen van hung"},  # folded: tone marks and case do not matter
        {"q": "PA-05", "status": "active"},
        {"assessed": "false"},
    ],
    ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none",
)
def test_the_household_list_is_the_same_on_the_page_and_in_the_api(client, registry, officer_a, commune_a, filters):
    params = {"round": "BD-2024", **filters}
    if "hamlet" in params:
        params["hamlet"] = Hamlet.objects.get(commune=commune_a, name=params["hamlet"]).pk
    page = web(client, officer_a, "/households/", **params)
    answer = api(officer_a, "/api/v1/households/", **params)
    assert 0 < answer["count"] == len(answer["results"]) <= 25  # something found, on one page on both sides
    assert page.households == [h["code"] for h in answer["results"]], params


def test_the_household_list_is_the_same_for_a_province_wide_reader(client, registry, department):
    for params in ({"round": "BD-2024"}, {"round": "BD-2024", "category": "poor"}, {"round": "BD-2024", "q": "PB"}):
        page = web(client, department, "/households/", **params)
        answer = api(department, "/api/v1/households/", **params)
        assert page.households == [h["code"] for h in answer["results"]], params
    assert {"PA-01", "PB-01"} <= set(web(client, department, "/households/", round="BD-2024", category="poor").households)


def test_a_households_history_is_the_same_on_the_page_and_in_the_api(client, registry, officer_a, department, province):
    household = registry["PA-04"]  # created, assessed, moved away
    second = round_create(
        actor=department, code="BD-2025", year=2025, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    household_set_status(actor=officer_a, household=household, status=HouseholdStatus.ACTIVE, reason="Quay về")
    assess(officer_a, household, second, POOR, FOUR)

    page = web(client, officer_a, f"/households/{household.code}/")
    events = api(officer_a, f"/api/v1/households/{household.code}/audit/")["results"]
    for survey_round in ("BD-2024", "BD-2025"):  # the page tells the household's assessments' story with its own
        events += api(officer_a, f"/api/v1/assessments/{survey_round}/{household.code}/audit/")["results"]
    from_api = sorted(
        ((e["action"], datetime.datetime.fromisoformat(e["time"])) for e in events), key=lambda e: e[1], reverse=True
    )
    on_page = [(action, datetime.datetime.fromisoformat(when)) for action, when in page.history]
    assert on_page == from_api
    assert [action for action, _ in on_page].count("household.status_changed") == 2
