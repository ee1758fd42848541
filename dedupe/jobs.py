"""The background job behind "Scan now" (core.jobs; registered in DedupeConfig.ready)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.jobs import JobFailed
from dedupe.services import duplicates_scan
from households.models import AdminUnit, Level


def scan_job(job, progress) -> dict:
    """Scan the province `params.province` for its owner; the result is the scan's figures."""
    province = AdminUnit.objects.filter(pk=job.params.get("province"), level=Level.PROVINCE).first()
    if province is None:
        raise JobFailed(_("The province to scan no longer exists."))
    try:
        scan = duplicates_scan(province=province, actor=job.owner, progress=progress)
    except PermissionDenied as exc:
        raise JobFailed(str(exc)) from exc
    return {
        "scan": scan.pk,
        "members": scan.members,
        "pairs_compared": scan.pairs_compared,
        "candidates": scan.candidates,
        "new": scan.new,
        "removed": scan.removed,
        "seconds": scan.seconds,
    }
