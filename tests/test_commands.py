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
    call_command(
        "create_round", "BD-2025R", "--year", "2025", "--criteria", "VN-2022", "--province", "74", "--kind", "rolling", stdout=out
    )
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


def test_load_demo_is_idempotent_and_lives_in_2026():
    from households.models import AdminUnit, Rehoming
    from surveys.models import CommuneList, ListEntry, ListStatus
    from surveys.reports.flows import flows_for, flows_total

    out = io.StringIO()
    call_command("load_demo", "--households-per-commune", "12", stdout=out)
    assert "officer" in out.getvalue() and "povreg-demo-2026" in out.getvalue()
    households = Household.objects.count()
    assert households == 91 * 12
    assert set(Assignment.objects.values_list("role", flat=True)) == set(Role.values)
    call_command("load_demo", "--households-per-commune", "12", stdout=io.StringIO())
    assert Household.objects.count() == households
    from surveys.demo import UNASSESSED_IN_OPEN_ROUND

    assert Assessment.objects.count() == 3 * households - UNASSESSED_IN_OPEN_ROUND  # the officer has work left in 2026
    # Binh Duong's rounds stay readable, approved, with frozen entries.
    for code in ("BD-2023", "BD-2024"):
        r = SurveyRound.objects.get(code=code)
        row = rates_for(round=r, unit=r.province, level="province")[0]
        assert row.total_households == households and row.communes_included == 91
        assert row.poor == Assessment.objects.filter(round=r, category="poor").count()
        assert ListEntry.objects.filter(round=r).count() == households
    # Every household now lives in Ho Chi Minh City's communes of 2025, re-homed once.
    hcm = SurveyRound.objects.get(code="HCM-2026")
    assert hcm.province.code == "79" and hcm.province.structure == "2025" and hcm.is_open
    assert [r.code for r in hcm.previous_list()] == ["BD-2024"]
    assert not Household.objects.exclude(commune__structure="2025").exists()
    assert Rehoming.objects.count() == households
    assert set(Rehoming.objects.values_list("basis", flat=True)) == {"successor", "hamlet", "default"}
    # The officer works in the new ward; some communes have submitted, some are approved.
    officer_unit = AdminUnit.objects.get(assignments__user__username="officer")
    assert officer_unit.structure == "2025"
    assert CommuneList.objects.filter(round=hcm, status=ListStatus.SUBMITTED).exists()
    assert CommuneList.objects.filter(round=hcm, status=ListStatus.APPROVED).exists()
    # BD-2024 read in today's units gives Binh Duong's numbers; HCM-2026's flows start from them.
    legacy = rates_for(
        round=SurveyRound.objects.get(code="BD-2024"), unit=SurveyRound.objects.get(code="BD-2024").province, level="province"
    )[0]
    regrouped = rates_for(round=SurveyRound.objects.get(code="BD-2024"), unit=hcm.province, level="province", structure="2025")[0]
    assert (regrouped.total_households, regrouped.poor, regrouped.near_poor) == (
        legacy.total_households,
        legacy.poor,
        legacy.near_poor,
    )
    total = flows_total(flows_for(round=hcm, unit=hcm.province, level="commune", status="all"), unit=hcm.province)
    assert total["start"] == legacy.poor and total["start"] - total["out_total"] + total["in_total"] == total["end"]


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [
        (3206, 294573, "1.09"),
        (1989, 294573, "0.68"),
        (1217, 294573, "0.41"),
        (2883, 294573, "0.98"),
        (1, 200, "0.50"),
        (1, 400, "0.25"),
        (1, 800, "0.13"),
        (0, 10, "0.00"),
        (5, 0, None),
    ],
)
def test_rate_rounds_half_up_from_integers(count, total, expected):
    assert rate(count, total) == expected
