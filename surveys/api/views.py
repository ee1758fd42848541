from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from surveys.api.serializers import ClassifyRequestSerializer, ClassifyResponseSerializer, CriteriaSetSerializer
from surveys.models import CriteriaSet, Indicator, Rule
from surveys.services import preview


class CriteriaSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Poverty standards with their indicators and rule tables (public rules, any signed-in user)."""

    serializer_class = CriteriaSetSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9._-]+"
    queryset = CriteriaSet.objects.prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("position", "code")),
        Prefetch("rules", queryset=Rule.objects.order_by("area_type", "position")),
    ).order_by("code")


class ClassifyView(APIView):
    """What-if classification: stores nothing."""

    @extend_schema(
        summary=_("Classify a household (what-if)"),
        request=ClassifyRequestSerializer,
        responses={200: ClassifyResponseSerializer},
        examples=[
            OpenApiExample(
                "Rural household under the 2022 line with 3 deprivations",
                value={
                    "criteria_set": "VN-2022", "area": "rural", "income_per_capita": 1200000,
                    "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE"],
                    "members": [{"able_to_work": True, "social_protection": False}],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        serializer = ClassifyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = preview(
            criteria_set=data["criteria_set"], area=data["area"], income_per_capita=data["income_per_capita"],
            deprived=data["deprived"], members=[dict(m) for m in data["members"]],
        )
        return Response(
            {
                "category": result.category.value,
                "group": result.group.value if result.group else None,
                "deprived_count": result.deprived_count,
                "explanation": result.explanation(getattr(request, "LANGUAGE_CODE", "vi") or "vi"),
                "explanation_vi": result.explanation_vi,
                "explanation_en": result.explanation_en,
            }
        )
