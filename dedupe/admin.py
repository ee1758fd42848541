"""Read-only admin of the duplicate queue and its scans: decisions are made on the review pages (services)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from dedupe.models import DuplicateCandidate, DuplicateScan


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ReadOnlyAdmin):
    list_display = ("id", "household_a", "household_b", "score", "status", "merged", "decided_by", "decided_at")
    list_filter = ("status", "merged")
    raw_id_fields = ("household_a", "household_b", "kept")


@admin.register(DuplicateScan)
class DuplicateScanAdmin(ReadOnlyAdmin):
    list_display = ("province", "started_at", "members", "pairs_compared", "candidates", "new", "removed", "seconds")
