"""Dashboard: the officer's unit in the current open round, what needs action, bounded queries; login and language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from households.models import AdminUnit, Level
from surveys.models import CommuneList, ListStatus
from tests.factories import assess, make_household

pytestmark = pytest.mark.django_db
POOR = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


def stat(response, name):
    return response.context[name]


def test_officer_dashboard_counts_their_commune_in_the_open_round(client, officer_a, officer_b, commune_a, commune_b, round_2024):
    households = [make_household(officer_a, commune_a, code=f"A-{i}") for i in range(4)]
    make_household(officer_b, commune_b, code="B-1")
    assess(officer_a, households[0], round_2024, 1_000_000, POOR)
    assess(officer_a, households[1], round_2024, 1_000_000, POOR[:1])
    client.force_login(officer_a)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["survey_round"] == round_2024
    assert (stat(response, "listed"), stat(response, "assessed"), stat(response, "remaining")) == (4, 2, 2)
    counts = {c["value"]: c["count"] for c in response.context["categories"]}
    assert counts == {"poor": 1, "near_poor": 1, "average": 0, "not_poor": 0}
    html = response.content.decode()
    assert "Hộ nghèo" in html and "Hộ cận nghèo" in html
    assert response.context["next_household"].code == "A-2"
    assert reverse("assessment-entry", args=["A-2"]) in html
    assert response.context["commune_page"] is None  # one commune: no per-commune table


def test_returned_list_needs_the_officers_action(client, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-1")
    CommuneList.objects.create(
        round=round_2024, commune=commune_a, status=ListStatus.RETURNED, returned_reason="Thiếu biên bản họp"
    )
    client.force_login(officer_a)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-list-status="returned"' in html and "Thiếu biên bản họp" in html


def test_district_officer_sees_every_commune_and_submitted_lists(client, officer_a, commune_a, district_officer, round_2024):
    make_household(officer_a, commune_a, code="A-1")
    CommuneList.objects.create(round=round_2024, commune=commune_a, status=ListStatus.SUBMITTED)
    client.force_login(district_officer)
    response = client.get(reverse("dashboard"))
    communes = AdminUnit.objects.filter(parent=commune_a.parent, level=Level.COMMUNE).count()
    assert response.context["commune_page"].paginator.count == communes
    assert response.context["can_edit"] is False and response.context["next_household"] is None
    row = next(c for c in response.context["commune_page"] if c.pk == commune_a.pk)
    assert (row.household_count, row.assessed, row.remaining) == (1, 0, 1)
    assert 'data-list-status="submitted"' in response.content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_dashboard_query_budget(client, officer_a, commune_a, department, round_2024, rows, django_assert_max_num_queries):
    for i in range(rows):
        household = make_household(officer_a, commune_a, code=f"Q-{i:03d}")
        if i % 3 == 0:
            assess(officer_a, household, round_2024, 1_000_000, POOR)
    for user in (officer_a, department):
        client.force_login(user)
        client.get(reverse("household-list"))  # a user already at work: the idle-session refresh is done (every 5 min)
        with django_assert_max_num_queries(16):
            response = client.get(reverse("dashboard"))
        assert response.context["listed"] == rows


def test_users_without_household_access_see_no_personal_data(client, officer_a, commune_a, api_reader, outsider, round_2024):
    make_household(officer_a, commune_a, code="A-SECRET")
    for user in (api_reader, outsider):
        client.force_login(user)
        response = client.get(reverse("dashboard"))
        assert response.status_code == 200
        assert response.context["has_access"] is False
        assert "A-SECRET" not in response.content.decode() and "Nguyễn" not in response.content.decode()


def test_login_logout_and_language_that_sticks(client, officer_a):
    login = client.get(reverse("login"))
    assert login.status_code == 200 and '<html lang="vi">' in login.content.decode()
    response = client.post(reverse("login"), {"username": "officer_a", "password": "pw-officer_a"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("household-list")})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(reverse("dashboard")).content.decode()
    assert '<html lang="en">' in client.get(reverse("household-list")).content.decode()
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))
