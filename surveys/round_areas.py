"""A commune's area type (urban/rural) as of a round: recorded for the round when it opens, else the unit's."""

from __future__ import annotations

from households.models import AdminUnit, Level
from surveys.models import RoundArea, SurveyRound


def round_communes(round: SurveyRound):
    """The commune-level units of the round's province (in its unit structure)."""
    return AdminUnit.objects.under(round.province).filter(level=Level.COMMUNE)


def round_areas_fill(*, round: SurveyRound) -> int:
    """Record each commune's area type for the round from its unit, where none is recorded yet."""
    have = set(RoundArea.objects.filter(round=round).values_list("commune_id", flat=True))
    rows = [
        RoundArea(round=round, commune_id=pk, area_type=area)
        for pk, area in round_communes(round).values_list("pk", "area_type")
        if pk not in have
    ]
    RoundArea.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def area_in_round(*, round: SurveyRound, commune: AdminUnit) -> str:
    """The area type (urban/rural) of a commune in a round: as recorded for the round, else the unit's."""
    recorded = RoundArea.objects.filter(round=round, commune=commune).values_list("area_type", flat=True).first()
    return recorded or commune.area_type


def areas_in_round(*, round: SurveyRound, commune_ids) -> dict[int, str]:
    """Area type per commune in the round (recorded, else the unit's), for bulk paths."""
    commune_ids = list(commune_ids)
    areas = dict(AdminUnit.objects.filter(pk__in=commune_ids).values_list("pk", "area_type"))
    areas.update(RoundArea.objects.filter(round=round, commune_id__in=commune_ids).values_list("commune_id", "area_type"))
    return areas
