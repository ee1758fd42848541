"""`POST /api/v1/dci/registry/sync/search`: the DCI Social Registry synchronous search (docs/dci.md).

Thin: `envelope.read` checks the message, `selectors` find the households of the caller's scope, `records`
shapes them. The answer is the spec's envelope (header + message.search_response); a refused message is a 400
in the same envelope with the faults also listed in the API's one error format (`errors`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access_log import note_access
from core.models import AccessChannel
from core.permissions import PersonalDataRole
from dci import envelope as dci
from dci.records import group_record
from dci.selectors import households_matching, page_of, standing_of


def sender_id() -> str:
    return getattr(settings, "POVREG_DCI_SENDER_ID", "povreg")


def _now() -> str:
    return timezone.localtime().isoformat(timespec="milliseconds")


def _header(
    *,
    status_: str,
    total: int,
    completed: int,
    receiver_id: str | None = None,
    reason_code: str | None = None,
    reason_message: str | None = None,
) -> dict:
    header = {
        "version": dci.SPEC_VERSION,
        "message_id": str(uuid.uuid4()),
        "message_ts": _now(),
        "action": "on-search",
        "status": status_,
        "total_count": total,
        "completed_count": completed,
        "sender_id": sender_id(),
        "is_msg_encrypted": False,
    }
    if receiver_id:
        header["receiver_id"] = receiver_id
    if reason_code:
        header["status_reason_code"] = reason_code
    if reason_message:
        header["status_reason_message"] = reason_message[:999]
    return header


def _error(field: str | None, code: str | None, message: str) -> dict:
    return {"field": field, "code": code or "invalid", "message": message}


def _refused_message(refusal: dci.Refusal, body, http_status: int = status.HTTP_400_BAD_REQUEST) -> Response:
    """The whole message refused: the header says why; `errors` names the field."""
    header = body.get("header") if isinstance(body, dict) else None
    receiver = header.get("sender_id") if isinstance(header, dict) and isinstance(header.get("sender_id"), str) else None
    requests = (
        body.get("message", {}).get("search_request")
        if isinstance(body, dict) and isinstance(body.get("message"), dict)
        else None
    )
    header_reason = refusal.reason_code if refusal.reason_code in dci.HEADER_REASON_CODES else None
    return Response(
        {
            "header": _header(
                status_="rjct",
                total=len(requests) if isinstance(requests, list) else 0,
                completed=0,
                receiver_id=receiver,
                reason_code=header_reason,
                reason_message=f"{refusal.field}: {refusal.message}",
            ),
            "errors": [_error(refusal.field, refusal.reason_code, refusal.message)],
        },
        status=http_status,
    )


class SyncSearchView(APIView):
    """DCI synchronous search over the households of the caller's scope (personal data: roles that may read it)."""

    permission_classes = [IsAuthenticated, PersonalDataRole]
    renderer_classes = [JSONRenderer]

    @extend_schema(exclude=True)  # described by its own published specification, dci/spec/social_api_v1.0.0.yaml
    def post(self, request):
        try:
            body = request.data
        except exceptions.UnsupportedMediaType:
            refusal = dci.Refusal("body", _("Send the message as JSON (Content-Type: application/json)."))
            return _refused_message(refusal, None, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        except exceptions.ParseError as exc:
            return _refused_message(dci.Refusal("body", str(exc.detail)), None)
        try:
            message = dci.read(body)
        except dci.Refusal as refusal:
            return _refused_message(refusal, body)
        outcomes = [self._answer(request, item) for item in message.items]
        answers = [answer for answer, _refusal in outcomes]
        refusals = [refusal for _answer, refusal in outcomes if refusal is not None]
        succeeded = len(answers) - len(refusals)
        payload = {
            "header": _header(
                status_="succ" if succeeded else "rjct", total=len(answers), completed=len(answers), receiver_id=message.sender_id
            ),
            "message": {"transaction_id": message.transaction_id, "correlation_id": uuid.uuid4().hex, "search_response": answers},
        }
        if succeeded:
            return Response(payload)
        # Nothing answered: a 400, with the faults also in the API's one error format.
        payload["errors"] = [_error(r.field, r.reason_code, r.message) for r in refusals]
        return Response(payload, status=status.HTTP_400_BAD_REQUEST)

    def _answer(self, request, item: dci.Item) -> tuple[dict, dci.Refusal | None]:
        """One search request's answer, and its refusal if it was refused."""
        answer = {"reference_id": item.reference_id, "timestamp": _now()}
        if item.locale:
            answer["locale"] = item.locale
        refusal = item.refusal
        if refusal is None:
            try:
                return {**answer, **self._search(request, item.criteria)}, None
            except dci.Refusal as found_later:  # a well-formed value that names nothing (an unknown area code)
                refusal = found_later
        answer.update(
            status="rjct",
            status_reason_code=refusal.reason_code or dci.SEARCH_CRITERIA_INVALID,
            status_reason_message=f"{refusal.field}: {refusal.message}"[:999],
        )
        return answer, refusal

    def _search(self, request, criteria: dci.Criteria) -> dict:
        queryset = households_matching(request.user, criteria)
        total = queryset.count()
        offset = (criteria.page_number - 1) * criteria.page_size
        households = page_of(queryset, offset=offset, limit=criteria.page_size) if offset < total else []
        standing = standing_of([h.pk for h in households])
        note_access(request, [h.pk for h in households], AccessChannel.API)
        return {
            "status": "succ",
            "data": {"version": dci.SPEC_VERSION, "reg_records": [group_record(h, standing.get(h.pk)) for h in households]},
            "pagination": {"page_size": criteria.page_size, "page_number": criteria.page_number, "total_count": total},
        }
