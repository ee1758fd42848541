"""surveys.flows.flows_for: poor and near-poor flows between a round and its previous round."""

from __future__ import annotations

import pytest

from households.models import Level
from households.services import household_update
from surveys.models import CriteriaSet
from surveys.reports.flows import flows_for, flows_total
from surveys.rounds import round_create
from tests.factories import approved_list, assess, make_household

POOR = (1_000_000, ["EMPLOYMENT", "NUTRITION", "WATER"])
NEAR = (1_000_000, [])
ABOVE = (5_000_000, [])


@pytest.fixture
def rounds(province, department):
    vn2022 = CriteriaSet.objects.get(code="VN-2022")
    r2022 = round_create(actor=department, code="T-2022", year=2022, criteria_set=vn2022, province=province)
    r2023 = round_create(actor=department, code="T-2023", year=2023, criteria_set=vn2022, province=province)
    r2024 = round_create(actor=department, code="T-2024", year=2024, criteria_set=vn2022, province=province)
    assert r2024.previous_round == r2023 and r2023.previous_round == r2022
    return r2022, r2023, r2024


@pytest.fixture
def story(rounds, department, commune_a, commune_b):
    """Nine households of commune A whose 2023 → 2024 paths cover every transition."""
    r2022, r2023, r2024 = rounds

    def hh(path: dict):
        household = make_household(department, commune_a)
        for survey_round, (income, deprived) in path.items():
            assess(department, household, survey_round, income, deprived)
        return household

    hh({r2023: POOR, r2024: POOR})  # stays poor
    hh({r2023: POOR, r2024: NEAR})  # escaped to near-poor
    hh({r2023: POOR, r2024: ABOVE})  # escaped above near-poor
    hh({r2023: POOR})  # not reassessed: other out
    moved = hh({r2023: POOR})
    household_update(actor=department, household=moved, commune=commune_b, hamlet=None)
    assess(department, moved, r2024, *POOR)  # poor, moved to B: out of A, into B
    hh({r2023: NEAR, r2024: POOR})  # near-poor to poor
    hh({r2022: POOR, r2023: ABOVE, r2024: POOR})  # re-poor
    hh({r2024: POOR})  # newly poor (not assessed before)
    hh({r2023: ABOVE, r2024: POOR})  # newly poor
    return rounds


def _by_code(rows):
    return {r["unit_code"]: r for r in rows}


def _balanced(row):
    return row["start"] - row["out_total"] + row["in_total"] == row["end"]


def test_commune_flows_cover_every_transition(story, province, commune_a, commune_b):
    rows = _by_code(flows_for(round=story[2], unit=province, level=Level.COMMUNE, status="all"))
    a, b = rows[commune_a.code], rows[commune_b.code]
    assert (a["start"], a["escaped_to_near_poor"], a["escaped_above_near_poor"], a["other_out"]) == (5, 1, 1, 2)
    assert (a["near_poor_to_poor"], a["re_poor"], a["newly_poor"], a["other_in"], a["end"]) == (1, 1, 2, 0, 5)
    assert (a["out_total"], a["in_total"]) == (4, 4)
    assert (b["start"], b["other_in"], b["end"], b["out_total"]) == (0, 1, 1, 0)
    assert all(_balanced(r) for r in rows.values())
    assert len(rows) == sum(r["communes"] for r in rows.values())


def test_district_and_province_flows_net_out_moves_inside(story, province, commune_a, commune_b):
    districts = _by_code(flows_for(round=story[2], unit=province, level=Level.DISTRICT, status="all"))
    assert commune_a.parent_id != commune_b.parent_id
    assert districts[commune_a.parent.code]["other_out"] == 2
    assert districts[commune_b.parent.code]["other_in"] == 1
    [total] = flows_for(round=story[2], unit=province, level=Level.PROVINCE, status="all")
    assert total["unit_code"] == province.code
    assert (total["start"], total["other_out"], total["other_in"], total["end"]) == (5, 1, 0, 6)
    assert _balanced(total)
    summed = flows_total(list(districts.values()), unit=province)
    assert summed["start"] == total["start"] and summed["end"] == total["end"]


def test_near_poor_flows(story, province, commune_a):
    a = _by_code(flows_for(round=story[2], unit=province, level=Level.COMMUNE, status="all", kind="near_poor"))[commune_a.code]
    assert (a["start"], a["near_poor_to_poor"], a["poor_to_near_poor"], a["end"]) == (1, 1, 1, 1)
    assert _balanced(a)


def test_approved_status_counts_only_approved_lists(story, province, commune_a, commune_b):
    r2022, r2023, r2024 = story
    assert all(r["end"] == 0 for r in flows_for(round=r2024, unit=province, level=Level.COMMUNE))
    for survey_round in (r2023, r2024):
        approved_list(survey_round, commune_a)
    rows = _by_code(flows_for(round=r2024, unit=province, level=Level.COMMUNE))
    a, b = rows[commune_a.code], rows[commune_b.code]
    assert (a["start"], a["other_out"], a["end"], a["communes_included"]) == (5, 2, 5, 1)
    assert (b["end"], b["communes_included"]) == (0, 0)
    [total] = flows_for(round=r2024, unit=province, level=Level.PROVINCE)
    assert (total["start"], total["end"], total["communes_included"]) == (5, 5, 1)
    assert _balanced(total)


def test_first_round_has_only_newly_poor(story, province, commune_a):
    r2022 = story[0]
    [total] = flows_for(round=r2022, unit=province, level=Level.PROVINCE, status="all")
    assert (total["start"], total["newly_poor"], total["end"]) == (0, 1, 1)


def test_flows_query_count_does_not_grow_with_households(story, province, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        flows_for(round=story[2], unit=province, level=Level.DISTRICT, status="all")
    with django_assert_max_num_queries(8):
        flows_for(round=story[2], unit=province, level=Level.COMMUNE)


def test_unknown_kind_is_rejected(story, province):
    with pytest.raises(ValueError):
        flows_for(round=story[2], unit=province, level=Level.PROVINCE, kind="rich")
