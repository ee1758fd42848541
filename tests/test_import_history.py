"""The survey import keeps the domain's rules: it assesses through the same steps as the single write, takes its
field limits from the models, and leaves one audit event per household changed, which the household page's history
and the change feed show (Issue 10, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.validators import MinValueValidator
from django.utils import translation

from core.models import AuditEvent
from households.models import Household, Member
from surveys import assessment_rules, services
from surveys.imports import execute
from surveys.imports.importer import survey_import
from surveys.models import Assessment
from tests.factories import make_household, shipped_data, shipped_data_afterwards  # noqa: F401 (fixtures)
from tests.test_api_support import client_for
from tests.test_import import basic_rows, household, member, write


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def test_the_import_and_the_services_share_one_assessment_step():
    """No copy of the classification step or of the member facts is left in the importer."""
    assert services.member_facts is assessment_rules.member_facts
    assert services.classify_household is assessment_rules.classify_household
    assert execute.classify_household is assessment_rules.classify_household
    assert execute.assessment_result_apply is services.assessment_result_apply is assessment_rules.assessment_result_apply


def test_the_single_write_finds_nothing_to_change_after_an_import(tmp_path, round_2024, officer_a):
    """Parity: an imported assessment is what assessment_save computes from the same inputs, field for field."""
    assert survey_import(actor=officer_a, round=round_2024, path=write(tmp_path)).ok
    for code in ("IMP-1", "IMP-2", "IMP-3"):
        imported = Assessment.objects.get(household__code=code, round=round_2024)
        events = AuditEvent.objects.count()
        saved = services.assessment_save(
            actor=officer_a,
            household=imported.household,
            round=round_2024,
            income_per_capita=imported.income_per_capita,
            deprived=list(imported.deprived_indicators.values_list("code", flat=True)),
        )
        assert saved.version == imported.version and AuditEvent.objects.count() == events, code
        assert saved.members_snapshot == assessment_rules.member_facts(imported.household)


def test_text_limits_are_the_models(tmp_path, round_2024, officer_a):
    head_limit = Household._meta.get_field("head_name").max_length
    address_limit = Household._meta.get_field("address").max_length
    name_limit = Member._meta.get_field("full_name").max_length
    households = [household("LIM-1", address="a" * (address_limit + 1)), household("LIM-2", address="a" * address_limit)]
    members = [member("LIM-1", "B" * (name_limit + 1)), member("LIM-2", "C" * head_limit)]
    result = survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, households=households, members=members))
    found = {(i.sheet, i.column): i.message for i in result.issues}
    assert found == {
        ("households", "address"): f"At most {address_limit} characters.",
        ("members", "full_name"): f"At most {name_limit} characters.",
    }
    assert not Household.objects.filter(code__startswith="LIM-").exists()


def test_the_earliest_birth_year_is_the_models(tmp_path, round_2024, officer_a):
    earliest = max(v.limit_value for v in Member._meta.get_field("birth_year").validators if isinstance(v, MinValueValidator))
    households = [household("BY-1"), household("BY-2")]
    members = [member("BY-1", birth_year=earliest - 1), member("BY-2", birth_year=earliest)]
    result = survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, households=households, members=members))
    assert [(i.row, i.column) for i in result.issues] == [(2, "birth_year")]
    assert f"between {earliest} and" in result.issues[0].message


def test_a_citizen_id_is_checked_by_the_models_validator(tmp_path, round_2024, officer_a):
    households = [household("CID-1")]
    members = [member("CID-1", citizen_id="07419000000X")]
    result = survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, households=households, members=members))
    assert ("citizen_id", "A citizen ID has exactly 12 digits.") in [(i.column, i.message) for i in result.issues]


def test_the_household_page_lists_the_import_of_a_registered_household(client, tmp_path, round_2024, officer_a, commune_a):
    """A household already in the registry, updated by the file: its page's history shows the import with the file."""
    registered = make_household(officer_a, commune_a, code="REG-1")
    households, members = basic_rows()
    households.append(household("REG-1", head_name="Nguyễn Văn Hùng", address="99 Đường mới"))
    members.append(member("REG-1", "Nguyễn Văn Hùng"))
    result = survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, "dot-ca.xlsx", households, members))
    assert result.ok and "REG-1" in result.households_updated
    event = AuditEvent.objects.get(action="household.imported", target_id=str(registered.pk))
    assert event.unit_id == commune_a.pk and event.reason == "dot-ca.xlsx" and event.actor == officer_a
    assert event.changes["members"] == [None, 1] and event.changes["category"][0] is None
    client.force_login(officer_a)
    html = client.get(f"/households/{registered.code}/").content.decode()
    with translation.override("vi"):
        label = translation.gettext("Imported from a survey workbook")
    assert html.count(label) == 1 and "dot-ca.xlsx" in html


def test_one_event_per_household_changed_and_none_for_the_unchanged(tmp_path, round_2024, officer_a):
    assert survey_import(actor=officer_a, round=round_2024, path=write(tmp_path)).ok
    households, members = basic_rows()
    households[1]["address"] = "Địa chỉ mới"  # IMP-2 updated; IMP-1 and IMP-3 as they were
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    assert survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, "two.xlsx", households, members)).ok
    new = AuditEvent.objects.exclude(pk__in=before)
    assert sorted(new.values_list("action", flat=True)) == ["household.imported", "survey.imported"]
    assert new.get(action="household.imported").target_id == str(Household.objects.get(code="IMP-2").pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shipped_data", "shipped_data_afterwards")
def test_the_change_feed_shows_the_imported_households(tmp_path, round_2024, officer_a, officer_b):
    path = Path(write(tmp_path))
    assert survey_import(actor=officer_a, round=round_2024, path=path).ok
    events = AuditEvent.objects.filter(action="household.imported")
    assert events.count() == 3 and all(e.unit_id is not None and e.xact is not None for e in events)
    response = client_for(officer_a).get("/api/v1/changes/", {"limit": 100})
    assert response.status_code == 200, response.content
    items = [i for i in response.json()["results"] if i["target"]["type"] == "household"]
    assert sorted(i["target"]["household"] for i in items) == ["IMP-1", "IMP-2", "IMP-3"]
    assert {i["target"]["round"] for i in items} == {"BD-2024"} and {i["target"]["commune"] for i in items} == {"25747"}
    # Out of scope: the officer of commune B sees none of them.
    other = client_for(officer_b).get("/api/v1/changes/", {"limit": 100}).json()["results"]
    assert not [i for i in other if i["target"]["household"] in {"IMP-1", "IMP-2", "IMP-3"}]
