"""Survey rounds."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets

from core.api import ERROR_RESPONSES, Pagination
from surveys.api.common import ROUND_CODE_PATH
from surveys.api.serializers import RoundSerializer
from surveys.models import SurveyRound


@extend_schema_view(
    list=extend_schema(
        summary=_("List survey rounds"),
        description=_("Newest first."),
        responses={200: RoundSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary=_("One survey round by code"),
        parameters=[ROUND_CODE_PATH],
        responses={200: RoundSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Demo round",
                response_only=True,
                value={
                    "code": "BD-2024",
                    "year": 2024,
                    "kind": "periodic",
                    "criteria_set": "VN-2022",
                    "province": "74",
                    "province_name": "Tỉnh Bình Dương",
                    "structure": "legacy",
                    "starts_on": "2024-09-01",
                    "ends_on": "2024-12-14",
                    "reference_date": "2024-09-01",
                    "previous_round": "BD-2023",
                    "previous_rounds": ["BD-2023"],
                    "is_open": True,
                },
            )
        ],
    ),
)
class RoundViewSet(viewsets.ReadOnlyModelViewSet):
    """Survey rounds: public facts (year, criteria set, province), readable by every signed-in caller."""

    serializer_class = RoundSerializer
    pagination_class = Pagination
    filter_backends: list = []
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    queryset = (
        SurveyRound.objects.select_related("criteria_set", "province")
        .prefetch_related("previous_rounds", "additional_sets")
        .order_by("-year", "code")
    )
