"""The data-quality page: what keeps the registry from being reported from, in the units the user may read.

Thin: the lists are `households.quality`; the same lists are printed by `manage.py check_data`."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.access_log import note_access
from core.policy import Action, communes_for
from households.decorators import personal_data_required
from households.quality import ROW_LIMIT, quality_report
from households.selectors import unit_choices


@personal_data_required
@require_GET
def data_quality(request):
    """Households without exactly one head, members whose ethnicity names no group, and the consistency warnings of
    the open rounds, for the communes the user may read (optionally one district or commune)."""
    communes = communes_for(request.user, Action.VIEW)
    multi_commune = communes[:2].count() > 1
    unit = (request.GET.get("unit") or "").strip()
    chosen = communes.filter(Q(code=unit) | Q(parent__code=unit)) if unit and unit.isdigit() else communes
    report = quality_report(chosen)
    # Names of members and household codes are personal data: the access log notes every household shown.
    note_access(
        request,
        [h.pk for h in report.no_head + report.several_heads]
        + [m.household_id for m in report.unmapped]
        + [w.household_id for w in report.warnings],
    )
    return render(
        request,
        "households/quality.html",
        {
            "report": report,
            "limit": ROW_LIMIT,
            "unit": unit,
            "multi_commune": multi_commune,
            "unit_choices": unit_choices(request.user, communes) if multi_commune else None,
        },
    )
