"""What approval freezes: the list row's counts and one entry per assessed household (with its results under the round's
additional standards), so that approved numbers never move when assessments change later."""

from __future__ import annotations

from households.ethnicity import head_ethnic_minority
from surveys.models import Assessment, CommuneList, EntryResult, ListEntry, StandardResult, SurveyRound
from surveys.selectors import COUNT_FIELDS, denominators_for, live_commune_counts, persons_denominators_for


def frozen_counts(*, round: SurveyRound, commune_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per commune, what approval freezes on the list row: the denominators and the counts of its assessments."""
    counts = live_commune_counts(round=round, commune_ids=commune_ids)
    households = denominators_for(round=round, commune_ids=commune_ids)
    persons = persons_denominators_for(round=round, commune_ids=commune_ids)
    return {
        cid: {
            "total_households": households.get(cid, 0),
            "total_persons": persons.get(cid, 0),
            **{f: counts.get(cid, {}).get(f, 0) for f in COUNT_FIELDS},
        }
        for cid in commune_ids
    }


def entry_facts(members_snapshot: list[dict], able_to_work_count: int) -> dict:
    """The breakdown facts of a household from the member facts its assessment was decided on. "Ethnic
    minority": households.ethnicity.head_ethnic_minority, the one definition (the head's group is not Kinh)."""
    heads = [m for m in members_snapshot if m.get("relation") == "head"]
    return {
        "head_ethnic_minority": head_ethnic_minority(heads),
        "head_female": any(m.get("sex") == "F" for m in heads),
        "merit": any(bool(m.get("merit")) for m in members_snapshot),
        "disability": any(bool(m.get("disability")) for m in members_snapshot),
        "no_working_capacity": able_to_work_count == 0,
    }


def list_entries_freeze(commune_lists: list[CommuneList]) -> int:
    """Store one frozen entry per assessed household of each list's commune and round (all categories, so
    that flows and the escaped list read approved data too). Bulk: a few queries per list."""
    through = Assessment.deprived_indicators.through
    created = 0
    for commune_list in commune_lists:
        assessments = Assessment.objects.filter(round_id=commune_list.round_id, commune_id=commune_list.commune_id)
        codes: dict[int, list[str]] = {}
        for aid, code in through.objects.filter(assessment__in=assessments).values_list("assessment_id", "indicator__code"):
            codes.setdefault(aid, []).append(code)
        entries = [
            ListEntry(
                commune_list=commune_list,
                round_id=a["round_id"],
                commune_id=a["commune_id"],
                household_id=a["household_id"],
                hamlet_id=a["hamlet_id"],
                area_type=a["area_type"],
                category=a["category"],
                group=a["group"],
                member_count=a["member_count"],
                deprived=sorted(codes.get(a["id"], [])),
                low_income_workers=a["low_income_workers"],
                **entry_facts(a["members_snapshot"] or [], a["able_to_work_count"]),
            )
            for a in assessments.values(
                "id",
                "round_id",
                "commune_id",
                "household_id",
                "hamlet_id",
                "area_type",
                "category",
                "group",
                "member_count",
                "members_snapshot",
                "able_to_work_count",
                "low_income_workers",
            )
        ]
        ListEntry.objects.filter(commune_list=commune_list).delete()
        ListEntry.objects.bulk_create(entries, batch_size=2000)
        # The results under the round's additional standards, frozen with the entries.
        EntryResult.objects.filter(commune_list=commune_list).delete()
        EntryResult.objects.bulk_create(
            (
                EntryResult(commune_list=commune_list, **r)
                for r in StandardResult.objects.filter(round_id=commune_list.round_id, commune_id=commune_list.commune_id).values(
                    "criteria_set_id",
                    "round_id",
                    "commune_id",
                    "household_id",
                    "member_count",
                    "category",
                    "group",
                    "low_income_workers",
                )
            ),
            batch_size=2000,
        )
        created += len(entries)
    return created
