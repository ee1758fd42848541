"""The monthly review (issue 13 item 3): a household applies in March, is assessed in the round in force, is
recognised by the commune chairman in April within the deadline, and appears in the list in force and in
`rates?as_of=` for May; an application left undecided past its deadline shows as overdue."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from surveys import monthly
from surveys.models import CriteriaSet, ListStatus
from surveys.rounds import round_create
from tests.factories import approved_list, assert_error, assess, client_for, make_household

THREE = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


def test_working_days_skip_weekends_and_configured_holidays(settings):
    friday = datetime.date(2026, 4, 24)
    assert monthly.add_working_days(friday, 1, holidays=set()) == datetime.date(2026, 4, 27)  # Monday
    settings.POVREG_PUBLIC_HOLIDAYS = "2026-04-30, 2026-05-01"
    assert monthly.add_working_days(datetime.date(2026, 4, 29), 1) == datetime.date(2026, 5, 4)
    assert monthly.add_working_days(datetime.date(2026, 3, 10), 15, holidays=set()) == datetime.date(2026, 3, 31)


@pytest.fixture
def year(province, department, officer_a, commune_a, round_2024):
    """BD-2024 approved for commune A (one poor household), and the 2026 round open for the monthly review."""
    settled = make_household(officer_a, commune_a, code="M-OLD")
    assess(officer_a, settled, round_2024, 1_000_000, THREE)
    base = approved_list(round_2024, commune_a)
    base.approved_at = timezone.make_aware(datetime.datetime(2025, 1, 10, 9, 0))
    base.save(update_fields=["approved_at"])
    round_2024.is_open = False
    round_2024.save(update_fields=["is_open"])
    open_round = round_create(
        actor=department, code="BD-2026", year=2026, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    return {"base": base, "round": open_round, "settled": settled}


def test_an_application_in_march_recognised_in_april_is_in_force_in_may(
    year, officer_a, chairman_a, commune_a, api_reader, department
):
    newcomer = make_household(officer_a, commune_a, code="M-NEW")
    client = client_for(officer_a)
    filed = client.post(
        "/api/v1/applications/", {"household": "M-NEW", "kind": "enter", "received_on": "2026-03-10"}, format="json"
    )
    assert filed.status_code == 201, filed.json()
    body = filed.json()
    assert (body["round"], body["due_on"], body["status"]) == ("BD-2026", "2026-03-31", "received")  # 15 working days

    # Deciding before the officer assessed the household is refused; then assessed poor, recognised on 2 April.
    decide = f"/api/v1/applications/{body['id']}/decide/"
    assert_error(
        client_for(chairman_a).post(
            decide, {"recognise": True, "number": "31/QĐ-UBND", "decided_on": "2026-04-02"}, format="json"
        ),
        400,
        field="assessment",
    )
    assess(officer_a, newcomer, year["round"], 1_100_000, THREE)
    decided = client_for(chairman_a).post(
        decide, {"recognise": True, "number": "31/QĐ-UBND", "decided_on": "2026-04-02"}, format="json"
    )
    assert decided.status_code == 200, decided.json()
    assert (decided.json()["status"], decided.json()["category"]) == ("recognised", "poor")

    def in_force(on):
        return {
            row["household"]: row for row in client.get("/api/v1/lists-in-force/", {"unit": commune_a.code, "date": on}).json()
        }

    assert set(in_force("2026-03-15")) == {"M-OLD"}  # applied, not yet decided
    may = in_force("2026-05-01")
    assert set(may) == {"M-OLD", "M-NEW"} and may["M-NEW"]["source"] == "decision 31/QĐ-UBND"
    assert may["M-OLD"]["source"].startswith("list BD-2024")

    def rates(on):
        return (
            client_for(api_reader)
            .get("/api/v1/rates/", {"round": "BD-2024", "unit": commune_a.code, "level": "commune", "as_of": on})
            .json()["results"][0]["poor"]
        )

    assert (rates("2026-03-15"), rates("2026-05-01")) == (1, 2)
    assert_error(
        client_for(department).get(
            "/api/v1/rates/",
            {"round": "BD-2024", "unit": commune_a.code, "level": "commune", "as_of": "2026-05-01", "status": "all"},
        ),
        400,
        field="as_of",
    )
    # Personal data: the API reader gets no list in force.
    assert (
        client_for(api_reader).get("/api/v1/lists-in-force/", {"unit": commune_a.code, "date": "2026-05-01"}).status_code == 403
    )


def test_leaving_the_list_and_overdue_applications(year, officer_a, chairman_a, commune_a):
    settled = year["settled"]
    application = monthly.application_file(
        actor=officer_a, household=settled, kind="leave", received_on=datetime.date(2026, 6, 1)
    )
    with pytest.raises(ValidationError):  # one waiting application per household
        monthly.application_file(actor=officer_a, household=settled, kind="leave", received_on=datetime.date(2026, 6, 2))
    assert application in monthly.overdue_applications(officer_a)  # due 22 June 2026, and today is later
    assess(officer_a, settled, year["round"], 4_000_000, [])
    monthly.application_decide(
        actor=chairman_a, application=application, recognise=True, number="40/QĐ-UBND", decided_on=datetime.date(2026, 6, 20)
    )
    standing = monthly.list_in_force(unit=commune_a, on=datetime.date(2026, 7, 1))
    assert settled.pk not in standing and settled.pk in monthly.list_in_force(unit=commune_a, on=datetime.date(2026, 6, 19))
    assert not monthly.overdue_applications(officer_a).exists()
    assert year["base"].status == ListStatus.APPROVED


def test_the_applications_page_files_and_decides_and_the_dashboard_shows_overdue(client, year, officer_a, chairman_a, commune_a):
    household = make_household(officer_a, commune_a, code="M-WEB")
    client.force_login(officer_a)
    assert client.get("/lists/applications/").status_code == 200
    response = client.post("/lists/applications/new/", {"household": "M-WEB", "kind": "enter", "received_on": "10/03/2026"})
    assert response.status_code == 302
    application = household.applications.get()
    assert application.due_on == datetime.date(2026, 3, 31)
    page = client.get("/lists/applications/").content.decode()
    assert f'data-application="{application.pk}" class="late"' in page and "data-overdue" in page
    assert 'data-overdue-applications="1"' in client.get("/").content.decode()  # the officer's dashboard

    assess(officer_a, household, year["round"], 1_000_000, THREE)
    client.force_login(chairman_a)
    decided = client.post(
        f"/lists/applications/{application.pk}/decide/", {"recognise": "yes", "number": "7/QĐ-UBND", "decided_on": "20/03/2026"}
    )
    assert decided.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.category) == ("recognised", "poor")
