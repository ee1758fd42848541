"""The demo's lists at every stage of the procedure: frozen, approved, and Ho Chi Minh City's 2026 round in progress."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from households.models import AdminUnit
from surveys.approval.freeze import frozen_counts, list_entries_freeze
from surveys.models import Assessment, CommuneList, HamletMeeting, ListStatus, PublicPosting, SurveyRound


def _freeze(survey_round: SurveyRound, communes: list[AdminUnit], *, status: str, when: datetime.datetime) -> list[CommuneList]:
    """Lists of the communes in `status`; approved ones with their counts and entries frozen."""
    approved = status == ListStatus.APPROVED
    frozen = frozen_counts(round=survey_round, commune_ids=[c.pk for c in communes]) if approved else {}
    lists = CommuneList.objects.bulk_create(
        [
            CommuneList(
                round=survey_round,
                commune=c,
                status=status,
                submitted_at=when,
                approved_at=when if approved else None,
                # The chairman's recognition decision, dated the day before the list went up.
                recognition_number=f"{100 + i}/QĐ-UBND",
                recognition_date=timezone.localtime(when).date() - datetime.timedelta(days=1),
                recognition_signer="Chủ tịch UBND (demo)",
                **frozen.get(c.pk, {}),
            )
            for i, c in enumerate(communes)
        ]
    )
    if approved:
        list_entries_freeze(lists)
    return lists


def approve_round(survey_round: SurveyRound, communes: list[AdminUnit]) -> None:
    """A round's lists stand approved, with their counts and entries frozen, as after a finished review."""
    when = min(timezone.make_aware(datetime.datetime(survey_round.year, 12, 14, 10, 0)), timezone.now())
    _freeze(survey_round, communes, status=ListStatus.APPROVED, when=when)


def progress_hcm(hcm: SurveyRound, *, home: AdminUnit, rng: random.Random) -> None:
    """HCM-2026 in December: a few communes approved, a few submitted (meetings and posting recorded), the
    officer's commune still at work."""
    with_households = list(
        AdminUnit.objects.filter(pk__in=Assessment.objects.filter(round=hcm).values("commune_id"))
        .exclude(pk=home.pk)
        .order_by("code")
    )
    approved, submitted = with_households[:3], with_households[3:8]
    now = timezone.now()
    _freeze(hcm, approved, status=ListStatus.APPROVED, when=now - datetime.timedelta(days=3))
    lists = _freeze(hcm, submitted, status=ListStatus.SUBMITTED, when=now - datetime.timedelta(days=1))
    meetings, postings = [], []
    held = timezone.localdate() - datetime.timedelta(days=21)
    for commune_list in lists:
        hamlet_ids = (
            Assessment.objects.filter(round=hcm, commune=commune_list.commune)
            .exclude(hamlet=None)
            .values_list("hamlet_id", flat=True)
            .distinct()
        )
        for hamlet_id in hamlet_ids:
            attendees = rng.randint(25, 60)
            meetings.append(
                HamletMeeting(
                    commune_list=commune_list,
                    hamlet_id=hamlet_id,
                    held_on=held,
                    attendees=attendees,
                    agreeing=attendees - rng.randint(0, 5),
                    minutes_note="Biên bản họp dân (demo)",
                )
            )
        postings.append(
            PublicPosting(
                commune_list=commune_list,
                starts_on=held + datetime.timedelta(days=1),
                ends_on=held + datetime.timedelta(days=10),
                place="Trụ sở UBND và nhà văn hóa khu phố",
            )
        )
    HamletMeeting.objects.bulk_create(meetings)
    PublicPosting.objects.bulk_create(postings)
