import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.exceptions import ConflictError
from core.models import AuditEvent
from households.models import Hamlet, Household, HouseholdStatus, Member
from households.services import MemberData, hamlet_get_or_create, household_set_status, household_update
from tests.factories import default_members, make_household

pytestmark = pytest.mark.django_db


def test_create_household_with_members_is_audited(officer_a, commune_a):
    household = make_household(officer_a, commune_a)
    assert household.members.count() == 3
    assert [m.position for m in household.members.all()] == [1, 2, 3]
    events = AuditEvent.objects.for_object(household)
    assert [e.action for e in events] == ["household.created"]
    assert events[0].actor == officer_a and len(events[0].changes["members"][1]) == 3


def test_officer_cannot_create_in_another_commune(officer_b, commune_a):
    with pytest.raises(PermissionDenied):
        make_household(officer_b, commune_a)
    assert not Household.objects.exists()


def test_district_officer_reads_but_cannot_edit(district_officer, officer_a, commune_a):
    household = make_household(officer_a, commune_a)
    assert Household.objects.visible_to(district_officer).filter(pk=household.pk).exists()
    with pytest.raises(PermissionDenied):
        household_update(actor=district_officer, household=household, head_name="X")


def test_scoping_denies_by_default(officer_a, officer_b, department, api_reader, outsider, commune_a):
    household = make_household(officer_a, commune_a)
    assert set(Household.objects.visible_to(officer_a)) == {household}
    assert set(Household.objects.visible_to(department)) == {household}
    for user in (officer_b, api_reader, outsider):
        assert not Household.objects.visible_to(user).exists()
        assert not Member.objects.visible_to(user).exists()


@pytest.mark.parametrize(
    ("member", "field"),
    [
        (MemberData(full_name="A", sex="M", birth_year=1980, citizen_id="12345"), "members[0].citizen_id"),
        (MemberData(full_name="A", sex="M", birth_year=1980, citizen_id="07412345678x"), "members[0].citizen_id"),
        (MemberData(full_name="A", sex="X", birth_year=1980), "members[0].sex"),
        (MemberData(full_name="A", sex="M", birth_year=2999), "members[0].birth_year"),
        (MemberData(full_name="", sex="M", birth_year=1980), "members[0].full_name"),
    ],
)
def test_bad_member_names_the_field_and_saves_nothing(officer_a, commune_a, member, field):
    with pytest.raises(ValidationError) as err:
        make_household(officer_a, commune_a, members=[member])
    assert field in err.value.message_dict
    assert not Household.objects.exists() and not AuditEvent.objects.filter(action="household.created").exists()


def test_citizen_id_unique_across_households(officer_a, commune_a):
    make_household(
        officer_a,
        commune_a,
        members=[MemberData(full_name="A", sex="M", birth_year=1980, relation="head", citizen_id="074080000001")],
    )
    with pytest.raises(ValidationError) as err:
        make_household(
            officer_a,
            commune_a,
            members=[MemberData(full_name="B", sex="F", birth_year=1981, relation="head", citizen_id="074080000001")],
        )
    assert "members[0].citizen_id" in err.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():  # the database enforces it too
        Member.objects.create(
            household=Household.objects.get(), full_name="C", sex="M", birth_year=1990, citizen_id="074080000001"
        )


def test_duplicate_household_code_refused(officer_a, commune_a):
    make_household(officer_a, commune_a, code="HH-1")
    with pytest.raises(ValidationError) as err:
        make_household(officer_a, commune_a, code="HH-1")
    assert "code" in err.value.message_dict


def test_hamlet_must_belong_to_the_commune(officer_a, commune_a, commune_b, department):
    other = hamlet_get_or_create(actor=department, commune=commune_b, name="Ấp 1")
    household = make_household(officer_a, commune_a)
    with pytest.raises(ValidationError) as err:
        household_update(actor=officer_a, household=household, hamlet=other)
    assert "hamlet" in err.value.message_dict


def test_hamlet_created_once_and_audited(officer_a, commune_a):
    first = hamlet_get_or_create(actor=officer_a, commune=commune_a, name="  Khu phố   7 ")
    again = hamlet_get_or_create(actor=officer_a, commune=commune_a, name="Khu phố 7")
    assert first == again and first.name == "Khu phố 7"
    assert AuditEvent.objects.filter(action="hamlet.created").count() == 1
    assert Hamlet.objects.visible_to(officer_a).filter(pk=first.pk).exists()


def test_update_with_stale_version_conflicts_and_changes_nothing(officer_a, commune_a):
    household = make_household(officer_a, commune_a)
    household_update(actor=officer_a, household=household, head_name="Trần Văn Nam", expected_version=1)
    with pytest.raises(ConflictError):
        household_update(actor=officer_a, household=household, head_name="Lê Văn Tám", expected_version=1)
    household.refresh_from_db()
    assert household.head_name == "Trần Văn Nam" and household.version == 2
    event = AuditEvent.objects.filter(action="household.updated").get()
    assert event.changes["head_name"] == ["Nguyễn Văn Hùng", "Trần Văn Nam"]  # and "members": the head member is renamed


def test_households_are_never_deleted_only_change_status(officer_a, commune_a):
    a = make_household(officer_a, commune_a)
    b = make_household(officer_a, commune_a)
    with pytest.raises(ValidationError):
        household_set_status(actor=officer_a, household=a, status=HouseholdStatus.MERGED, reason="merged")
    with pytest.raises(ValidationError):
        household_set_status(actor=officer_a, household=a, status=HouseholdStatus.MOVED, reason=" ")
    household_set_status(actor=officer_a, household=a, status=HouseholdStatus.MERGED, reason="joined parents", merged_into=b)
    a.refresh_from_db()
    assert a.status == HouseholdStatus.MERGED and a.merged_into == b
    assert Household.objects.count() == 2 and Household.objects.active().count() == 1
    assert default_members()


def test_one_hamlet_identity_rule_case_and_spaces(officer_a, commune_a):
    from django.db import IntegrityError, transaction

    from households.models import Hamlet
    from households.services import hamlet_get_or_create

    first = hamlet_get_or_create(commune=commune_a, name="Khu phố  1", actor=officer_a)
    assert first.name == "Khu phố 1"
    for spelling in ("khu phố 1", " KHU PHỐ 1 ", "Khu  Phố 1"):
        assert hamlet_get_or_create(commune=commune_a, name=spelling, actor=officer_a) == first
    assert Hamlet.objects.filter(commune=commune_a).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds the rule too
        Hamlet.objects.bulk_create([Hamlet.build(commune_id=commune_a.pk, name="KHU PHỐ 1")])
