"""Reads of the registry that more than one screen asks."""

from __future__ import annotations

from households.models import AdminUnit, Household, Member, Relation
from households.search import fold


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
