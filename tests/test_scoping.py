"""Scope over every officer-facing URL: anonymous → login; out of scope → 404; no personal data without a role.

Every URL name of households/urls.py and surveys/urls.py must appear in PAGES below, so a new page cannot
escape this test.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from households import urls as household_urls
from households.models import Household
from surveys import urls as survey_urls
from surveys.models import Assessment
from tests.factories import assess, make_household

pytestmark = pytest.mark.django_db

CODE = "A-PRIVATE"
HEAD = "Nguyễn Văn Hùng"
POOR = ["HEALTH_INSURANCE", "WATER", "LATRINE"]

# name -> (method, args, whether the page is about commune A's household, whether it changes data)
PAGES = {
    "dashboard": ("get", [], False, False),
    "household-list": ("get", [], False, False),
    "household-create": ("get", [], False, True),
    "household-detail": ("get", [CODE], True, False),
    "household-edit": ("get", [CODE], True, True),
    "household-status": ("post", [CODE], True, True),
    "hamlet-options": ("get", [], True, False),
    "assessment-entry": ("get", [CODE], True, True),
    "assessment-preview": ("post", [CODE], True, False),
    "units-rehome": ("get", [], False, True),  # department staff only (tests/test_registry_time.py)
    "data-quality": ("get", [], False, False),  # in scope only (tests/test_data_quality.py)
}


def test_every_officer_url_is_in_the_table():
    names = {p.name for p in household_urls.urlpatterns + survey_urls.urlpatterns}
    assert names == set(PAGES)


@pytest.fixture
def private_household(officer_a, commune_a, round_2024) -> Household:
    household = make_household(officer_a, commune_a, code=CODE)
    assess(officer_a, household, round_2024, 1_000_000, POOR)
    return household


def request(client, name, commune_a, **overrides):
    method, args, _about_a, _writes = PAGES[name]
    url = reverse(name, args=args)
    params = {}
    if name == "hamlet-options":
        params = {"commune": commune_a.pk}
    if name == "household-status":
        params = {"status": "active", "reason": "scope check"}  # harmless for the pages tried after it
    if name == "assessment-preview":
        params = {"round": "BD-2024", "income_per_capita": "1000000", "deprived": POOR}
    params.update(overrides)
    return getattr(client, method)(url, params)


@pytest.mark.parametrize("name", list(PAGES))
def test_anonymous_is_sent_to_login(client, name, private_household, commune_a):
    response = request(client, name, commune_a)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", [n for n, spec in PAGES.items() if spec[2]])
def test_officer_of_another_commune_gets_404(client, name, private_household, officer_b, commune_a):
    client.force_login(officer_b)
    response = request(client, name, commune_a)
    assert response.status_code == 404
    assert HEAD not in response.content.decode()


@pytest.mark.parametrize("name", ["household-edit", "assessment-entry"])
def test_writes_out_of_scope_change_nothing(client, name, private_household, officer_b, commune_a):
    client.force_login(officer_b)
    url = reverse(name, args=PAGES[name][1])
    response = client.post(
        url, {"round": "BD-2024", "income_per_capita": "9999999", "head_name": "Hacked", "commune": commune_a.pk}
    )
    assert response.status_code == 404
    private_household.refresh_from_db()
    assert private_household.head_name == HEAD
    assert Assessment.objects.get(household=private_household).income_per_capita == 1_000_000


@pytest.mark.parametrize("persona", ["api_reader", "outsider"])
@pytest.mark.parametrize("name", list(PAGES))
def test_users_without_a_personal_data_role_see_nothing(client, request_fixture, persona, name, private_household, commune_a):
    client.force_login(request_fixture(persona))
    response = request(client, name, commune_a)
    if name == "dashboard":
        assert response.status_code == 200
    else:
        assert response.status_code in (403, 404)
    html = response.content.decode()
    assert HEAD not in html and CODE not in html and "1.000.000" not in html


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue


@pytest.mark.parametrize(
    ("persona", "readable", "editable"),
    [
        ("officer_a", True, True),
        ("chairman_a", True, False),
        ("district_officer", True, False),
        ("department", True, True),
        ("officer_b", False, False),
    ],
)
def test_roles_read_and_edit_as_assigned(client, request_fixture, persona, readable, editable, private_household, commune_a):
    client.force_login(request_fixture(persona))
    for name, (_method, _args, about_a, writes) in PAGES.items():
        if not about_a:
            continue
        status = request(client, name, commune_a).status_code
        if not readable:
            expected = 404
        elif writes and not editable:
            expected = 403
        else:
            expected = 302 if PAGES[name][0] == "post" and writes else 200  # a done write redirects
        assert status == expected, (persona, name, status)
    list_page = client.get(reverse("household-list"))
    assert (CODE in list_page.content.decode()) is readable
