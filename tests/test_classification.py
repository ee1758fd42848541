"""Every line of every shipped criteria set, at line − 1, line and line + 1 VND, with 2 and 3 deprivations.

Expectations are written from the law (../shared/LAW.md), not read back from the shipped data, so a
wrong rule row in the data fails here.
"""

import pytest

from surveys import classification as cl
from surveys.criteria_data import install
from surveys.models import CriteriaSet, Indicator, Rule
from surveys.services import criteria_spec
from tests.factories import CLASSIFICATION_CASES as CASES
from tests.factories import N, P, X


@pytest.fixture(scope="module")
def specs(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        # Transactional tests run before this module and end with a flush, data migrations' rows included.
        install(CriteriaSet, Indicator, Rule)
        return {cs.code: criteria_spec(cs) for cs in CriteriaSet.objects.all()}


def _codes(spec: cl.CriteriaSpec, n: int) -> list[str]:
    return [i.code for i in spec.indicators][:n]


@pytest.mark.parametrize(("code", "area", "income", "deprived", "expected"), CASES, ids=lambda v: str(v))
def test_every_line(specs, code, area, income, deprived, expected):
    spec = specs[code]
    result = cl.classify(spec, area=area, income=income, deprived=_codes(spec, deprived), members=[cl.MemberFacts(True)])
    assert result.category == expected
    assert result.deprived_count == deprived


def test_every_shipped_set_is_covered(specs):
    assert set(specs) == {code for code, *_ in CASES} == {"VN-2016", "VN-2022", "VN-2027", "BD-2016", "HCM-2025"}


def test_indicator_counts(specs):
    assert len(specs["VN-2016"].indicators) == 10
    assert len(specs["VN-2022"].indicators) == 12
    assert "INFO_MEANS" not in specs["VN-2027"].indicator_codes and "WASTE" in specs["VN-2027"].indicator_codes


def test_no_income_only_route_to_poor_under_decree_07(specs):
    result = cl.classify(specs["VN-2022"], area="rural", income=0, deprived=[], members=[cl.MemberFacts(True)])
    assert result.category == N


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([cl.MemberFacts(True, False)], cl.Group.POVERTY_REDUCTION),
        ([cl.MemberFacts(False, False), cl.MemberFacts(False, True)], cl.Group.SOCIAL_PROTECTION),
        ([cl.MemberFacts(True, True)], cl.Group.SOCIAL_PROTECTION),  # able but a beneficiary: not counted on
        ([cl.MemberFacts(True, True), cl.MemberFacts(True, False)], cl.Group.POVERTY_REDUCTION),
        ([], cl.Group.SOCIAL_PROTECTION),
    ],
)
def test_group_split_default_rule(specs, members, expected):
    spec = specs["VN-2022"]
    result = cl.classify(spec, area="urban", income=1_000_000, deprived=_codes(spec, 3), members=members)
    assert (result.category, result.group) == (P, expected)


def test_group_rule_no_member_able_counts_only_ability(specs):
    spec = specs["VN-2022"]
    other = cl.CriteriaSpec(code=spec.code, rules=spec.rules, indicators=spec.indicators, group_rule=cl.GroupRule.NO_MEMBER_ABLE)
    result = cl.classify(other, area="urban", income=1_000_000, deprived=_codes(spec, 3), members=[cl.MemberFacts(True, True)])
    assert result.group == cl.Group.POVERTY_REDUCTION


def test_near_poor_is_split_too_and_others_have_no_group(specs):
    spec = specs["VN-2022"]
    near = cl.classify(spec, area="rural", income=1_000_000, deprived=[], members=[cl.MemberFacts(False)])
    assert (near.category, near.group) == (N, cl.Group.SOCIAL_PROTECTION)
    rich = cl.classify(spec, area="rural", income=9_000_000, deprived=[], members=[cl.MemberFacts(False)])
    assert (rich.category, rich.group) == (X, None)


def test_explanation_names_rule_income_and_indicators(specs):
    spec = specs["VN-2022"]
    result = cl.classify(
        spec, area="rural", income=1_200_000, deprived=["WATER", "LATRINE", "NUTRITION"], members=[cl.MemberFacts(True)]
    )
    assert "1.200.000 ₫" in result.explanation_vi and "1.500.000 ₫" in result.explanation_vi
    assert "Hộ nghèo" in result.explanation_vi and "Nguồn nước sinh hoạt" in result.explanation_vi
    assert "Poor household" in result.explanation_en and "3 of 12" in result.explanation_en


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"area": "suburb", "income": 1, "deprived": []}, "area"),
        ({"area": "rural", "income": -1, "deprived": []}, "income_per_capita"),
        ({"area": "rural", "income": 1.5, "deprived": []}, "income_per_capita"),
        ({"area": "rural", "income": 1, "deprived": ["NOPE"]}, "deprived"),
    ],
)
def test_bad_input_names_the_field(specs, kwargs, field):
    with pytest.raises(cl.ClassificationInputError) as err:
        cl.classify(specs["VN-2022"], members=[], **kwargs)
    assert err.value.field == field


def test_duplicate_codes_count_once(specs):
    spec = specs["VN-2022"]
    result = cl.classify(
        spec, area="rural", income=1_000_000, deprived=["WATER", "WATER", "LATRINE"], members=[cl.MemberFacts(True)]
    )
    assert result.deprived_count == 2 and result.category == N


def test_vnd_format():
    assert cl.vnd(1_500_000) == "1.500.000 ₫"
    assert cl.vnd(0) == "0 ₫"
