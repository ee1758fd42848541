"""What-if simulation: copying an official set into a draft, reclassifying a round under it, storing nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEvent
from surveys.models import Assessment, CriteriaSet, Rule
from surveys.reports.simulation import criteria_set_copy_as_draft, simulate
from surveys.rounds import round_create
from tests.factories import assess, default_members, make_household


@pytest.fixture
def setup(province, commune_a, commune_b, officer_a, officer_b, department):
    official = CriteriaSet.objects.get(code="VN-2022")
    r = round_create(actor=department, code="BD-2024", year=2024, criteria_set=official, province=province)
    assess(officer_a, make_household(officer_a, commune_a, code="A-1"), r, 1_900_000, ["WATER", "LATRINE", "TELECOM"])  # poor
    assess(officer_a, make_household(officer_a, commune_a, code="A-2"), r, 2_300_000, ["WATER", "LATRINE", "TELECOM"])  # average
    assess(officer_a, make_household(officer_a, commune_a, code="A-3", members=default_members(2, able=False)), r, 2_400_000, [])
    assess(
        officer_b, make_household(officer_b, commune_b, code="B-1"), r, 1_600_000, ["WATER", "LATRINE", "TELECOM"]
    )  # rural: average
    return {"round": r, "official": official}


def test_copy_as_draft_is_for_department_staff_and_audited(setup, department, officer_a):
    with pytest.raises(PermissionDenied):
        criteria_set_copy_as_draft(actor=officer_a, source=setup["official"], code="DRAFT-1")
    draft = criteria_set_copy_as_draft(actor=department, source=setup["official"], code="HCM-2024-DRAFT")
    assert not draft.is_official and draft.based_on == setup["official"]
    assert draft.indicators.count() == setup["official"].indicators.count() == 12
    assert list(draft.rules.values_list("area_type", "position", "category", "income_upto")) == list(
        setup["official"].rules.values_list("area_type", "position", "category", "income_upto")
    )
    assert AuditEvent.objects.filter(action="criteria_set.draft_copied", target_id=str(draft.pk)).count() == 1
    with pytest.raises(ValidationError):
        criteria_set_copy_as_draft(actor=department, source=setup["official"], code="HCM-2024-DRAFT")


def test_simulation_with_provincial_lines_stores_nothing(setup, department, province, officer_a):
    draft = criteria_set_copy_as_draft(actor=department, source=setup["official"], code="DRAFT-HCM")
    # A provincial line of 2,500,000 (urban) / 1,800,000 (rural) in place of the national one.
    Rule.objects.filter(criteria_set=draft, area_type="urban", income_upto=2_000_000).update(income_upto=2_500_000)
    Rule.objects.filter(criteria_set=draft, area_type="rural", income_upto=1_500_000).update(income_upto=1_800_000)
    before = list(Assessment.objects.order_by("id").values_list("id", "category", "group", "version", "updated_at"))
    events = AuditEvent.objects.count()

    result = simulate(actor=department, round=setup["round"], draft=draft, unit=province, level="district")
    assert (result.official_total.poor, result.official_total.near_poor) == (1, 0)
    assert (result.draft_total.poor, result.draft_total.near_poor) == (3, 1)
    assert result.draft_total.total_households == result.official_total.total_households
    assert result.draft_total.social_protection == 0 and result.draft_total.poverty_reduction == 3
    assert sorted(c.household_code for c in result.changes) == ["A-2", "A-3", "B-1"]
    change = next(c for c in result.changes if c.household_code == "A-3")
    assert (change.official_category, change.draft_category, change.draft_group) == ("average", "near_poor", "social_protection")
    assert result.transitions == {("average", "poor"): 2, ("average", "near_poor"): 1}
    assert list(Assessment.objects.order_by("id").values_list("id", "category", "group", "version", "updated_at")) == before
    assert AuditEvent.objects.count() == events
    with pytest.raises(PermissionDenied):
        simulate(actor=officer_a, round=setup["round"], draft=draft, unit=province, level="district")


def test_simulation_page(client, setup, department):
    client.force_login(department)
    response = client.post("/reports/simulation/", {"source": "VN-2022", "code": "WEB-DRAFT"})
    assert response.status_code == 302 and "draft=WEB-DRAFT" in response["Location"]
    page = client.get("/reports/simulation/", {"draft": "WEB-DRAFT", "round": "BD-2024"})
    assert page.status_code == 200
    assert page.context["result"].changes_total == 0  # an unchanged copy changes nobody
    assert "/admin/surveys/criteriaset/" in page.content.decode()


def test_simulation_page_reads_in_order_and_shows_the_difference(client, setup, department):
    """Step 1 (make a draft) comes before step 3 (simulate); each changed cell shows draft − official, signed."""
    draft = criteria_set_copy_as_draft(actor=department, source=setup["official"], code="DIFF-DRAFT")
    Rule.objects.filter(criteria_set=draft, area_type="urban", income_upto=2_000_000).update(income_upto=2_500_000)
    client.force_login(department)
    html = client.get("/reports/simulation/", {"draft": "DIFF-DRAFT", "round": "BD-2024"}).content.decode()
    assert html.index('name="source"') < html.index('name="draft"')  # make a draft, then simulate
    total_row = html[html.index('data-unit="total"') :]
    assert "data-difference" in total_row and "(+" in total_row
