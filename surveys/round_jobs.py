"""Round reclassification as a background job: every assessment of a round recomputed from its stored inputs under
the criteria set as it now stands (surveys.rounds.round_reclassify, one transaction: all or nothing)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from core.jobs import JobFailed
from surveys.models import SurveyRound
from surveys.rounds import round_reclassify


def reclassify_job(job, progress) -> dict:
    survey_round = SurveyRound.objects.select_related("criteria_set").filter(code=job.params.get("round", "")).first()
    if survey_round is None:
        raise JobFailed("round")
    progress("reclassifying", 10)
    try:
        changed = round_reclassify(actor=job.owner, round=survey_round)
    except PermissionDenied as exc:
        raise JobFailed(str(exc)) from exc
    return {"round": survey_round.code, "changed": changed}
