"""Two reviewers acting on the same commune list at once: the row lock lets exactly one transition through.

Only meaningful on PostgreSQL (SQLite serialises whole-database writes), and skipped at collection time
elsewhere so that no transactional test (whose closing flush also empties the data migrations' rows) runs
for nothing. On PostgreSQL, the shipped criteria sets are put back once the module is done."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections

from core.models import AuditEvent
from households.models import Role
from surveys import approval
from surveys.models import CommuneList, ListStatus
from tests.factories import fill_commune, make_user, record_procedure

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL row locks (SELECT … FOR UPDATE); SQLite serialises whole-database writes",
)


def race(calls) -> list[str]:
    """Run the calls in two threads released at the same moment; each reports "ok", "refused" or its error."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 - reported in the caller's assertion
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


@pytest.fixture
def submitted(request, officer_a, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    return approval.commune_list_submit(actor=officer_a, commune_list=commune_list)


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_make_exactly_one_transition(submitted, district_officer, commune_a):
    second = make_user("district_a2", Role.DISTRICT_OFFICER, commune_a.parent)
    outcomes = race(
        [
            lambda: approval.commune_list_review(actor=district_officer, commune_list=submitted),
            lambda: approval.commune_list_review(actor=second, commune_list=submitted),
        ]
    )
    assert outcomes == ["ok", "refused"]
    submitted.refresh_from_db()
    assert submitted.status == ListStatus.DISTRICT_REVIEWED
    assert submitted.version == 4  # created 1, recognised 2, submitted 3, one transition 4
    assert AuditEvent.objects.filter(action="commune_list.district_reviewed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_department_staff_opening_a_revision_at_once_make_one(submitted, district_officer, department, province):
    approval.commune_list_review(actor=district_officer, commune_list=submitted)
    approved = approval.commune_list_approve(actor=department, commune_list=submitted)
    second = make_user("department2", Role.DEPARTMENT_STAFF, province)
    outcomes = race(
        [
            lambda: approval.commune_list_open_revision(actor=department, commune_list=approved, reason="a"),
            lambda: approval.commune_list_open_revision(actor=second, commune_list=approved, reason="b"),
        ]
    )
    assert outcomes == ["ok", "refused"]
    assert list(
        CommuneList.objects.filter(commune=approved.commune).order_by("revision").values_list("revision", "is_current")
    ) == [(1, False), (2, True)]
    assert AuditEvent.objects.filter(action="commune_list.revision_opened").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_creates_of_one_assessment_at_once_give_one_save_and_one_conflict(officer_a, commune_a, round_2024):
    from core.exceptions import ConflictError
    from surveys.models import Assessment
    from surveys.services import assessment_save
    from tests.factories import make_household

    household = make_household(officer_a, commune_a, code="RACE-1")

    def save(income):
        def call():
            try:
                assessment_save(
                    actor=officer_a,
                    household=household,
                    round=round_2024,
                    income_per_capita=income,
                    deprived=["WATER"],
                    expected_version=0,
                )  # both saw no assessment yet
            except ConflictError as exc:
                raise ValidationError(str(exc)) from exc

        return call

    outcomes = race([save(1_000_000), save(5_000_000)])
    assert outcomes == ["ok", "refused"], outcomes  # a 409, never an IntegrityError (500)
    assert Assessment.objects.filter(household=household).count() == 1
    assert AuditEvent.objects.filter(action="assessment.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_assessment_and_the_lists_submission_at_once_never_both_pass(officer_a, commune_a, round_2024):
    """The assessment locks the list row: either it commits first (and is in the submitted list), or the
    submission does and the assessment is refused. Never an assessment committed after the submit."""
    from surveys.models import Assessment
    from surveys.services import assessment_save
    from tests.factories import make_household

    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    late = make_household(officer_a, commune_a, code="RACE-LATE", hamlet_name="Khu phố 1")
    outcomes = race(
        [
            lambda: approval.commune_list_submit(actor=officer_a, commune_list=commune_list),
            lambda: assessment_save(actor=officer_a, household=late, round=round_2024, income_per_capita=5_000_000, deprived=[]),
        ]
    )
    commune_list.refresh_from_db()
    assert commune_list.status == ListStatus.SUBMITTED
    saved = Assessment.objects.filter(household=late, round=round_2024).first()
    if saved is None:
        assert outcomes == ["ok", "refused"]
    else:  # the assessment went first: it committed before the submit read the list
        assert outcomes == ["ok", "ok"] and saved.created_at <= commune_list.submitted_at
