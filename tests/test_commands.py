import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from households.models import Assignment, Household, Role
from surveys.models import Assessment, SurveyRound
from surveys.selectors import rate, rates_for

pytestmark = pytest.mark.django_db


def test_create_round(province):
    out = io.StringIO()
    call_command("create_round", "BD-2024", "--year", "2024", "--criteria", "VN-2022", "--province", "74", stdout=out)
    r = SurveyRound.objects.get(code="BD-2024")
    assert (r.kind, str(r.starts_on), str(r.ends_on), r.criteria_set.code) == ("periodic", "2024-09-01", "2024-12-14", "VN-2022")
    call_command("create_round", "BD-2025R", "--year", "2025", "--criteria", "VN-2022", "--province", "74", "--kind", "rolling", stdout=out)
    rolling = SurveyRound.objects.get(code="BD-2025R")
    assert (rolling.kind, str(rolling.starts_on), rolling.previous_round) == ("rolling", "2025-01-01", r)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["X", "--year", "2024", "--criteria", "NOPE", "--province", "74"], "--criteria"),
        (["X", "--year", "2024", "--criteria", "VN-2022", "--province", "01"], "--province"),
        (["X", "--year", "2025", "--criteria", "VN-2022", "--province", "74"], "successor"),
    ],
)
def test_create_round_bad_input(province, args, message):
    call_command("load_units", "--province", "74", "--structure", "2025", stdout=io.StringIO())
    with pytest.raises(CommandError, match=message):
        call_command("create_round", *args)


def test_load_demo_is_idempotent_and_looks_like_the_province():
    out = io.StringIO()
    call_command("load_demo", "--households-per-commune", "12", stdout=out)
    assert "officer" in out.getvalue() and "povreg-demo-2026" in out.getvalue()
    households = Household.objects.count()
    assert households == 91 * 12
    assert set(Assignment.objects.values_list("role", flat=True)) == set(Role.values)
    call_command("load_demo", "--households-per-commune", "12", stdout=io.StringIO())
    assert Household.objects.count() == households
    from surveys.demo import UNASSESSED_IN_OPEN_ROUND

    assert Assessment.objects.count() == 2 * households - UNASSESSED_IN_OPEN_ROUND  # the officer has work left
    r = SurveyRound.objects.get(code="BD-2023")
    row = rates_for(round=r, unit=r.province, level="province")[0]
    assert row.total_households == households and row.communes_included == 91  # 2023 lists are approved
    assert row.poor == Assessment.objects.filter(round=r, category="poor").count()


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [(3206, 294573, "1.09"), (1989, 294573, "0.68"), (1217, 294573, "0.41"), (2883, 294573, "0.98"), (1, 200, "0.50"), (1, 400, "0.25"), (1, 800, "0.13"), (0, 10, "0.00"), (5, 0, None)],
)
def test_rate_rounds_half_up_from_integers(count, total, expected):
    assert rate(count, total) == expected
