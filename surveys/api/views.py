import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.access_log import note_access
from core.api import (
    ERROR_RESPONSES,
    IF_MATCH,
    THROTTLED_RESPONSE,
    WRITE_ERROR_RESPONSES,
    Pagination,
    UserFilterBackend,
    error,
    etag,
    expected_version,
    page_parameters,
)
from core.models import AccessChannel, AuditEvent
from core.permissions import AggregateReader, PersonalDataRole
from core.routers import reads_replica
from households.api.serializers import AuditEventSerializer
from households.api.views import AuditPageSerializer, AuditTrailMixin
from households.models import AdminUnit, Hamlet, Household, Level
from offline.idempotency import IDEMPOTENCY_KEY, idempotent
from surveys.api.serializers import (
    AssessmentCreateSerializer,
    AssessmentSerializer,
    AssessmentWriteSerializer,
    BulkRequestSerializer,
    BulkResponseSerializer,
    ClassifyRequestSerializer,
    ClassifyResponseSerializer,
    CommuneListCreateSerializer,
    CommuneListDetailSerializer,
    CommuneListSerializer,
    CriteriaSetSerializer,
    FlowsQuerySerializer,
    FlowsResponseSerializer,
    HamletMeetingSerializer,
    HamletMeetingWriteSerializer,
    ListEntrySerializer,
    PublicPostingSerializer,
    PublicPostingWriteSerializer,
    RatesAsOfQuerySerializer,
    RatesResponseSerializer,
    RecognitionWriteSerializer,
    RoundSerializer,
    TransitionSerializer,
)
from surveys.approval.decisions import recognition_record
from surveys.approval.selectors import bulk_items, current_list
from surveys.approval.services import (
    commune_list_approve,
    commune_list_get_or_create,
    commune_list_open_revision,
    commune_list_return,
    commune_list_review,
    commune_list_submit,
    commune_lists_bulk,
)
from surveys.approval.steps import hamlet_meeting_record, public_posting_record
from surveys.approved_cache import cached_approved
from surveys.filters import AssessmentFilterSet
from surveys.models import (
    Assessment,
    CommuneList,
    CriteriaSet,
    HamletMeeting,
    Indicator,
    ListStatus,
    PublicPosting,
    Rule,
    StandardResult,
    SurveyRound,
)
from surveys.reports.flows import flows_for, flows_total
from surveys.reports.rates import can_see_live, read_criteria, read_structure, unit_read_in
from surveys.selectors import rates_for, rates_total
from surveys.services import assessment_create, assessment_update, preview


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
            ),
            OpenApiExample(
                "Rural household scored by Circular 07: score A 132, 4 deprivations",
                value={
                    "criteria_set": "VN-2022", "area": "rural", "score_a": 132,
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
            criteria_set=data["criteria_set"], area=data["area"], income_per_capita=data.get("income_per_capita"),
            score_a=data.get("score_a"), deprived=data["deprived"], members=[dict(m) for m in data["members"]],
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
        OpenApiParameter("round", {"type": "string", "minLength": 1, "maxLength": 40}, required=True, description=_("Round code."),
                         examples=[OpenApiExample("Approved demo round", value="BD-2023")]),
        OpenApiParameter("unit", {"type": "string", "minLength": 1, "maxLength": 10}, required=True,
                         description=_("GSO code of the province, district or commune, in the round's unit structure."),
                         examples=[OpenApiExample("Binh Duong", value="74")]),
        OpenApiParameter("level", str, required=True, enum=["province", "district", "commune"],
                         description=_("One row per unit of this level at or under `unit`.")),
        OpenApiParameter("status", str, required=False, enum=["approved", "all"], default="approved",
                         description=_("approved: only approved lists; all: live numbers incl. drafts (the province's department staff).")),
        OpenApiParameter("decimals", {"type": "integer", "minimum": 0, "maximum": 6}, required=False, default=2,
                         description=_("Decimals of the rates, 0 to 6 (default 2), rounded half up from the integer counts.")),
        OpenApiParameter("structure", str, required=False, enum=["legacy", "2025"],
                         description=_("2025: read a legacy round in today's units (each household in the commune it was "
                                       "re-homed to; `unit` is then a unit of 2025).")),
        OpenApiParameter("criteria", {"type": "string", "minLength": 1, "maxLength": 32}, required=False,
                         description=_("Code of one of the round's standards: the official set (the default) or an additional one, "
                                       "such as a province's own standard. Flows follow the official set only.")),
    ]
    if with_kind:
        parameters.append(OpenApiParameter("kind", str, required=False, enum=["poor", "near_poor"], default="poor",
                                           description=_("Flows of poor or of near-poor households.")))
    else:
        parameters.append(OpenApiParameter(
            "as_of", {"type": "string", "format": "date"}, required=False,
            description=_("Rates of the list in force on this date: the latest approved lists plus the monthly review's "
                          "decisions up to it (approved data, the round's own units)."),
        ))
    return parameters
LEVEL_RANK = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2}


@extend_schema_view(
    list=extend_schema(summary=_("List survey rounds"), description=_("Newest first."), responses={200: RoundSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(
        summary=_("One survey round by code"), parameters=[ROUND_CODE_PATH], responses={200: RoundSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("Demo round", response_only=True, value={
            "code": "BD-2024", "year": 2024, "kind": "periodic", "criteria_set": "VN-2022", "province": "74",
            "province_name": "Tỉnh Bình Dương", "structure": "legacy", "starts_on": "2024-09-01", "ends_on": "2024-12-14",
            "reference_date": "2024-09-01", "previous_round": "BD-2023", "previous_rounds": ["BD-2023"], "is_open": True,
        })],
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
        SurveyRound.objects.select_related("criteria_set", "province").prefetch_related("previous_rounds", "additional_sets")
        .order_by("-year", "code")
    )


ASSESSMENT_READ_EXAMPLE = {
    "round": "BD-2024", "household": "25747-0001", "head_name": "Nguyễn Văn Hùng", "criteria_set": "VN-2022",
    "commune": "25747", "hamlet": "Khu phố 1", "area_type": "urban", "income_per_capita": 1800000,
    "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE"], "member_count": 4, "able_to_work_count": 2,
    "social_protection_count": 0, "category": "poor", "group": "poverty_reduction", "deprived_count": 3,
    "explanation": "Thu nhập 1.800.000 ≤ chuẩn 2.000.000 (thành thị) và thiếu hụt 3 chỉ số ≥ 3: hộ nghèo.",
    "explanation_vi": "Thu nhập 1.800.000 ≤ chuẩn 2.000.000 (thành thị) và thiếu hụt 3 chỉ số ≥ 3: hộ nghèo.",
    "explanation_en": "Income 1,800,000 ≤ line 2,000,000 (urban) and 3 deprivations ≥ 3: poor.",
    "version": 1, "created_at": "2024-09-20T09:00:00+07:00", "updated_at": "2024-09-20T09:00:00+07:00",
}
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
        request=AssessmentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: AssessmentSerializer, **WRITE_ERROR_RESPONSES},
        examples=[OpenApiExample("Assess", value=ASSESSMENT_EXAMPLE, request_only=True)],
    ),
    retrieve=extend_schema(
        summary=_("One household's assessment in a round"),
        description=_("The ETag header carries the version to send back when changing it."),
        parameters=[ROUND_PATH, HOUSEHOLD_PATH],
        responses={200: AssessmentSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("A poor household", value=ASSESSMENT_READ_EXAMPLE, response_only=True)],
    ),
    update=extend_schema(
        summary=_("Change an assessment's inputs"),
        description=_(
            "Replaces income per capita and the deprived indicators and reclassifies. Send the version you read "
            "(`version` or If-Match); a stale version answers 409 and changes nothing."
        ),
        parameters=[
            ROUND_PATH, HOUSEHOLD_PATH,
            IF_MATCH, IDEMPOTENCY_KEY,
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
            .prefetch_related(
                Prefetch("deprived_indicators", queryset=Indicator.objects.only("id", "code").order_by("position", "code")),
                Prefetch("standard_results", queryset=StandardResult.objects.select_related("criteria_set").order_by("criteria_set__code")),
            )
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
        note_access(request, [a.household_id for a in page], AccessChannel.API)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        assessment = self.get_object()
        note_access(request, [assessment.household_id], AccessChannel.API)
        return Response(self.get_serializer(assessment).data, headers={"ETag": etag(assessment.version)})

    @idempotent
    def create(self, request, *args, **kwargs):
        write = AssessmentCreateSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = write.validated_data
        survey_round = SurveyRound.objects.select_related("province", "criteria_set").filter(code=data["round"]).first()
        if survey_round is None:
            raise error("round", _("Unknown round %(code)s.") % {"code": data["round"]}, "unknown")
        household = Household.objects.visible_to(request.user).filter(code=data["household"]).first()
        if household is None:
            raise error("household", _("Unknown household %(code)s.") % {"code": data["household"]}, "unknown")
        assessment = assessment_create(
            actor=request.user, household=household, round=survey_round, income_per_capita=data.get("income_per_capita"),
            score_a=data.get("score_a"), deprived=data["deprived"], reason=data.get("reason", ""),
        )
        return self._respond(assessment, status.HTTP_201_CREATED)

    @idempotent
    def update(self, request, *args, **kwargs):
        assessment = self.get_object()
        write = AssessmentWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = write.validated_data
        for field, current in (("round", assessment.round.code), ("household", assessment.household.code)):
            if data.get(field) not in (None, current):
                raise error(field, _("Does not match the address of this assessment."), "mismatch")
        version = expected_version(request, data)
        assessment = assessment_update(
            actor=request.user, household=assessment.household, round=assessment.round,
            income_per_capita=data.get("income_per_capita"), score_a=data.get("score_a"), deprived=data["deprived"],
            expected_version=version, reason=data.get("reason", ""),
        )
        return self._respond(assessment)

    @extend_schema(
        summary=_("Audit trail of an assessment"),
        description=_("Who changed what and when, newest first."),
        parameters=[ROUND_PATH, HOUSEHOLD_PATH, *page_parameters()],
        responses={200: AuditPageSerializer, **ERROR_RESPONSES},
        filters=False,
    )
    def audit(self, request, *args, **kwargs):
        return self.audit_response(request, self.get_object())


def _resolve_aggregate_query(request, serializer_class):
    """Validated round, unit, level, status, decimals and structure for rates and flows; every bad input is a
    400 naming it."""
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    survey_round = (
        SurveyRound.objects.select_related("province", "criteria_set").prefetch_related("previous_rounds", "additional_sets")
        .filter(code=data["round"]).first()
    )
    if survey_round is None:
        raise error("round", _("Unknown round %(code)s.") % {"code": data["round"]}, "unknown")
    try:
        structure = read_structure(survey_round, data.get("structure"))
        unit = unit_read_in(survey_round, data["unit"], structure)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise error(field, messages[0], "invalid")
    data["structure"] = structure
    try:
        data["criteria_set"] = read_criteria(survey_round, data.get("criteria"), structure=structure)
    except ValidationError as exc:
        problem = exc.error_dict["criteria"][0]
        raise error("criteria", problem.messages[0], problem.code or "invalid")
    if unit is None:
        raise error("unit", _("%(code)s is not a unit of the round's province.") % {"code": data["unit"]}, "unknown")
    level = data["level"]
    if LEVEL_RANK[level] < LEVEL_RANK[unit.level]:
        raise error("level", _("The level must be at or below the unit's level (%(level)s).") % {"level": unit.level}, "invalid")
    if level == Level.DISTRICT and unit.structure != "legacy":
        raise error("level", _("Units from 1 July 2025 have no districts."), "invalid")
    if data["status"] == "all":
        user = request.user
        if not getattr(user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        if not can_see_live(user, survey_round):
            raise exceptions.PermissionDenied(_("Only the province's department staff can see numbers of lists not yet approved."))
    return survey_round, unit, data


AGGREGATE_ERRORS = {**{k: v for k, v in ERROR_RESPONSES.items() if k != 404}, **THROTTLED_RESPONSE}


@extend_schema(
    summary=_("Poverty rates per unit"),
    description=_(
        "For a round and a unit (province, district or commune, GSO code in the round's structure), one row per unit "
        "of `level` under it: total households (the denominator), poor (of which poverty-reduction target and "
        "social protection), near-poor, and the same in persons (total persons, persons in poor and in near-poor "
        "households), with rates in percent as strings with two decimals, rounded half up from the integer counts. "
        "By default only approved commune lists count (`communes_included` says how many); "
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
                    "total_persons": 1001548, "poor_persons": 11790, "poor_persons_rate": "1.18", "near_poor_persons": 10230,
                    "near_poor_persons_rate": "1.02", "communes": 91, "communes_included": 91,
                }],
                "total": {
                    "unit_code": "74", "unit_name": "Tỉnh Bình Dương", "level": "province", "total_households": 294573,
                    "poor": 3206, "poor_rate": "1.09", "poverty_reduction": 1989, "poverty_reduction_rate": "0.68",
                    "social_protection": 1217, "social_protection_rate": "0.41", "near_poor": 2883, "near_poor_rate": "0.98",
                    "total_persons": 1001548, "poor_persons": 11790, "poor_persons_rate": "1.18", "near_poor_persons": 10230,
                    "near_poor_persons_rate": "1.02", "communes": 91, "communes_included": 91,
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

    @reads_replica
    def get(self, request):
        return cached_approved(request, kind="rates", compute=lambda: self._get(request))

    def _get(self, request):
        survey_round, unit, data = _resolve_aggregate_query(request, RatesAsOfQuerySerializer)
        decimals = data["decimals"]
        if data.get("as_of"):
            if data["status"] != "approved" or data.get("structure") not in (None, survey_round.province.structure):
                raise error("as_of", _("as_of reads approved lists and decisions in the round's own units only."), "conflicting_parameters")
            if data["criteria_set"] is not None:
                raise error("as_of", _("The list in force follows the round's official standard: as_of does not take criteria."),
                            "conflicting_parameters")
            from surveys.monthly import rates_as_of

            rows = rates_as_of(round=survey_round, unit=unit, level=data["level"], on=data["as_of"], decimals=decimals)
        else:
            rows = rates_for(
                round=survey_round, unit=unit, level=data["level"], status=data["status"], decimals=decimals, structure=data["structure"],
                criteria_set=data["criteria_set"],
            )
        return Response(
            {
                "round": survey_round.code, "unit": unit.code, "level": data["level"], "status": data["status"],
                "criteria": (data["criteria_set"] or survey_round.criteria_set).code,
                "structure": data["structure"] or survey_round.province.structure, "decimals": decimals,
                "count": len(rows), "results": [r.as_dict() for r in rows],
                "total": rates_total(rows, unit=unit, decimals=decimals).as_dict(),
            }
        )


def _decision_json(survey_round: SurveyRound) -> dict | None:
    """The provincial decision that approved a round's result: where the next round's flows start."""
    from surveys.approval.selectors import round_decision

    decision = round_decision(survey_round)
    return {"round": survey_round.code, "number": decision.number, "date": decision.date.isoformat()} if decision else None


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

    @reads_replica
    def get(self, request):
        return cached_approved(request, kind="flows", compute=lambda: self._get(request))

    def _get(self, request):
        survey_round, unit, data = _resolve_aggregate_query(request, FlowsQuerySerializer)
        if data["criteria_set"] is not None:
            raise error("criteria", _("Flows follow the round's official standard (%(code)s) only.") % {"code": survey_round.criteria_set.code},
                        "official_only")
        rows = flows_for(
            round=survey_round, unit=unit, level=data["level"], status=data["status"], kind=data["kind"], structure=data["structure"]
        )
        previous = survey_round.previous_list()
        return Response(
            {
                "round": survey_round.code,
                "previous_round": previous[0].code if previous else None,
                "previous_rounds": [r.code for r in previous],
                "criteria": survey_round.criteria_set.code,
                "start_decision": _decision_json(previous[0]) if previous else None,
                "structure": data["structure"] or survey_round.province.structure,
                "unit": unit.code, "level": data["level"], "status": data["status"], "kind": data["kind"],
                "count": len(rows), "results": rows, "total": flows_total(rows, unit=unit, kind=data["kind"]),
            }
        )


# --- Many commune lists at once -------------------------------------------------------------------

def bulk_outcome_json(outcome) -> dict:
    return {
        "round": outcome.round_code, "commune": outcome.commune_code, "outcome": "done" if outcome.done else "refused",
        "status": outcome.status, "version": outcome.version,
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
        examples=[OpenApiExample("Approve two lists", request_only=True, value={
            "action": "approve", "lists": [{"round": "HCM-2026", "commune": "25747", "version": 5},
                                           {"round": "HCM-2026", "commune": "25750", "version": 4}]})],
    )
    def post(self, request):
        payload = BulkRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        wanted = [(item["round"], item["commune"], item.get("version")) for item in data["lists"]]
        try:
            outcomes = commune_lists_bulk(
                actor=request.user, action=data["action"], reason=data.get("reason", ""),
                items=bulk_items(user=request.user, wanted=wanted),
            )
        except ValidationError as exc:
            field, problems = next(iter(exc.error_dict.items()))
            raise error(field, problems[0].messages[0], problems[0].code or "invalid")
        results = [bulk_outcome_json(o) for o in outcomes]
        done = sum(1 for o in outcomes if o.done)
        return Response({"action": data["action"], "done": done, "refused": len(outcomes) - done, "results": results})


# --- Commune lists and their transitions --------------------------------------------------------

class CommuneListFilterSet(django_filters.FilterSet):
    round = django_filters.ModelChoiceFilter(queryset=SurveyRound.objects.all(), to_field_name="code", label=_("Round"))
    unit = django_filters.CharFilter(method="filter_unit", label=_("Unit code (and everything under it)"))
    status = django_filters.ChoiceFilter(choices=ListStatus.choices, label=_("Status"))
    ordering = django_filters.OrderingFilter(
        fields=(("commune__code", "commune"), ("status", "status"), ("revision", "revision")), label=_("Order by")
    )

    class Meta:
        model = CommuneList
        fields = ["round", "unit", "status"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def filter_unit(self, queryset, name, value):
        units = AdminUnit.objects.filter(code=value.strip())
        return queryset.filter(Q(commune__in=units) | Q(commune__parent__in=units) | Q(commune__parent__parent__in=units))


COMMUNE_PATH = OpenApiParameter(
    "commune_code", str, OpenApiParameter.PATH, description=_("Commune code (GSO), in the round's unit structure."),
    examples=[OpenApiExample("Demo commune", value="25747")],
)
LIST_PATH = [OpenApiParameter(
    "round_code", str, OpenApiParameter.PATH, description=_("Round code."), examples=[OpenApiExample("Demo round", value="BD-2024")],
), COMMUNE_PATH]


def _transition_schema(summary, description, example):
    return extend_schema(
        summary=summary, description=description, parameters=[*LIST_PATH, IF_MATCH], request=TransitionSerializer,
        responses={200: CommuneListDetailSerializer, **WRITE_ERROR_RESPONSES},
        examples=[OpenApiExample("Transition", value=example, request_only=True)],
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("List commune lists"),
        description=_("The current revision of each commune's list in the caller's units; filter by round, unit, status."),
        responses={200: CommuneListSerializer(many=True), **ERROR_RESPONSES},
    ),
    create=extend_schema(
        summary=_("Start a commune's list for a round"),
        description=_("Returns the current list (200), or creates a draft revision 1 (201) when the commune has none yet."),
        request=CommuneListCreateSerializer,
        responses={200: CommuneListDetailSerializer, 201: CommuneListDetailSerializer, **WRITE_ERROR_RESPONSES},
        examples=[OpenApiExample("Start", value={"round": "BD-2024", "commune": "25747"}, request_only=True)],
    ),
    retrieve=extend_schema(
        summary=_("The current list of a commune in a round"),
        description=_("Status, who acted when, frozen counts once approved, and the transitions the caller may try."),
        parameters=LIST_PATH,
        responses={200: CommuneListDetailSerializer, **ERROR_RESPONSES},
    ),
)


class CommuneListViewSet(viewsets.GenericViewSet):
    """Commune lists (the unit of approval): read, start, and move through submit → review → approve or return."""

    permission_classes = [IsAuthenticated, PersonalDataRole]
    serializer_class = CommuneListSerializer
    filterset_class = CommuneListFilterSet
    filter_backends = [UserFilterBackend]
    pagination_class = Pagination

    def get_queryset(self):
        return (
            CommuneList.objects.visible_to(self.request.user)
            .select_related("round", "round__province", "commune", "submitted_by", "reviewed_by", "approved_by")
            .order_by("round__code", "commune__code", "-revision")
        )

    def get_object(self):
        obj = self.get_queryset().filter(
            round__code=self.kwargs["round_code"], commune__code=self.kwargs["commune_code"], is_current=True
        ).first()
        if obj is None:
            raise exceptions.NotFound()
        return obj

    def _respond(self, commune_list: CommuneList, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=commune_list.pk)
        data = CommuneListDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": etag(fresh.version)})

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset().filter(is_current=True))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object())

    def create(self, request, *args, **kwargs):
        payload = CommuneListCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        survey_round = SurveyRound.objects.select_related("province").filter(code=data["round"]).first()
        if survey_round is None:
            raise error("round", _("Unknown round %(code)s.") % {"code": data["round"]}, "unknown")
        commune = AdminUnit.objects.filter(
            structure=survey_round.province.structure, code=data["commune"], level=Level.COMMUNE
        ).first()
        if commune is None:
            raise error("commune", _("Unknown commune %(code)s.") % {"code": data["commune"]}, "unknown")
        existed = current_list(round=survey_round, commune=commune) is not None
        commune_list = commune_list_get_or_create(actor=request.user, round=survey_round, commune=commune)
        return self._respond(commune_list, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def _transition(self, request, service):
        commune_list = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        version = expected_version(request, data)
        kwargs = {"actor": request.user, "commune_list": commune_list, "expected_version": version, "reason": data.get("reason", "")}
        return self._respond(service(**kwargs))

    @_transition_schema(
        _("Submit the list (commune)"),
        _(
            "The commune's officer or chairman sends the list up once the hamlet meetings and the public posting are "
            "recorded (`meetings/`, `postings/`); otherwise 400 with the missing steps under `procedure`."
        ),
        {"version": 3},
    )
    def submit(self, request, *args, **kwargs):
        return self._transition(request, commune_list_submit)

    @_transition_schema(
        _("Review the list (district)"), _("The district gives its opinion on a submitted list (rounds with districts only)."),
        {"version": 4},
    )
    def review(self, request, *args, **kwargs):
        return self._transition(request, commune_list_review)

    @_transition_schema(
        _("Approve the list (department)"), _("Approves and freezes the list's counts: the numbers approved rates read."),
        {"version": 5},
    )
    def approve(self, request, *args, **kwargs):
        return self._transition(request, commune_list_approve)

    @_transition_schema(
        _("Return the list to the commune"), _("A reviewing level sends the list back with a reason (required)."),
        {"version": 4, "reason": "Hộ 25747-0012 thiếu biên bản họp ấp."},
    )
    def return_list(self, request, *args, **kwargs):
        return self._transition(request, commune_list_return)

    @_transition_schema(
        _("Open a revision of an approved list (department)"),
        _("A correction after approval is a new draft revision; the approved one keeps its numbers. A reason is required."),
        {"version": 6, "reason": "Phúc tra theo khiếu nại."},
    )
    def open_revision(self, request, *args, **kwargs):
        return self._transition(request, commune_list_open_revision)

    @extend_schema(
        summary=_("Audit trail of a commune list"),
        description=_("Every revision's events, newest first."),
        parameters=[*LIST_PATH, *page_parameters()],
        responses={200: AuditPageSerializer, **ERROR_RESPONSES},
        filters=False,
    )
    def audit(self, request, *args, **kwargs):
        current = self.get_object()
        revisions = CommuneList.objects.filter(round_id=current.round_id, commune_id=current.commune_id).values_list("pk", flat=True)
        events = AuditEvent.objects.filter(
            target_type=CommuneList._meta.label_lower, target_id__in=[str(pk) for pk in revisions]
        ).order_by("-created_at", "-id")
        paginator = Pagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(AuditEventSerializer(page, many=True).data)

    # --- procedure steps: hamlet meetings and public postings of the current revision ---

    @extend_schema(
        summary=_("Frozen entries of an approved revision"),
        description=_(
            "One row per household of the commune's approved list, as frozen at approval (category, group, members, "
            "breakdown facts). `revision` picks an approved revision; by default the latest approved one, which stands "
            "while a correction revision is under way. Personal data: the caller's units only."
        ),
        parameters=[*LIST_PATH, OpenApiParameter(
                "revision", {"type": "integer", "minimum": 1, "maximum": 9999}, required=False,
                description=_("An approved revision number."),
            )],
        responses={200: ListEntrySerializer(many=True), **ERROR_RESPONSES},
        filters=False,
    )
    def entries(self, request, *args, **kwargs):
        lists = self.get_queryset().filter(
            round__code=self.kwargs["round_code"], commune__code=self.kwargs["commune_code"], status=ListStatus.APPROVED
        )
        raw = request.query_params.get("revision", "")
        if raw:
            if not raw.isdigit() or not 0 < int(raw) < 10_000:
                raise error("revision", _("A revision is a whole number from 1 to 9999."), "invalid")
            lists = lists.filter(revision=int(raw))
        commune_list = lists.order_by("-revision").first()
        if commune_list is None:
            raise exceptions.NotFound()
        queryset = commune_list.entries.select_related("household", "hamlet", "commune_list").order_by("household__code")
        return self._steps_page(request, queryset, ListEntrySerializer)

    def _steps_page(self, request, queryset, serializer_class):
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=_("Hamlet meetings of the list"),
        description=_(
            "The meetings recorded on the current revision, by hamlet name, latest first within a hamlet (the latest "
            "meeting of a hamlet is the one that counts)."
        ),
        parameters=LIST_PATH,
        responses={200: HamletMeetingSerializer(many=True), **ERROR_RESPONSES},
        filters=False,
    )
    def meetings(self, request, *args, **kwargs):
        commune_list = self.get_object()
        queryset = commune_list.hamlet_meetings.select_related("hamlet", "commune_list", "recorded_by").order_by(
            "hamlet__name", "-held_on", "-id"
        )
        return self._steps_page(request, queryset, HamletMeetingSerializer)

    @extend_schema(
        summary=_("Record a hamlet meeting (commune)"),
        description=_(
            "The commune's officer or chairman records a hamlet meeting on the draft or returned list; the hamlet is "
            "named as registered in the commune. Submission needs, for every hamlet with assessed households, a "
            "latest meeting where at least half of those present agreed; a meeting where fewer agreed is stored and "
            "keeps the list from being submitted until that hamlet meets again."
        ),
        parameters=LIST_PATH,
        request=HamletMeetingWriteSerializer,
        responses={201: HamletMeetingSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Meeting", request_only=True,
                value={"hamlet": "Khu phố 1", "held_on": "2024-10-05", "attendees": 40, "agreeing": 35,
                       "minutes_note": "Thống nhất danh sách hộ nghèo, cận nghèo."},
            ),
            OpenApiExample(
                "Recorded", response_only=True, status_codes=["201"],
                value={"hamlet": "Khu phố 1", "revision": 1, "held_on": "2024-10-05", "attendees": 40, "agreeing": 35,
                       "agreement_percent": "87.5", "is_agreed": True, "minutes_note": "Thống nhất danh sách hộ nghèo, cận nghèo.",
                       "recorded_by": "officer_a", "created_at": "2024-10-05T16:00:00+07:00"},
            ),
        ],
    )
    def record_meeting(self, request, *args, **kwargs):
        commune_list = self.get_object()
        payload = HamletMeetingWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        name = data["hamlet"].strip()
        hamlet = Hamlet.objects.filter(commune_id=commune_list.commune_id, name_key=Hamlet.key(name)).first()
        if hamlet is None:
            raise error("hamlet", _("No hamlet named %(name)s in the commune.") % {"name": name}, "unknown")
        meeting = hamlet_meeting_record(
            actor=request.user, commune_list=commune_list, hamlet=hamlet, held_on=data["held_on"],
            attendees=data["attendees"], agreeing=data["agreeing"], minutes_note=data["minutes_note"],
        )
        fresh = HamletMeeting.objects.select_related("hamlet", "commune_list", "recorded_by").get(pk=meeting.pk)
        return Response(HamletMeetingSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Public postings of the list"),
        description=_("The postings recorded on the current revision, latest end first (the latest one counts)."),
        parameters=LIST_PATH,
        responses={200: PublicPostingSerializer(many=True), **ERROR_RESPONSES},
        filters=False,
    )
    def postings(self, request, *args, **kwargs):
        commune_list = self.get_object()
        queryset = commune_list.postings.select_related("commune_list", "recorded_by").order_by("-ends_on", "-id")
        return self._steps_page(request, queryset, PublicPostingSerializer)

    @extend_schema(
        summary=_("Record the public posting (commune)"),
        description=_(
            "The commune's officer or chairman records where and from when until when the draft or returned list "
            "is posted. Submission needs a posting of enough working days, starting on or after the last hamlet "
            "meeting, and is possible only once the posting has ended."
        ),
        parameters=LIST_PATH,
        request=PublicPostingWriteSerializer,
        responses={201: PublicPostingSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Posting", request_only=True,
                value={"starts_on": "2024-10-07", "ends_on": "2024-10-11", "place": "Trụ sở UBND phường và nhà văn hóa các khu phố"},
            ),
            OpenApiExample(
                "Recorded", response_only=True, status_codes=["201"],
                value={"revision": 1, "starts_on": "2024-10-07", "ends_on": "2024-10-11", "working_days": 5,
                       "place": "Trụ sở UBND phường và nhà văn hóa các khu phố", "recorded_by": "officer_a",
                       "created_at": "2024-10-07T08:00:00+07:00"},
            ),
        ],
    )
    def record_posting(self, request, *args, **kwargs):
        commune_list = self.get_object()
        payload = PublicPostingWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        posting = public_posting_record(
            actor=request.user, commune_list=commune_list, starts_on=data["starts_on"], ends_on=data["ends_on"], place=data["place"],
        )
        fresh = PublicPosting.objects.select_related("commune_list", "recorded_by").get(pk=posting.pk)
        return Response(PublicPostingSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Record the commune chairman's recognition decision"),
        description=_(
            "The decision recognising the list's poor and near-poor households (Decision 24/2021): its number, date "
            "and signer, recorded by the commune's officer or chairman after the public posting and before the "
            "department approves (approval answers 400 naming `recognition` without it). Recording it again corrects it."
        ),
        parameters=LIST_PATH,
        request=RecognitionWriteSerializer,
        responses={200: CommuneListDetailSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("Decision", request_only=True, value={"number": "123/QĐ-UBND", "date": "2024-10-20", "signer": "Nguyễn Văn A"})],
    )
    def record_recognition(self, request, *args, **kwargs):
        commune_list = self.get_object()
        payload = RecognitionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            updated = recognition_record(
                actor=request.user, commune_list=commune_list, number=data["number"], date=data["date"], signer=data["signer"],
            )
        except ValidationError as exc:
            # The service names the model's fields; the API's body names them without the prefix.
            if hasattr(exc, "error_dict"):
                raise ValidationError({k.removeprefix("recognition_"): v for k, v in exc.error_dict.items()}) from exc
            raise
        return Response(CommuneListDetailSerializer(self.get_queryset().get(pk=updated.pk), context=self.get_serializer_context()).data)

