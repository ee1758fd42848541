"""Approved rates and flows, cached: approved numbers change only when something is approved or reopened.

Each round carries an `approval_stamp`. Every act that can change what approved reports of a round read bumps
it, in the act's own transaction: approving a list, opening a correction revision, recording the province's
decision, re-homing the province's households. The bump also reaches every later round whose flows read this
one (the chain of `previous_rounds`). A cached answer is keyed on (what, round, stamp, the validated
parameters), so a new stamp is a new key: an answer cached before an approval is never served after it, on any
worker, whatever the cache backend (local memory by default; Redis or Memcached when CACHE_URL says so).

The same key gives the answer's ETag; a request whose If-None-Match names it gets a 304 and no body work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from rest_framework import status
from rest_framework.response import Response

from surveys.models import SurveyRound

# Approved numbers are for everyone the deployment lets read them, but a response may depend on the caller's
# credentials (401/403 before this point) and on the language: caches between client and server must revalidate.
CACHE_CONTROL = "private, no-cache"
VARY = "Authorization, Cookie, Accept-Language"


def approval_stamp_bump(round_ids: Iterable[int]) -> None:
    """Bump the stamp of the rounds and of every later round reading them (a few tiny queries; chains are short)."""
    ids = set(round_ids)
    through = SurveyRound.previous_rounds.through
    frontier = list(ids)
    while frontier:
        later = through.objects.filter(to_surveyround_id__in=frontier).values_list("from_surveyround_id", flat=True)
        frontier = [i for i in later if i not in ids]
        ids.update(frontier)
    SurveyRound.objects.filter(pk__in=ids).update(approval_stamp=F("approval_stamp") + 1)


def cache_key(kind: str, round_id: int, stamp: int, params: dict) -> str:
    raw = json.dumps([kind, round_id, stamp, sorted((k, str(v)) for k, v in params.items())])
    return "povreg:approved:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def _etag(key: str) -> str:
    return f'"{key.rsplit(":", 1)[-1][:32]}"'


def _matches(request, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(",")) or header.strip() == "*"


def _with_headers(response: Response, etag: str) -> Response:
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response["Vary"] = VARY
    return response


def _stamp(code: str) -> tuple[int, int] | None:
    """(round id, approval stamp) by round code: the one query of a cached answer, written out (it runs on every
    call; the ORM would spend longer building it than the database answering it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, approval_stamp FROM {SurveyRound._meta.db_table} WHERE code = %s", [code])  # noqa: S608
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def cached_approved(request, *, kind: str, compute: Callable[[], Response]) -> Response:
    """The approved answer for the request's query (status=approved, no as_of), from the cache when the round's
    stamp is unchanged; else `compute()` (which raises the API's 4xx for bad input) and cache a 200. One small
    query for the stamp; a 304 when If-None-Match names the current answer. The key is the query as sent (sorted):
    only what `compute` answered with a 200 is ever stored under it, so a bad query is never served from it."""
    params = request.query_params
    if params.get("status", "approved") != "approved" or "as_of" in params:
        return compute()
    code = params.get("round", "")
    found = _stamp(code) if 0 < len(code) <= 40 else None
    if found is None:
        return compute()  # (no such round: the full path says so)
    key = cache_key(kind, *found, {k: params.getlist(k) for k in params})
    etag = _etag(key)
    payload = cache.get(key)
    if payload is not None and _matches(request, etag):
        return _with_headers(Response(status=status.HTTP_304_NOT_MODIFIED), etag)
    if payload is None:
        response = compute()
        if response.status_code != status.HTTP_200_OK:
            return response
        payload = response.data
        cache.set(key, payload, timeout=settings.POVREG_APPROVED_CACHE_SECONDS)
    return _with_headers(Response(payload), etag)
