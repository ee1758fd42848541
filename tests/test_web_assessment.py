"""Assessment entry: the form, the live preview (one classification module), saving, keyboard flow, errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from households.models import HouseholdStatus
from households.templatetags.povreg_ui import dmy, vnd
from surveys.forms import VndField
from surveys.models import Assessment, CommuneList, ListStatus
from tests.factories import assess, make_household

pytestmark = pytest.mark.django_db
THREE_DEPRIVED = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


def entry(code):
    return reverse("assessment-entry", args=[code])


def preview(code):
    return reverse("assessment-preview", args=[code])


def test_form_shows_indicators_with_thresholds(client, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-1")
    client.force_login(officer_a)
    response = client.get(entry("A-1"))
    html = response.content.decode()
    assert response.status_code == 200
    indicators = list(round_2024.criteria_set.indicators.all())
    assert len(indicators) == 12
    for indicator in indicators:
        assert f'id="dep-{indicator.code}"' in html
        assert indicator.threshold("vi") in html
    assert 'name="income_per_capita"' in html and "autofocus" in html
    # Save comes first so that Enter in a field saves.
    assert html.index('name="save"') < html.index('name="save_next"')
    client.cookies["django_language"] = "en"
    html = client.get(entry("A-1")).content.decode()
    assert indicators[0].threshold("en") in html


def test_preview_uses_the_classification_module_in_the_users_language(client, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-1")  # urban commune, three members able to work
    client.force_login(officer_a)
    data = {"round": "BD-2024", "income_per_capita": "1.000.000", "deprived": THREE_DEPRIVED}
    response = client.post(preview("A-1"), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-category="poor"' in html and "Hộ nghèo" in html and "thuộc đối tượng giảm nghèo" in html
    assert "1.000.000 ₫" in html  # the explanation names the income
    near = client.post(preview("A-1"), {**data, "deprived": THREE_DEPRIVED[:2]}).content.decode()
    assert 'data-category="near_poor"' in near and "Hộ cận nghèo" in near
    # Total income is divided by the members (3): 6.000.000 / 3 = 2.000.000 = the urban line, still poor.
    total = client.post(
        preview("A-1"), {"round": "BD-2024", "total_income": "6000000", "deprived": THREE_DEPRIVED}
    ).content.decode()
    assert 'data-category="poor"' in total and "2.000.000 ₫" in total
    above = client.post(
        preview("A-1"), {"round": "BD-2024", "total_income": "6000003", "deprived": THREE_DEPRIVED}
    ).content.decode()
    assert 'data-category="average"' in above
    client.cookies["django_language"] = "en"
    english = client.post(preview("A-1"), data).content.decode()
    assert "Poor household" in english and "Criteria VN-2022" in english
    assert not Assessment.objects.exists()  # the preview stores nothing


def test_preview_without_income_or_with_a_bad_one(client, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-1")
    client.force_login(officer_a)
    empty = client.post(preview("A-1"), {"round": "BD-2024"}).content.decode()
    assert 'data-category=""' in empty and "preview-errors" not in empty
    bad = client.post(preview("A-1"), {"round": "BD-2024", "income_per_capita": "abc"}).content.decode()
    assert "preview-errors" in bad


def test_save_through_the_service_and_return_to_the_household(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-1")
    client.force_login(officer_a)
    response = client.post(
        entry("A-1"),
        {"round": "BD-2024", "income_per_capita": "1 000 000 ₫", "deprived": THREE_DEPRIVED, "expected_version": "0"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("household-detail", args=["A-1"])
    assessment = Assessment.objects.get(household=household)
    assert (assessment.category, assessment.income_per_capita, assessment.assessed_by) == ("poor", 1_000_000, officer_a)
    assert AuditEvent.objects.filter(action="assessment.created").count() == 1
    # Editing shows the stored inputs.
    html = client.get(entry("A-1")).content.decode()
    assert 'value="1.000.000"' in html and 'id="dep-WATER" checked' in html
    assert f'name="expected_version" value="{assessment.version}"' in html


def test_save_and_next_goes_to_the_next_unassessed_household(client, officer_a, officer_b, commune_a, commune_b, round_2024):
    first = make_household(officer_a, commune_a, code="A-1")
    done = make_household(officer_a, commune_a, code="A-2")
    make_household(officer_a, commune_a, code="A-3")
    make_household(officer_b, commune_b, code="A-25")  # another commune: never offered
    assess(officer_a, done, round_2024, 5_000_000)
    client.force_login(officer_a)
    data = {"round": "BD-2024", "income_per_capita": "5000000", "save_next": "1", "expected_version": "0"}
    response = client.post(entry(first.code), data)
    assert response.status_code == 302
    assert response["Location"] == entry("A-3") + "?round=BD-2024"
    response = client.post(entry("A-3"), data)
    assert response["Location"] == reverse("dashboard")


def test_validation_messages_beside_the_field_keep_the_input(client, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-1")
    client.force_login(officer_a)
    response = client.post(entry("A-1"), {"round": "BD-2024", "income_per_capita": "-5", "deprived": ["WATER"]})
    assert response.status_code == 400
    assert "income_per_capita" in response.context["form"].errors
    html = response.content.decode()
    assert 'value="-5"' in html and 'id="dep-WATER" checked' in html
    both = client.post(entry("A-1"), {"round": "BD-2024", "income_per_capita": "1", "total_income": "3"})
    assert "total_income" in both.context["form"].errors
    none = client.post(entry("A-1"), {"round": "BD-2024"})
    assert "income_per_capita" in none.context["form"].errors
    client.cookies["django_language"] = "en"
    english = client.post(entry("A-1"), {"round": "BD-2024", "income_per_capita": "1,5"})
    assert "Enter a whole amount of đồng" in english.content.decode()
    assert not Assessment.objects.exists()


def test_service_errors_keep_the_input(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-1")
    client.force_login(officer_a)
    response = client.post(entry("A-1"), {"round": "BD-2024", "income_per_capita": "1000000", "deprived": ["NOT_AN_INDICATOR"]})
    assert response.status_code == 400 and "deprived" in response.context["form"].errors
    # A conflict (someone saved meanwhile): 409, typed input kept, and the next save applies it.
    assess(officer_a, household, round_2024, 5_000_000)
    stale = {"round": "BD-2024", "income_per_capita": "1.200.000", "deprived": THREE_DEPRIVED, "expected_version": "1"}
    assess(officer_a, household, round_2024, 6_000_000)
    response = client.post(entry("A-1"), stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'value="1.200.000"' in html and 'id="dep-LATRINE" checked' in html
    assert response.context["form"].data["expected_version"] == "2"
    assert client.post(entry("A-1"), {**stale, "expected_version": "2"}).status_code == 302
    assert Assessment.objects.get(household=household).income_per_capita == 1_200_000


def test_locked_list_makes_the_form_read_only(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-1")
    assess(officer_a, household, round_2024, 5_000_000)
    CommuneList.objects.create(round=round_2024, commune=commune_a, status=ListStatus.SUBMITTED)
    client.force_login(officer_a)
    page = client.get(entry("A-1"))
    html = page.content.decode()
    assert page.status_code == 200 and "<fieldset disabled" in html and 'id="lock-reason"' in html
    response = client.post(entry("A-1"), {"round": "BD-2024", "income_per_capita": "100"})
    assert response.status_code == 409 and 'value="100"' in response.content.decode()
    assert Assessment.objects.get(household=household).income_per_capita == 5_000_000


def test_inactive_household_is_read_only(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-1")
    household.status = HouseholdStatus.DISSOLVED
    household.save()
    client.force_login(officer_a)
    assert "<fieldset disabled" in client.get(entry("A-1")).content.decode()


def test_no_open_round(client, officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-1")
    round_2024.is_open = False
    round_2024.save()
    client.force_login(officer_a)
    response = client.get(entry("A-1"))
    assert response.status_code == 200 and response.context["survey_round"] is None
    assert client.get(entry("A-1"), {"round": "BD-2024"}).status_code == 302  # to the household page
    assert client.get(entry("A-1"), {"round": "NOPE"}).status_code == 404


def test_vnd_and_dates_format():
    import datetime

    assert vnd(1_500_000) == "1.500.000 ₫" and vnd(0) == "0 ₫" and vnd(None) == "—"
    assert dmy(datetime.date(2024, 9, 1)) == "01/09/2024"
    aware = datetime.datetime(2024, 12, 31, 20, 0, tzinfo=datetime.UTC)  # 03:00 on 1 January in Vietnam
    assert dmy(aware) == "01/01/2025"
    field = VndField()
    assert [field.clean(v) for v in ("1500000", "1.500.000", "1 500 000", "1,500,000 ₫", "2.000.000đ", "")] == [
        1_500_000,
        1_500_000,
        1_500_000,
        1_500_000,
        2_000_000,
        None,
    ]


def test_two_saves_of_one_new_assessment_give_one_save_and_one_conflict(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-1")
    client.force_login(officer_a)
    opened = client.get(entry("A-1")).content.decode()
    assert 'name="expected_version" value="0"' in opened  # both officers open the empty form
    first = {"round": "BD-2024", "income_per_capita": "1.000.000", "deprived": THREE_DEPRIVED, "expected_version": "0"}
    second = {"round": "BD-2024", "income_per_capita": "5.000.000", "deprived": [], "expected_version": "0"}
    assert client.post(entry("A-1"), first).status_code == 302
    conflict = client.post(entry("A-1"), second)
    html = conflict.content.decode()
    assert conflict.status_code == 409 and 'value="5.000.000"' in html and "1.000.000" in html  # both values shown
    assert Assessment.objects.get(household=household).income_per_capita == 1_000_000
    assert conflict.context["form"].data["expected_version"] == "1"


def test_a_form_without_its_version_does_not_save(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-1")
    assess(officer_a, household, round_2024, 5_000_000)
    client.force_login(officer_a)
    response = client.post(entry("A-1"), {"round": "BD-2024", "income_per_capita": "1.000.000", "deprived": THREE_DEPRIVED})
    assert response.status_code == 409 and "5.000.000" in response.content.decode()
    assert Assessment.objects.get(household=household).income_per_capita == 5_000_000
