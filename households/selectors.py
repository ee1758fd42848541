"""Reads of the registry that more than one screen asks (the households pages, the assessment pages of `surveys`,
the data-quality page): scope, the rounds a household is assessed in, the next household to assess."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404

from households.models import AdminUnit, Household, Level, Member, Relation, communes_visible_to
from households.permissions import EDIT_ROLES
from households.search import fold
from surveys.models import SurveyRound

UNIT_SELECT_LIMIT = 400


def household_lookalikes(*, user, commune: AdminUnit, head_name: str, head_birth_year: int, address: str) -> list[Household]:
    """Households of `commune` (that `user` may see) whose head has the same name (tone marks and case aside) and
    birth year, at the same address: probably the household about to be registered a second time."""
    heads = Member.objects.filter(household__commune=commune, relation=Relation.HEAD, birth_year=head_birth_year)
    candidates = (
        Household.objects.visible_to(user)
        .filter(commune=commune, pk__in=heads.values("household_id"))
        .select_related("hamlet")
        .order_by("code")
    )
    name, place = fold(head_name), fold(address)
    return [h for h in candidates if fold(h.head_name) == name and fold(h.address) == place]


def editable_communes(user):
    """Communes whose households `user` may register and change."""
    if getattr(user, "is_superuser", False):
        return communes_visible_to(user)
    return communes_visible_to(user, roles=EDIT_ROLES)


def provinces_of(user):
    """The provinces over the communes `user` may see (a lazy queryset, used as a subquery)."""
    communes = communes_visible_to(user)
    return AdminUnit.objects.filter(level=Level.PROVINCE).filter(
        Q(pk__in=communes.values("parent_id")) | Q(pk__in=communes.values("parent__parent_id"))
    )


def open_round_for_user(user) -> SurveyRound | None:
    """The current open round: open for entry, latest year, covering the user's province."""
    return (
        SurveyRound.objects.filter(is_open=True, province__in=provinces_of(user))
        .select_related("criteria_set", "province")
        .order_by("-year", "-starts_on", "code")
        .first()
    )


def province_ids(commune: AdminUnit) -> list[int]:
    ids = [commune.parent_id]
    if commune.parent_id is not None and commune.parent.parent_id is not None:
        ids.append(commune.parent.parent_id)
    return [i for i in ids if i is not None]


def rounds_for_household(household: Household):
    return SurveyRound.objects.filter(province_id__in=province_ids(household.commune)).select_related("criteria_set", "province")


def open_round_for_household(household: Household, code: str | None = None) -> SurveyRound | None:
    """The open round covering the household's province (or the named one, when open)."""
    rounds = rounds_for_household(household).filter(is_open=True)
    if code:
        return rounds.filter(code=code).first()
    return rounds.order_by("-year", "-starts_on", "code").first()


def visible_household(user, code: str) -> Household:
    return get_object_or_404(Household.objects.visible_to(user).select_related("commune__parent__parent", "hamlet"), code=code)


def next_unassessed(user, survey_round: SurveyRound, *, communes, after: Household | None = None) -> Household | None:
    """The next active household (by code) of `communes` without an assessment in the round."""
    candidates = (
        Household.objects.visible_to(user)
        .active()
        .filter(commune__in=communes)
        .exclude(assessments__round=survey_round)
        .order_by("code")
    )
    if after is not None:
        candidates = candidates.exclude(pk=after.pk)
        following = candidates.filter(code__gt=after.code).first()
        if following is not None:
            return following
    return candidates.first()


def unit_choices(user, communes) -> list[AdminUnit] | None:
    """Districts and communes to filter by, or None when there are too many for a select."""
    units = (
        AdminUnit.objects.filter(Q(pk__in=communes.values("pk")) | Q(pk__in=communes.values("parent_id")))
        .exclude(level=Level.PROVINCE)
        .order_by("code")[: UNIT_SELECT_LIMIT + 1]
    )
    units = list(units)
    return None if len(units) > UNIT_SELECT_LIMIT else units
