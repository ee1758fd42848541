"""Writes of the offline entry app: taking a commune offline is a download of personal data, audited as one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_export
from core.policy import Action, can
from households.models import AdminUnit
from offline.selectors import offline_package


@transaction.atomic
def offline_package_take(*, actor, commune: AdminUnit) -> tuple[dict, list[int]]:
    """The commune's offline copy for an officer who may enter its households (and the ids of those households),
    with one audit event naming it."""
    if not can(actor, Action.EDIT, commune):
        raise PermissionDenied(_("You cannot enter households of %(unit)s.") % {"unit": commune.name})
    package, household_ids = offline_package(user=actor, commune=commune)
    audit_export(actor=actor, what="offline_package", target=commune, count=len(household_ids), fmt="json")
    return package, household_ids
