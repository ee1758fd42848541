"""Many commune lists at once: each through its own service, each answered done or refused and why."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import WRITE_ERROR_RESPONSES, error
from core.permissions import PersonalDataRole
from surveys.api.serializers_lists import BulkRequestSerializer, BulkResponseSerializer
from surveys.approval.selectors import bulk_items
from surveys.approval.services import commune_lists_bulk

# --- Many commune lists at once -------------------------------------------------------------------


def bulk_outcome_json(outcome) -> dict:
    return {
        "round": outcome.round_code,
        "commune": outcome.commune_code,
        "outcome": "done" if outcome.done else "refused",
        "status": outcome.status,
        "version": outcome.version,
        "errors": [{"field": f, "message": str(m)} for f, messages in outcome.errors.items() for m in messages],
    }


class CommuneListBulkView(APIView):
    """Review, approve or return many commune lists in one call."""

    permission_classes = [IsAuthenticated, PersonalDataRole]

    @extend_schema(
        summary=_("Review, approve or return many lists"),
        description=_(
            "District and department staff act on up to 200 lists at once. Each list goes through the same service "
            "and checks as its own transition, in its own transaction: one refusal undoes nothing else, and each list "
            "gets its own audit event. The answer (200) says, per list, `done` or `refused` and why; a list changed "
            "since the `version` you give is refused. Lists outside your units are refused as not found."
        ),
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer, **WRITE_ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Approve two lists",
                request_only=True,
                value={
                    "action": "approve",
                    "lists": [
                        {"round": "HCM-2026", "commune": "25747", "version": 5},
                        {"round": "HCM-2026", "commune": "25750", "version": 4},
                    ],
                },
            )
        ],
    )
    def post(self, request):
        payload = BulkRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        wanted = [(item["round"], item["commune"], item.get("version")) for item in data["lists"]]
        try:
            outcomes = commune_lists_bulk(
                actor=request.user,
                action=data["action"],
                reason=data.get("reason", ""),
                items=bulk_items(user=request.user, wanted=wanted),
            )
        except ValidationError as exc:
            field, problems = next(iter(exc.error_dict.items()))
            raise error(field, problems[0].messages[0], problems[0].code or "invalid")
        results = [bulk_outcome_json(o) for o in outcomes]
        done = sum(1 for o in outcomes if o.done)
        return Response({"action": data["action"], "done": done, "refused": len(outcomes) - done, "results": results})


# --- Commune lists and their transitions --------------------------------------------------------
