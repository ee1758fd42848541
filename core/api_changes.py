"""`GET /api/v1/changes/?since=CURSOR`: the change feed (core/changes.py) for API consumers."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access_log import note_access
from core.api import ERROR_RESPONSES, error
from core.changes import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, Cursor, Kind, changes_since
from core.models import AccessChannel, ApiToken, TokenScope
from core.policy import Action, can


@extend_schema_field({"type": "string", "enum": [k.value for k in Kind]})
class KindField(serializers.CharField):
    """The kinds of change, stated inline in the schema (an enum component named after `kind` would collide)."""


class ChangeTargetSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text=_("household, assessment, application, appeal, commune_list, hamlet_meeting, public_posting or round")
    )
    id = serializers.CharField(help_text=_("The target's id in Povreg (application ids are those of /api/v1/applications/)."))
    household = serializers.CharField(allow_null=True, help_text=_("The household's code, for household-level changes."))
    commune = serializers.CharField(allow_null=True, help_text=_("The commune's GSO code (null for a round's changes)."))
    round = serializers.CharField(allow_null=True, help_text=_("The round's code, where the change belongs to a round."))
    revision = serializers.IntegerField(allow_null=True, help_text=_("The commune list's revision, for list changes."))


class ChangeSerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text=_("Where this change stands in the feed: pass it as `since` to read on after it."))
    time = serializers.DateTimeField()
    kind = KindField()
    action = serializers.CharField(help_text=_("The audit trail's action, e.g. household.updated or commune_list.approved."))
    target = ChangeTargetSerializer()
    changes = serializers.DictField(
        allow_null=True,
        help_text=_(
            "What changed, {field: [old, new]}; only for callers who may read personal data of the commune (null otherwise)."
        ),
    )
    reason = serializers.CharField(
        allow_null=True, help_text=_("The reason given with the change, under the same rule as `changes`.")
    )


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.CharField(
        help_text=_("Pass as `since` for the next page (the same cursor again when nothing is new).")
    )
    has_more = serializers.BooleanField(help_text=_("More changes are already waiting after this page."))


class ChangeReader(BasePermission):
    """Any user with a role: what the feed shows is scoped by the access policy."""

    message = _("Your account has no role that may read changes.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and can(request.user, Action.READ_AGGREGATES)


EXAMPLE = {
    "results": [
        {
            "cursor": "000000000000b1f40000000000002a31",
            "time": "2026-03-10T09:12:44.120000+07:00",
            "kind": "list",
            "action": "commune_list.approved",
            "target": {
                "type": "commune_list",
                "id": "812",
                "household": None,
                "commune": "25747",
                "round": "BD-2024",
                "revision": 1,
            },
            "changes": {"status": ["district_reviewed", "approved"], "approved_by": [None, "department"]},
            "reason": "",
        }
    ],
    "next_cursor": "000000000000b1f40000000000002a31",
    "has_more": False,
}


class ChangesView(APIView):
    permission_classes = [ChangeReader]

    @extend_schema(
        summary=_("Changes since a cursor"),
        description=_(
            "What changed in the caller's scope, in commit order: households and their members, assessments, "
            "monthly-review applications and appeals, commune lists' status and procedure steps, and decisions "
            "(the chairman's recognition, the province's decision on a round, monthly-review and appeal decisions). "
            "Start without `since`, then pass the last `next_cursor`: no change is skipped or repeated, even while "
            "others write. Household-level changes appear only where the caller may read personal data; an API "
            "reader (or a token limited to aggregates) sees list-level changes only. See docs/change-feed.md."
        ),
        parameters=[
            OpenApiParameter(
                "since",
                {"type": "string", "pattern": CURSOR_PATTERN},
                description=_("A cursor from an earlier answer; without it, the feed starts at the beginning."),
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=_("Changes per page, from 1 to 500 (default 100)."),
            ),
        ],
        responses={200: ChangePageSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("A list approved", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        raw = request.query_params.get("since", "")
        try:
            since = Cursor.decode(raw) if raw else None
        except ValueError:
            raise error(
                "since", _("Pass a cursor from an earlier answer (`next_cursor` or an item's `cursor`)."), "invalid"
            ) from None
        raw_limit = request.query_params.get("limit", "")
        if raw_limit and not (re.fullmatch(r"[0-9]{1,4}", raw_limit) and 1 <= int(raw_limit) <= MAX_LIMIT):
            raise error("limit", _("A limit is a whole number from 1 to %(max)s.") % {"max": MAX_LIMIT}, "invalid")
        token = request.auth if isinstance(request.auth, ApiToken) else None
        page = changes_since(
            request.user,
            since=since,
            limit=int(raw_limit) if raw_limit else DEFAULT_LIMIT,
            list_only=token is not None and token.scope == TokenScope.AGGREGATES,
        )
        note_access(request, page.household_ids, AccessChannel.API)
        return Response(ChangePageSerializer(page).data)
