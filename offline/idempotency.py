"""Safe retries of the API's writes: a client-generated key sent as an `Idempotency-Key` header.

The offline entry app sends every queued write with the key its draft was given on the device. When the answer is
lost on the way back (the signal drops after the server wrote), the app sends the same request with the same key
again: the server answers with the first answer, and writes nothing twice. The same key with another request (another
body, method or address) is refused with 409 naming the header. A request without the header behaves as before.

The key is claimed (a row inserted) in the same transaction as the write, so the write and its remembered answer
commit together or not at all; a second request with the same key arriving while the first is still running waits
for it on the row's unique index and then answers as a retry. Only successful answers are kept: a refused request
(400, 403, 409 …) wrote nothing and may be sent again.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from offline.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
KEY_PATTERN = re.compile(_UUID)
# Remembered answers are kept well beyond the life of an offline copy (POVREG_OFFLINE_DAYS), then dropped.
KEEP_DAYS = 30

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    {"type": "string", "format": "uuid"},
    OpenApiParameter.HEADER,
    required=False,
    examples=[OpenApiExample("A key made by the client", value="3f2b8c1e-5d4a-4b6f-9e2d-7a1c0b9f8e35")],
    description=gettext_lazy(
        "A UUID the client makes for this write. Sent again with the same request (a retry after a lost answer), "
        "it gets the first answer again and nothing is written twice; with another request it answers 409."
    ),
)


def fingerprint(method: str, path: str, body) -> str:
    """A hash of what was asked: the same method, address and (canonical) JSON body give the same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def _error(code: str, message: str, status_code: int) -> Response:
    return Response({"errors": [{"field": HEADER, "code": code, "message": message}]}, status=status_code)


def _replay(record: IdempotencyRecord, print_: str) -> Response:
    if record.fingerprint != print_:
        return _error(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for another request; make a new key for a new request."),
            status.HTTP_409_CONFLICT,
        )
    headers = {"Idempotent-Replayed": "true"}
    if record.etag:
        headers["ETag"] = record.etag
    return Response(record.body, status=record.status_code, headers=headers)


def idempotent_write(*, request, key: str, call) -> Response:
    """Run `call` (the view's write) once per user and key; a repeat of the same request gets the first answer."""
    user = request.user
    path = request.path
    print_ = fingerprint(request.method, path, request.data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=request.method, path=path[:255], fingerprint=print_, status_code=0
                )
        except IntegrityError:
            # Used before (or being used by a request still running: the insert waited for it to finish).
            return _replay(IdempotencyRecord.objects.get(user=user, key=key), print_)
        response = call()
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)  # nothing was written; the key stays free
            return response
        record.status_code = response.status_code
        record.body = response.data
        record.etag = response.get("ETag", "")[:40]
        record.save(update_fields=["status_code", "body", "etag"])
        cutoff = timezone.now() - datetime.timedelta(days=KEEP_DAYS)
        IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()  # everyone's: the answers carry personal data
    return response


def idempotent(view_method):
    """Decorate a DRF view's write (`create`, `update`, …): with an Idempotency-Key header it runs through
    `idempotent_write`; a malformed key is a 400 naming the header; without the header (or with an empty one)
    nothing changes."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        # As with If-Match: surrounding blanks are no part of the key, and an empty header is no key.
        raw = request.headers.get(HEADER, "").strip()
        if not raw:
            return view_method(view, request, *args, **kwargs)
        if not KEY_PATTERN.fullmatch(raw):
            return _error(
                "invalid",
                _("An Idempotency-Key is a UUID, such as 3f2b8c1e-5d4a-4b6f-9e2d-7a1c0b9f8e35."),
                status.HTTP_400_BAD_REQUEST,
            )
        return idempotent_write(request=request, key=raw.lower(), call=lambda: view_method(view, request, *args, **kwargs))

    return wrapper
