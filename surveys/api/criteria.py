"""Criteria sets and the classification preview (`POST /api/v1/classify/`)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERROR_RESPONSES
from surveys.api.serializers import ClassifyRequestSerializer, ClassifyResponseSerializer, CriteriaSetSerializer
from surveys.assessment_refresh import preview
from surveys.models import CriteriaSet, Indicator, Rule


@extend_schema_view(
    list=extend_schema(
        summary=_("List criteria sets"),
        description=_("Every poverty standard with its indicators (code, dimension, name, threshold) and rule tables."),
        responses={200: CriteriaSetSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary=_("One criteria set by code"),
        description=_("E.g. VN-2016, VN-2022, VN-2027, BD-2016: indicators and the ordered rule table per area type."),
        responses={200: CriteriaSetSerializer, **ERROR_RESPONSES},
    ),
)
class CriteriaSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Poverty standards with their indicators and rule tables (public rules, any signed-in user)."""

    serializer_class = CriteriaSetSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    queryset = CriteriaSet.objects.prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("position", "code")),
        Prefetch("rules", queryset=Rule.objects.order_by("area_type", "position")),
    ).order_by("code")


class ClassifyView(APIView):
    """What-if classification: stores nothing."""

    @extend_schema(
        summary=_("Classify a household (what-if)"),
        description=_(
            "Classifies the given inputs with a criteria set and stores nothing: category, group, number of "
            "deprivations and the explanation. Bad input answers 400 naming the field."
        ),
        request=ClassifyRequestSerializer,
        responses={200: ClassifyResponseSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Rural household under the 2022 line with 3 deprivations",
                value={
                    "criteria_set": "VN-2022",
                    "area": "rural",
                    "income_per_capita": 1200000,
                    "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE"],
                    "members": [{"able_to_work": True, "social_protection": False}],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Rural household scored by Circular 07: score A 132, 4 deprivations",
                value={
                    "criteria_set": "VN-2022",
                    "area": "rural",
                    "score_a": 132,
                    "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE", "TELECOM"],
                    "members": [{"able_to_work": True, "social_protection": False}],
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request):
        serializer = ClassifyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = preview(
            criteria_set=data["criteria_set"],
            area=data["area"],
            income_per_capita=data.get("income_per_capita"),
            score_a=data.get("score_a"),
            deprived=data["deprived"],
            members=[dict(m) for m in data["members"]],
        )
        return Response(
            {
                "category": result.category.value,
                "group": result.group.value if result.group else None,
                "deprived_count": result.deprived_count,
                "basis": result.basis,
                "score_a": result.score_a,
                "score_b": result.score_b,
                "explanation": result.explanation(getattr(request, "LANGUAGE_CODE", "vi") or "vi"),
                "explanation_vi": result.explanation_vi,
                "explanation_en": result.explanation_en,
            }
        )
