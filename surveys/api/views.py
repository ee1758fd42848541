from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.api import (
    ERROR_RESPONSES,
    THROTTLED_RESPONSE,
    WRITE_ERROR_RESPONSES,
    Pagination,
    UserFilterBackend,
    error,
    etag,
    expected_version,
)
from core.exceptions import ConflictError
from core.permissions import AggregateReader, PersonalDataRole
from households.api.views import AuditPageSerializer, AuditTrailMixin
from households.models import AdminUnit, Assignment, Household, Level, Role
from surveys.api.serializers import (
    AssessmentSerializer,
    AssessmentWriteSerializer,
    ClassifyRequestSerializer,
    ClassifyResponseSerializer,
    CriteriaSetSerializer,
    FlowsQuerySerializer,
    FlowsResponseSerializer,
    RatesQuerySerializer,
    RatesResponseSerializer,
    RoundSerializer,
)
from surveys.filters import AssessmentFilterSet
from surveys.flows import flows_for, flows_total
from surveys.models import Assessment, CriteriaSet, Indicator, Rule, SurveyRound
from surveys.selectors import rates_for, rates_total
from surveys.services import assessment_save, preview


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


# --- Rounds, assessments, rates and flows -------------------------------------------------------

ROUND_PATH = OpenApiParameter(
    "round_code", str, OpenApiParameter.PATH, description=_("Round code, e.g. BD-2024."),
    examples=[OpenApiExample("Demo round", value="BD-2024")],
)
HOUSEHOLD_PATH = OpenApiParameter(
    "household_code", str, OpenApiParameter.PATH, description=_("Household code."),
    examples=[OpenApiExample("Demo household", value="25747-0001")],
)
ROUND_CODE_PATH = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, description=_("Round code."), examples=[OpenApiExample("Demo round", value="BD-2023")]
)


def aggregate_parameters(*, with_kind: bool) -> list[OpenApiParameter]:
    """Query parameters of rates and flows, with examples that exist in the demo data."""
    parameters = [
        OpenApiParameter("round", str, required=True, description=_("Round code."),
                         examples=[OpenApiExample("Approved demo round", value="BD-2023")]),
        OpenApiParameter("unit", str, required=True,
                         description=_("GSO code of the province, district or commune, in the round's unit structure."),
                         examples=[OpenApiExample("Binh Duong", value="74")]),
        OpenApiParameter("level", str, required=True, enum=["province", "district", "commune"],
                         description=_("One row per unit of this level at or under `unit`.")),
        OpenApiParameter("status", str, required=False, enum=["approved", "all"], default="approved",
                         description=_("approved: only approved lists; all: live numbers incl. drafts (the province's department staff).")),
    ]
    if with_kind:
        parameters.append(OpenApiParameter("kind", str, required=False, enum=["poor", "near_poor"], default="poor",
                                           description=_("Flows of poor or of near-poor households.")))
    return parameters
LEVEL_RANK = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2}


@extend_schema_view(
    list=extend_schema(summary=_("List survey rounds"), description=_("Newest first."), responses={200: RoundSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary=_("One survey round by code"), parameters=[ROUND_CODE_PATH], responses={200: RoundSerializer, **ERROR_RESPONSES}),
)
class RoundViewSet(viewsets.ReadOnlyModelViewSet):
    """Survey rounds: public facts (year, criteria set, province), readable by every signed-in caller."""

    serializer_class = RoundSerializer
    pagination_class = Pagination
    filter_backends: list = []
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    queryset = SurveyRound.objects.select_related("criteria_set", "province", "previous_round").order_by("-year", "code")


ASSESSMENT_EXAMPLE = {"round": "BD-2024", "household": "25747-000123", "income_per_capita": 1200000, "deprived": ["WATER", "LATRINE", "HEALTH_INSURANCE"]}


@extend_schema_view(
    list=extend_schema(
        summary=_("List assessments"),
        description=_(
            "Assessments of households in the communes the caller covers. Filters are shared with the web list: "
            "`round`, `unit` (and everything under it), `category`, `group`, `hamlet`, `q`."
        ),
        responses={200: AssessmentSerializer(many=True), **ERROR_RESPONSES},
    ),
    create=extend_schema(
        summary=_("Assess a household in a round"),
        description=_(
            "Send the inputs (income per capita, deprived indicator codes); the server classifies with the round's "
            "criteria set and stores the result with its explanation. A household has one assessment per round: "
            "a second POST answers 409; change it with PUT."
        ),
        request=AssessmentWriteSerializer,
        responses={201: AssessmentSerializer, **WRITE_ERROR_RESPONSES},
        examples=[OpenApiExample("Assess", value=ASSESSMENT_EXAMPLE, request_only=True)],
    ),
    retrieve=extend_schema(
        summary=_("One household's assessment in a round"),
        description=_("The ETag header carries the version to send back when changing it."),
        parameters=[ROUND_PATH, HOUSEHOLD_PATH],
        responses={200: AssessmentSerializer, **ERROR_RESPONSES},
    ),
    update=extend_schema(
        summary=_("Change an assessment's inputs"),
        description=_(
            "Replaces income per capita and the deprived indicators and reclassifies. Send the version you read "
            "(`version` or If-Match); a stale version answers 409 and changes nothing."
        ),
        parameters=[
            ROUND_PATH, HOUSEHOLD_PATH,
            OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False, description=_('The ETag you read, e.g. "2".')),
        ],
        request=AssessmentWriteSerializer,
        responses={200: AssessmentSerializer, **WRITE_ERROR_RESPONSES},
        examples=[OpenApiExample("Income corrected", value={"income_per_capita": 1350000, "deprived": ["WATER"], "version": 2}, request_only=True)],
    ),
)
class AssessmentViewSet(AuditTrailMixin, viewsets.GenericViewSet):
    """Assessments: personal data (incomes), scoped to the caller's communes; the category is always computed."""

    permission_classes = [IsAuthenticated, PersonalDataRole]
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilterSet
    filter_backends = [UserFilterBackend]
    pagination_class = Pagination

    def get_queryset(self):
        return (
            Assessment.objects.visible_to(self.request.user)
            .select_related("household", "round", "criteria_set", "commune", "hamlet")
            .prefetch_related(Prefetch("deprived_indicators", queryset=Indicator.objects.only("id", "code").order_by("position", "code")))
            .order_by("round__code", "household__code")
        )

    def get_object(self):
        obj = self.get_queryset().filter(round__code=self.kwargs["round_code"], household__code=self.kwargs["household_code"]).first()
        if obj is None:
            raise exceptions.NotFound()
        self.check_object_permissions(self.request, obj)
        return obj

    def _respond(self, assessment: Assessment, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(self.get_serializer(fresh).data, status=status_code, headers={"ETag": etag(fresh.version)})

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        assessment = self.get_object()
        return Response(self.get_serializer(assessment).data, headers={"ETag": etag(assessment.version)})

    def create(self, request, *args, **kwargs):
        write = AssessmentWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = write.validated_data
        missing = {f: [_("This field is required.")] for f in ("round", "household") if not data.get(f)}
        if missing:
            raise exceptions.ValidationError(missing, code="required")
        survey_round = SurveyRound.objects.select_related("province", "criteria_set").filter(code=data["round"]).first()
        if survey_round is None:
            raise error("round", _("Unknown round %(code)s.") % {"code": data["round"]}, "unknown")
        household = Household.objects.visible_to(request.user).filter(code=data["household"]).first()
        if household is None:
            raise error("household", _("Unknown household %(code)s.") % {"code": data["household"]}, "unknown")
        with transaction.atomic():
            if Assessment.objects.select_for_update().filter(household=household, round=survey_round).exists():
                raise ConflictError(_("This household is already assessed in this round; change it with PUT."), field="household")
            assessment = assessment_save(
                actor=request.user, household=household, round=survey_round, income_per_capita=data["income_per_capita"],
                deprived=data["deprived"], reason=data.get("reason", ""),
            )
        return self._respond(assessment, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        assessment = self.get_object()
        write = AssessmentWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = write.validated_data
        for field, current in (("round", assessment.round.code), ("household", assessment.household.code)):
            if data.get(field) not in (None, current):
                raise error(field, _("Does not match the address of this assessment."), "mismatch")
        version = expected_version(request, data)
        assessment = assessment_save(
            actor=request.user, household=assessment.household, round=assessment.round,
            income_per_capita=data["income_per_capita"], deprived=data["deprived"], expected_version=version,
            reason=data.get("reason", ""),
        )
        return self._respond(assessment)

    @extend_schema(
        summary=_("Audit trail of an assessment"),
        description=_("Who changed what and when, newest first."),
        parameters=[ROUND_PATH, HOUSEHOLD_PATH, OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT)],
        responses={200: AuditPageSerializer, **ERROR_RESPONSES},
        filters=False,
    )
    def audit(self, request, *args, **kwargs):
        return self.audit_response(request, self.get_object())


def _resolve_aggregate_query(request, serializer_class):
    """Validated round, unit, level and status for rates and flows; every bad input is a 400 naming it."""
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    survey_round = SurveyRound.objects.select_related("province", "previous_round").filter(code=data["round"]).first()
    if survey_round is None:
        raise error("round", _("Unknown round %(code)s.") % {"code": data["round"]}, "unknown")
    province = survey_round.province
    unit = (
        AdminUnit.objects.filter(structure=province.structure, code=data["unit"])
        .filter(Q(pk=province.pk) | Q(parent=province) | Q(parent__parent=province))
        .first()
    )
    if unit is None:
        raise error("unit", _("%(code)s is not a unit of the round's province.") % {"code": data["unit"]}, "unknown")
    level = data["level"]
    if LEVEL_RANK[level] < LEVEL_RANK[unit.level]:
        raise error("level", _("The level must be at or below the unit's level (%(level)s).") % {"level": unit.level}, "invalid")
    if level == Level.DISTRICT and province.structure != "legacy":
        raise error("level", _("Units from 1 July 2025 have no districts."), "invalid")
    if data["status"] == "all":
        user = request.user
        if not getattr(user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        if not (user.is_superuser or Assignment.objects.filter(
            user=user, role__in=(Role.DEPARTMENT_STAFF, Role.ADMIN), unit=province
        ).exists()):
            raise exceptions.PermissionDenied(_("Only the province's department staff can see numbers of lists not yet approved."))
    return survey_round, unit, data


AGGREGATE_ERRORS = {**{k: v for k, v in ERROR_RESPONSES.items() if k != 404}, **THROTTLED_RESPONSE}


@extend_schema(
    summary=_("Poverty rates per unit"),
    description=_(
        "For a round and a unit (province, district or commune, GSO code in the round's structure), one row per unit "
        "of `level` under it: total households (the denominator), poor (of which poverty-reduction target and "
        "social protection), near-poor, with rates in percent as strings with two decimals, rounded half up from "
        "the integer counts. By default only approved commune lists count (`communes_included` says how many); "
        "`status=all` (department staff of the province) shows live numbers including drafts. Aggregates only: "
        "no personal data. The API reader role may call it; anonymous callers only when the deployment publishes rates."
    ),
    parameters=aggregate_parameters(with_kind=False),
    responses={200: RatesResponseSerializer, **AGGREGATE_ERRORS},
    examples=[
        OpenApiExample(
            "Binh Duong 2017",
            response_only=True,
            value={
                "round": "BD-2017", "unit": "74", "level": "province", "status": "approved", "count": 1,
                "results": [{
                    "unit_code": "74", "unit_name": "Tỉnh Bình Dương", "level": "province", "total_households": 294573,
                    "poor": 3206, "poor_rate": "1.09", "poverty_reduction": 1989, "poverty_reduction_rate": "0.68",
                    "social_protection": 1217, "social_protection_rate": "0.41", "near_poor": 2883, "near_poor_rate": "0.98",
                    "poor_persons": 11790, "near_poor_persons": 10230, "communes": 91, "communes_included": 91,
                }],
                "total": {
                    "unit_code": "74", "unit_name": "Tỉnh Bình Dương", "level": "province", "total_households": 294573,
                    "poor": 3206, "poor_rate": "1.09", "poverty_reduction": 1989, "poverty_reduction_rate": "0.68",
                    "social_protection": 1217, "social_protection_rate": "0.41", "near_poor": 2883, "near_poor_rate": "0.98",
                    "poor_persons": 11790, "near_poor_persons": 10230, "communes": 91, "communes_included": 91,
                },
            },
        )
    ],
    auth=[{"tokenAuth": []}, {"cookieAuth": []}, {}],
)
class RatesView(APIView):
    """Rates per unit for a round, from approved lists unless staff ask for live numbers."""

    permission_classes = [AggregateReader]
    throttle_classes = [AnonRateThrottle]

    def get(self, request):
        survey_round, unit, data = _resolve_aggregate_query(request, RatesQuerySerializer)
        rows = rates_for(round=survey_round, unit=unit, level=data["level"], status=data["status"])
        return Response(
            {
                "round": survey_round.code, "unit": unit.code, "level": data["level"], "status": data["status"],
                "count": len(rows), "results": [r.as_dict() for r in rows], "total": rates_total(rows, unit=unit).as_dict(),
            }
        )


@extend_schema(
    summary=_("Flows of poor or near-poor households per unit"),
    description=_(
        "Compares the round with its previous round, per unit of `level`: start (in the category before), out "
        "(escaped to near-poor, escaped above near-poor, other out: moved away, merged, dissolved or not reassessed), "
        "in (near-poor to poor, re-poor: poor in an earlier round, newly poor: never poor before, other in: moved in), "
        "end; start - out_total + in_total = end. `kind=near_poor` gives the same for near-poor households. "
        "Same access and `status` rules as rates. Aggregates only: no personal data."
    ),
    parameters=aggregate_parameters(with_kind=True),
    responses={200: FlowsResponseSerializer, **AGGREGATE_ERRORS},
    examples=[
        OpenApiExample(
            "A commune",
            response_only=True,
            value={
                "round": "BD-2024", "previous_round": "BD-2023", "unit": "25747", "level": "commune", "status": "approved",
                "kind": "poor", "count": 1,
                "results": [{
                    "unit_code": "25747", "unit_name": "Phường Phú Cường", "level": "commune", "start": 12,
                    "escaped_to_near_poor": 3, "escaped_above_near_poor": 1, "other_out": 1, "out_total": 5,
                    "near_poor_to_poor": 2, "re_poor": 1, "newly_poor": 1, "other_in": 0, "in_total": 4, "end": 11,
                    "communes": 1, "communes_included": 1,
                }],
                "total": {
                    "unit_code": "25747", "unit_name": "Phường Phú Cường", "level": "commune", "start": 12,
                    "escaped_to_near_poor": 3, "escaped_above_near_poor": 1, "other_out": 1, "out_total": 5,
                    "near_poor_to_poor": 2, "re_poor": 1, "newly_poor": 1, "other_in": 0, "in_total": 4, "end": 11,
                    "communes": 1, "communes_included": 1,
                },
            },
        )
    ],
    auth=[{"tokenAuth": []}, {"cookieAuth": []}, {}],
)
class FlowsView(APIView):
    """Poor (or near-poor) flows per unit between a round and its previous round."""

    permission_classes = [AggregateReader]
    throttle_classes = [AnonRateThrottle]

    def get(self, request):
        survey_round, unit, data = _resolve_aggregate_query(request, FlowsQuerySerializer)
        rows = flows_for(round=survey_round, unit=unit, level=data["level"], status=data["status"], kind=data["kind"])
        return Response(
            {
                "round": survey_round.code,
                "previous_round": survey_round.previous_round.code if survey_round.previous_round else None,
                "unit": unit.code, "level": data["level"], "status": data["status"], "kind": data["kind"],
                "count": len(rows), "results": rows, "total": flows_total(rows, unit=unit, kind=data["kind"]),
            }
        )
