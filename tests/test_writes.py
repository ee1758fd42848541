"""Services own every write (issue 10): one hamlet identity rule on every path, backed by the database; one version
check; household status only through its service (the admin included); assessment create and update as services
that answer a concurrent create with a conflict (409) and never commit into a submitted list.

The concurrency tests need PostgreSQL's row locks and run only there (SQLite serialises whole-database writes)."""

from __future__ import annotations

import importlib
import inspect
import threading
import unicodedata

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.urls import reverse

from core.exceptions import ConflictError
from core.models import AuditEvent
from core.versions import check_version
from households import admin as households_admin
from households import services as households_services
from households.hooks import household_changed_hooks
from households.models import Hamlet, Household, HouseholdStatus
from households.services import hamlet_get_or_create, household_set_status, household_update
from surveys.assessment_refresh import household_assessments_refresh
from surveys.models import Assessment, CommuneList, ListStatus
from surveys.services import assessment_create, assessment_save, assessment_update
from tests.factories import (
    FOUR,
    assert_error,
    assess,
    client_for,
    default_members,
    fill_commune,
    form_token,
    make_household,
    member,
    member_post,
    record_procedure,
    write,
)
from tests.factories import household as import_household

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
needs_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL row locks (SELECT … FOR UPDATE)")

COMPOSED = "Khu phố 1"
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)  # "ố" as o + circumflex + acute: some keyboards type this
MEMBERS = [{"full_name": "Lê Văn Nam", "sex": "M", "birth_year": 1975, "relation": "head", "able_to_work": True}]


# --- one hamlet identity rule ------------------------------------------------------------------------------------


def test_the_hamlet_key_ignores_case_spacing_and_unicode_form_but_not_diacritics():
    assert DECOMPOSED != COMPOSED
    keys = {Hamlet.key(name) for name in (COMPOSED, "khu phố 1", " KHU  PHỐ\t1 ", DECOMPOSED, DECOMPOSED.upper())}
    assert keys == {"khu phố 1"}
    assert Hamlet.clean_name(f"  {DECOMPOSED}  ") == COMPOSED  # stored composed, spaces collapsed
    # Diacritics are letters: these are other hamlets.
    assert len({Hamlet.key(n) for n in ("Khu phố 1", "Khu phô 1", "Khu pho 1", "Khu phổ 1")}) == 4


def test_the_service_finds_a_hamlet_typed_decomposed_or_spaced(officer_a, commune_a):
    kept = hamlet_get_or_create(commune=commune_a, name=COMPOSED, actor=officer_a)
    for spelling in (DECOMPOSED, f" {DECOMPOSED.lower()} ", "KHU  PHỐ 1"):
        assert hamlet_get_or_create(commune=commune_a, name=spelling, actor=officer_a) == kept
    assert Hamlet.objects.filter(commune=commune_a).count() == 1


def test_api_creates_no_hamlet_beside_one_of_the_same_name(officer_a, commune_a):
    kept = Hamlet.objects.create(commune=commune_a, name=COMPOSED)
    client = client_for(officer_a)
    for index, spelling in enumerate(("khu phố 1", DECOMPOSED, "  khu   PHỐ 1")):
        payload = {
            "code": f"A-HAM{index}",
            "commune": commune_a.code,
            "hamlet": spelling,
            "head_name": "Lê Văn Nam",
            "members": MEMBERS,
        }
        response = client.post("/api/v1/households/", payload, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["hamlet"] == COMPOSED
    assert list(Hamlet.objects.filter(commune=commune_a)) == [kept]
    assert set(Household.objects.filter(code__startswith="A-HAM").values_list("hamlet_id", flat=True)) == {kept.pk}
    # …and a PATCH naming it in another spelling keeps the same hamlet.
    household = Household.objects.get(code="A-HAM0")
    response = client.patch(
        "/api/v1/households/A-HAM0/", {"hamlet": DECOMPOSED.upper(), "version": household.version}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Hamlet.objects.filter(commune=commune_a).count() == 1


def test_the_web_form_creates_no_hamlet_beside_one_of_the_same_name(client, officer_a, commune_a):
    kept = Hamlet.objects.create(commune=commune_a, name=COMPOSED)
    client.force_login(officer_a)
    for index, (spelling, head) in enumerate(((DECOMPOSED, "Trịnh Công Sơn"), (" khu  phố 1 ", "Hồ Xuân Hương"))):
        members = [{**MEMBERS[0], "full_name": head}]
        data = {
            "code": f"A-WEB{index}",
            "commune": commune_a.pk,
            "hamlet": spelling,
            "form_token": form_token(client),
            "address": "",
            **member_post("members", members),
        }
        response = client.post(reverse("household-create"), data)
        assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert list(Hamlet.objects.filter(commune=commune_a)) == [kept]
    assert set(Household.objects.filter(code__startswith="A-WEB").values_list("hamlet_id", flat=True)) == {kept.pk}


def test_a_refused_household_leaves_no_new_hamlet(officer_a, commune_a):
    """The hamlet is found or created inside the household service's transaction, not before it."""
    with pytest.raises(ValidationError):
        households_services.household_create(
            actor=officer_a,
            code="A-BAD",
            commune=commune_a,
            hamlet_name="Ấp Mới",
            members=[],  # no head: refused
        )
    assert not Hamlet.objects.filter(commune=commune_a, name="Ấp Mới").exists()


def test_the_database_refuses_a_second_hamlet_of_the_same_key(commune_a, commune_b):
    Hamlet.objects.create(commune=commune_a, name=COMPOSED)
    for name in ("khu phố 1", DECOMPOSED, " KHU PHỐ  1"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Hamlet.objects.create(commune=commune_a, name=name)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hamlet.objects.bulk_create([Hamlet.build(commune_id=commune_a.pk, name=DECOMPOSED)])
    Hamlet.objects.create(commune=commune_b, name=COMPOSED)  # another commune: another hamlet
    Hamlet.objects.create(commune=commune_a, name="Khu phô 1")  # another name (diacritics differ)
    # Hamlet.objects.get_or_create(commune=…, name=…) (tests, bench) still works: save() fills the key.
    hamlet, created = Hamlet.objects.get_or_create(commune=commune_a, name="Khu phố 7")
    assert created and hamlet.name_key == "khu phố 7"


def test_the_migration_merges_duplicates_into_the_oldest_and_repoints_every_reference(officer_a, commune_a, round_2024):
    migration = importlib.import_module("households.migrations.0007_hamlet_identity")
    kept = Hamlet.objects.create(commune=commune_a, name=COMPOSED)
    # Rows an older rule let in: a decomposed spelling (its key then was not the composed one's), and a stale key.
    [twin] = Hamlet.objects.bulk_create([Hamlet(commune=commune_a, name=DECOMPOSED, name_key=DECOMPOSED.casefold())])
    [stale] = Hamlet.objects.bulk_create([Hamlet(commune=commune_a, name="khu  phố 2 ", name_key="old key")])
    household = make_household(officer_a, commune_a, code="A-MERGE", hamlet_name=DECOMPOSED)
    assert household.hamlet_id == twin.pk  # an exact-name lookup found the twin
    assessment = assess(officer_a, household, round_2024, 5_000_000)
    assert assessment.hamlet_id == twin.pk
    references = {(model._meta.label, field) for model, field in migration.hamlet_references(django_apps)}
    assert {
        ("households.Household", "hamlet"),
        ("surveys.Assessment", "hamlet"),
        ("surveys.ListEntry", "hamlet"),
        ("surveys.HamletMeeting", "hamlet"),
        ("households.Rehoming", "from_hamlet"),
    } <= references

    assert migration.merge_duplicate_hamlets(django_apps) == {twin.pk: kept.pk}

    assert not Hamlet.objects.filter(pk=twin.pk).exists()
    household.refresh_from_db()
    assessment.refresh_from_db()
    assert household.hamlet_id == kept.pk and assessment.hamlet_id == kept.pk
    stale.refresh_from_db()
    assert (stale.name, stale.name_key) == ("khu phố 2", "khu phố 2")
    assert migration.merge_duplicate_hamlets(django_apps) == {}  # run again: nothing to do


# --- one version check -----------------------------------------------------------------------------------------


def test_check_version_is_one_rule():
    class Row:
        version = 3

    check_version(Row(), 3)
    check_version(Row(), None)  # no expected version: no check
    check_version(None, 0)  # nothing there yet, and the caller saw nothing
    for obj, expected in ((Row(), 2), (None, 1)):
        with pytest.raises(ConflictError):
            check_version(obj, expected)


def test_household_status_with_a_stale_version_is_a_conflict_and_writes_nothing(officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-STALE")
    household_update(actor=officer_a, household=household, expected_version=1, address="5 Hẻm 2")
    events = AuditEvent.objects.count()
    with pytest.raises(ConflictError):
        household_set_status(
            actor=officer_a, household=household, status=HouseholdStatus.MOVED, reason="Chuyển đi", expected_version=1
        )
    household.refresh_from_db()
    assert (household.status, household.version) == (HouseholdStatus.ACTIVE, 2)
    assert AuditEvent.objects.count() == events
    # Through the API: 409, nothing written.
    response = client_for(officer_a).post(
        "/api/v1/households/A-STALE/status/", {"status": "moved", "reason": "Chuyển đi", "version": 1}, format="json"
    )
    assert_error(response, 409, field="version", code="conflict")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE and AuditEvent.objects.count() == events
    household_set_status(
        actor=officer_a, household=household, status=HouseholdStatus.MOVED, reason="Chuyển đi", expected_version=2
    )
    household.refresh_from_db()
    assert (household.status, household.version) == (HouseholdStatus.MOVED, 3)


# --- the admin writes through the services ----------------------------------------------------------------------


def _admin_form_data(response, **overrides) -> dict:
    """The POST data the admin change page would send unchanged, with `overrides` applied (as tests/test_audit.py's)."""
    data: dict = {}

    def put(bound):
        value = bound.value()
        if value is None or value is False:
            return
        data[bound.html_name] = "on" if value is True else value if isinstance(value, (list, tuple)) else str(value)

    form = response.context["adminform"].form
    for name in form.fields:
        put(form[name])
    for inline in response.context["inline_admin_formsets"]:
        for name in inline.formset.management_form.fields:
            put(inline.formset.management_form[name])
        for sub in inline.formset.forms:
            for name in sub.fields:
                put(sub[name])
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def root(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root_writes", "root@example.org", "pw-root")


def test_the_admin_changes_a_status_only_with_a_reason_through_the_service(client, root, officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-ADMIN")
    other = make_household(officer_a, commune_a, code="A-ADMIN2")
    client.force_login(root)
    change = reverse("admin:households_household_change", args=[household.pk])
    events = AuditEvent.objects.count()
    # No reason: refused beside the field, nothing written.
    response = client.post(change, _admin_form_data(client.get(change), status=HouseholdStatus.MOVED))
    assert response.status_code == 200
    assert "status_reason" in response.context["adminform"].form.errors
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE and AuditEvent.objects.count() == events
    # A merge without naming the household: the service's own check, beside the field.
    response = client.post(change, _admin_form_data(client.get(change), status=HouseholdStatus.MERGED, status_reason="Nhập hộ"))
    assert response.status_code == 200 and "merged_into" in response.context["adminform"].form.errors
    # With a reason and the household merged into: the service's event, with the reason.
    response = client.post(
        change,
        _admin_form_data(
            client.get(change), status=HouseholdStatus.MERGED, merged_into=str(other.pk), status_reason="Nhập vào hộ A-ADMIN2"
        ),
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    household.refresh_from_db()
    assert (household.status, household.merged_into_id, household.version) == (HouseholdStatus.MERGED, other.pk, 2)
    event = AuditEvent.objects.get(action="household.status_changed", target_id=str(household.pk))
    assert event.reason == "Nhập vào hộ A-ADMIN2" and event.changes["status"] == ["active", "merged"]
    assert AuditEvent.objects.count() == events + 1  # no second, reasonless "household.updated" event


def test_the_admin_cannot_change_a_code_nor_add_a_household(client, root, officer_a, commune_a):
    household = make_household(officer_a, commune_a, code="A-CODE")
    client.force_login(root)
    change = reverse("admin:households_household_change", args=[household.pk])
    page = client.get(change)
    assert "code" not in page.context["adminform"].form.fields  # shown read-only
    client.post(change, {**_admin_form_data(page), "code": "A-RENAMED"})
    household.refresh_from_db()
    assert household.code == "A-CODE"
    assert client.get(reverse("admin:households_household_add")).status_code == 403


def test_the_admin_refuses_a_hamlet_of_a_name_the_commune_has(client, root, commune_a):
    Hamlet.objects.create(commune=commune_a, name=COMPOSED)
    client.force_login(root)
    response = client.post(reverse("admin:households_hamlet_add"), {"commune": commune_a.pk, "name": DECOMPOSED.lower()})
    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors  # not a 500
    assert Hamlet.objects.filter(commune=commune_a).count() == 1
    response = client.post(reverse("admin:households_hamlet_add"), {"commune": commune_a.pk, "name": "Khu phố 3"})
    assert response.status_code == 302 and Hamlet.objects.filter(commune=commune_a).count() == 2


# --- households tell surveys through a hook ----------------------------------------------------------------------


def test_households_do_not_import_surveys_and_the_hook_is_registered():
    assert household_assessments_refresh in household_changed_hooks
    for module in (households_services, households_admin):
        assert "surveys" not in inspect.getsource(module), module.__name__


def test_a_member_change_recomputes_the_open_assessment_through_the_hook(officer_a, commune_a, round_2024):
    from tests.factories import default_members

    household = make_household(officer_a, commune_a, code="A-HOOK")
    assessment = assess(officer_a, household, round_2024, 1_000_000, FOUR)
    household_update(actor=officer_a, household=household, expected_version=1, members=default_members(2, able=False))
    assessment.refresh_from_db()
    assert (assessment.member_count, assessment.able_to_work_count, assessment.version) == (2, 0, 2)


# --- assessment create and update ----------------------------------------------------------------------------------


def test_assessment_create_and_update_are_separate_services(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="A-CU")
    with pytest.raises(Assessment.DoesNotExist):
        assessment_update(
            actor=officer_a, household=household, round=round_2024, income_per_capita=1, deprived=[], expected_version=1
        )
    created = assessment_create(actor=officer_a, household=household, round=round_2024, income_per_capita=5_000_000, deprived=[])
    with pytest.raises(ConflictError) as refused:
        assessment_create(actor=officer_a, household=household, round=round_2024, income_per_capita=1_000_000, deprived=[])
    assert refused.value.field == "household"
    with pytest.raises(ConflictError):
        assessment_update(
            actor=officer_a,
            household=household,
            round=round_2024,
            income_per_capita=1_000_000,
            deprived=[],
            expected_version=created.version + 1,
        )
    updated = assessment_update(
        actor=officer_a,
        household=household,
        round=round_2024,
        income_per_capita=1_000_000,
        deprived=FOUR,
        expected_version=created.version,
    )
    assert (updated.pk, updated.version, updated.category) == (created.pk, 2, "poor")


def test_an_assessment_is_refused_once_the_list_is_submitted(officer_a, commune_a, round_2024):
    from surveys.approval.services import commune_list_get_or_create, commune_list_submit

    fill_commune(officer_a, commune_a, round_2024, hamlets=(COMPOSED,))
    commune_list = commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    commune_list_submit(actor=officer_a, commune_list=commune_list)
    late = make_household(officer_a, commune_a, code="A-LATE", hamlet_name=COMPOSED)
    response = client_for(officer_a).post(
        "/api/v1/assessments/",
        {"round": round_2024.code, "household": "A-LATE", "income_per_capita": 5_000_000, "deprived": []},
        format="json",
    )
    assert_error(response, 400, field="round")
    assert not Assessment.objects.filter(household=late).exists()


# --- races (PostgreSQL) -----------------------------------------------------------------------------------------


def race(calls) -> list:
    """Run the calls in threads released at the same moment; each reports what it returned or raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 - reported in the caller's assertion
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_api_creates_of_one_assessment_at_once_give_201_and_409(officer_a, commune_a, round_2024):
    make_household(officer_a, commune_a, code="A-RACE")

    def create(income):
        def call():
            response = client_for(officer_a).post(
                "/api/v1/assessments/",
                {"round": round_2024.code, "household": "A-RACE", "income_per_capita": income, "deprived": ["WATER"]},
                format="json",
            )
            return response.status_code

        return call

    outcomes = race([create(1_000_000), create(5_000_000)])
    assert sorted(outcomes) == [201, 409], outcomes  # never an IntegrityError (500)
    assert Assessment.objects.filter(household__code="A-RACE").count() == 1
    assert AuditEvent.objects.filter(action="assessment.created", target_type="surveys.assessment").count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_assessment_and_the_lists_submission_at_once_never_commit_into_a_submitted_list(officer_a, commune_a, round_2024):
    from surveys.approval.services import commune_list_get_or_create, commune_list_submit

    fill_commune(officer_a, commune_a, round_2024, hamlets=(COMPOSED,))
    commune_list = commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    late = make_household(officer_a, commune_a, code="A-RACE-LATE", hamlet_name=COMPOSED)
    outcomes = race(
        [
            lambda: commune_list_submit(actor=officer_a, commune_list=commune_list) and "submitted",
            lambda: (
                assessment_create(actor=officer_a, household=late, round=round_2024, income_per_capita=5_000_000, deprived=[])
                and "assessed"
            ),
        ]
    )
    commune_list.refresh_from_db()
    assert commune_list.status == ListStatus.SUBMITTED
    saved = Assessment.objects.filter(household=late, round=round_2024).first()
    if saved is None:  # the submission went first: the assessment was refused, cleanly
        assert sorted(outcomes) == ["refused", "submitted"], outcomes
    else:  # the assessment went first: it committed before the submission read the list
        assert sorted(outcomes) == ["assessed", "submitted"], outcomes
        assert saved.created_at <= commune_list.submitted_at
    assert CommuneList.objects.filter(round=round_2024, commune=commune_a).count() == 1


def test_assessment_save_still_creates_or_updates(officer_a, commune_a, round_2024):
    """The dispatcher the entry page, member changes and older callers use."""
    household = make_household(officer_a, commune_a, code="A-SAVE")
    first = assessment_save(
        actor=officer_a, household=household, round=round_2024, income_per_capita=5_000_000, deprived=[], expected_version=0
    )
    with pytest.raises(ConflictError):  # the caller saw none, but there is one now
        assessment_save(
            actor=officer_a, household=household, round=round_2024, income_per_capita=1, deprived=[], expected_version=0
        )
    second = assessment_save(
        actor=officer_a, household=household, round=round_2024, income_per_capita=1_000_000, deprived=FOUR, expected_version=1
    )
    assert second.pk == first.pk and second.version == 2


# --- the stored member count (the live persons denominator sums it) -------------------------------------------


def test_member_count_follows_every_write_path(officer_a, commune_a, round_2024, department, tmp_path):
    from households.services import MemberData
    from surveys.imports.importer import survey_import
    from surveys.selectors import persons_denominators_for

    household = make_household(officer_a, commune_a, members=default_members(3))
    assert Household.objects.get(pk=household.pk).member_count == 3
    household_update(
        actor=officer_a,
        household=household,
        expected_version=household.version,
        members=[*default_members(3), MemberData(full_name="Nguyễn Văn An", sex="M", birth_year=2015, relation="child")],
    )
    assert Household.objects.get(pk=household.pk).member_count == 4
    path = write(
        tmp_path,
        households=[import_household("MC-1", commune=commune_a.code)],
        members=[member("MC-1"), member("MC-1", "Lê Thị Hoa", sex="F", relation="spouse")],
    )
    assert survey_import(actor=department, round=round_2024, path=path).ok
    assert Household.objects.get(code="MC-1").member_count == 2
    # No entered total persons: the denominator is the registered members of active households, from the counts.
    assert persons_denominators_for(round=round_2024, commune_ids=[commune_a.pk]) == {commune_a.pk: 4 + 2}
    household_set_status(actor=officer_a, household=household, status=HouseholdStatus.MOVED, reason="Chuyển đi")
    assert persons_denominators_for(round=round_2024, commune_ids=[commune_a.pk]) == {commune_a.pk: 2}


def test_the_migration_counts_the_members_already_registered(officer_a, commune_a):
    from django.db import connection

    household = make_household(officer_a, commune_a, members=default_members(5))
    Household.objects.filter(pk=household.pk).update(member_count=0)
    migration = importlib.import_module("households.migrations.0009_household_member_count")
    sql = next(op for op in migration.Migration.operations if hasattr(op, "sql")).sql
    with connection.cursor() as cursor:
        cursor.execute(sql)
    assert Household.objects.get(pk=household.pk).member_count == 5
