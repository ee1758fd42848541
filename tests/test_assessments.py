import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.exceptions import ConflictError
from core.models import AuditEvent
from households.services import MemberData, household_update
from surveys.models import Assessment, CommuneList, ListStatus
from surveys.services import assessment_save
from tests.factories import assess, make_household

pytestmark = pytest.mark.django_db
THREE = ["HEALTH_INSURANCE", "WATER", "LATRINE"]


def test_assessment_classifies_and_stores_inputs(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)  # urban ward: line 2,000,000 under VN-2022
    a = assess(officer_a, household, round_2024, 2_000_000, THREE)
    assert (a.category, a.group, a.deprived_count) == ("poor", "poverty_reduction", 3)
    assert a.area_type == "urban" and a.criteria_set.code == "VN-2022" and a.member_count == 3
    assert sorted(a.deprived_indicators.values_list("code", flat=True)) == sorted(THREE)
    assert "Hộ nghèo" in a.explanation_vi and "2.000.000 ₫" in a.explanation_vi
    b = assess(officer_a, household, round_2024, 2_000_001, THREE)
    assert b.pk == a.pk and b.category == "average" and b.group == "" and b.version == 2
    assert [e.action for e in AuditEvent.objects.for_object(a).order_by("id")] == ["assessment.created", "assessment.updated"]


def test_rural_commune_uses_rural_line(officer_b, commune_b, round_2024):
    household = make_household(officer_b, commune_b)
    assert assess(officer_b, household, round_2024, 1_500_001, THREE).category == "average"
    assert assess(officer_b, household, round_2024, 1_500_000, THREE).category == "poor"


def test_social_protection_group_from_members(officer_a, commune_a, round_2024):
    household = make_household(
        officer_a,
        commune_a,
        members=[
            MemberData(full_name="Bà Tư", sex="F", birth_year=1935, relation="head", able_to_work=False, social_protection=True)
        ],
    )
    assert assess(officer_a, household, round_2024, 900_000, THREE).group == "social_protection"


def test_saving_same_inputs_twice_writes_nothing(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, THREE)
    again = assess(officer_a, household, round_2024, 1_000_000, list(reversed(THREE)))
    assert again.version == 1 and AuditEvent.objects.filter(action__startswith="assessment.").count() == 1


@pytest.mark.parametrize(
    ("income", "deprived", "field"),
    [
        (-1, [], "income_per_capita"),
        (1.5, [], "income_per_capita"),
        ("100", [], "income_per_capita"),
        (1000, ["NOPE"], "deprived"),
    ],
)
def test_bad_input_names_field_and_saves_nothing(officer_a, commune_a, round_2024, income, deprived, field):
    household = make_household(officer_a, commune_a)
    with pytest.raises(ValidationError) as err:
        assessment_save(actor=officer_a, household=household, round=round_2024, income_per_capita=income, deprived=deprived)
    assert field in err.value.message_dict
    assert not Assessment.objects.exists()


def test_other_commune_officer_cannot_assess(officer_a, officer_b, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    with pytest.raises(PermissionDenied):
        assess(officer_b, household, round_2024, 1_000_000)
    assert not Assessment.objects.exists()


def test_one_assessment_per_household_per_round_in_the_database(officer_a, commune_a, round_2024):
    a = assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_000_000)
    a.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        a.save()


def test_stale_version_conflicts(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000)
    assessment_save(
        actor=officer_a, household=household, round=round_2024, income_per_capita=1_100_000, deprived=[], expected_version=1
    )
    with pytest.raises(ConflictError):
        assessment_save(
            actor=officer_a, household=household, round=round_2024, income_per_capita=1_200_000, deprived=[], expected_version=1
        )
    assert Assessment.objects.get().income_per_capita == 1_100_000


def test_member_change_recomputes_open_round_only(officer_a, commune_a, round_2024, department, province):
    from surveys.models import CriteriaSet
    from surveys.rounds import round_create

    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000, THREE)
    older = round_create(
        actor=department, code="BD-2023", year=2023, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    assess(officer_a, household, older, 1_000_000, THREE)
    older.is_open = False
    older.save()
    alone = [MemberData(full_name="Ông Ba", sex="M", birth_year=1940, relation="head", able_to_work=False)]
    household_update(actor=officer_a, household=household, members=alone)
    assert Assessment.objects.get(round=round_2024).group == "social_protection"
    assert Assessment.objects.get(round=older).group == "poverty_reduction"  # earlier rounds keep their facts
    assert Assessment.objects.get(round=round_2024).member_count == 1


def test_locked_list_refuses_changes(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, 1_000_000)
    CommuneList.objects.create(round=round_2024, commune=commune_a, status=ListStatus.APPROVED)
    with pytest.raises(ValidationError) as err:
        assess(officer_a, household, round_2024, 5_000_000)
    assert "round" in err.value.message_dict
    assert Assessment.objects.get().income_per_capita == 1_000_000


def test_closed_round_refuses_entry(officer_a, commune_a, round_2024):
    round_2024.is_open = False
    round_2024.save()
    with pytest.raises(ValidationError):
        assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_000_000)


def test_round_reclassify_after_rule_correction(officer_a, commune_a, round_2024, department):
    from surveys.rounds import round_reclassify

    household = make_household(officer_a, commune_a)
    a = assess(officer_a, household, round_2024, 2_100_000, THREE)
    assert a.category == "average"
    round_2024.criteria_set.rules.filter(area_type="urban", category__in=["poor", "near_poor"]).update(income_upto=2_200_000)
    with pytest.raises(PermissionDenied):
        round_reclassify(actor=officer_a, round=round_2024)
    assert round_reclassify(actor=department, round=round_2024) == 1
    a.refresh_from_db()
    assert (a.category, a.group, a.version) == ("poor", "poverty_reduction", 2)
    assert AuditEvent.objects.filter(action="round.reclassified").count() == 1
