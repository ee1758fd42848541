"""Personal data access log (Decree 13/2023/NĐ-CP on personal data protection; see README): who viewed which
household's personal data, through a page, the API or an export, one row per user, household, day and
channel. Views note the households they show; the middleware writes them in one INSERT at the end of the
request (conflicts ignored), so a page costs one query more, whatever its size."""

from __future__ import annotations

from django.utils import timezone

from core.models import AccessChannel, PersonalDataAccess

_BUFFER = "_povreg_accessed"


def note_access(request, household_ids, channel: str = AccessChannel.PAGE) -> None:
    """Remember that the request's user saw these households' personal data (written at the end)."""
    request = getattr(request, "_request", request)  # a DRF request wraps Django's
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return
    buffer = request.__dict__.setdefault(_BUFFER, {})
    key = (user.pk, channel)
    buffer.setdefault(key, set()).update(pk for pk in household_ids if pk is not None)


def flush(request) -> int:
    buffer = request.__dict__.pop(_BUFFER, None)
    if not buffer:
        return 0
    day = timezone.localdate()
    rows = [
        PersonalDataAccess(user_id=user_id, household_id=household_id, day=day, channel=channel)
        for (user_id, channel), ids in buffer.items()
        for household_id in ids
    ]
    PersonalDataAccess.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400:
            flush(request)
        return response
