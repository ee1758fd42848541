"""Assessments: list, read, create (409 when one exists), update with the version read, their audit trail."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.access_log import note_access
from core.api import (
    ERROR_RESPONSES,
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    Pagination,
    UserFilterBackend,
    error,
    etag,
    expected_version,
    page_parameters,
)
from core.api_audit import AuditPageSerializer, AuditTrailMixin
from core.models import AccessChannel
from core.permissions import PersonalDataRole
from households.models import Household
from offline.idempotency import IDEMPOTENCY_KEY, idempotent
from surveys.api.common import HOUSEHOLD_PATH, ROUND_PATH
from surveys.api.examples import ASSESSMENT_EXAMPLE, ASSESSMENT_READ_EXAMPLE
from surveys.api.serializers import AssessmentCreateSerializer, AssessmentSerializer, AssessmentWriteSerializer
from surveys.filters import AssessmentFilterSet
from surveys.models import Assessment, Indicator, StandardResult, SurveyRound
from surveys.services import assessment_create, assessment_update


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
        parameters=[ROUND_PATH, HOUSEHOLD_PATH, IF_MATCH, IDEMPOTENCY_KEY],
        request=AssessmentWriteSerializer,
        responses={200: AssessmentSerializer, **WRITE_ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Income corrected", value={"income_per_capita": 1350000, "deprived": ["WATER"], "version": 2}, request_only=True
            )
        ],
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
                Prefetch(
                    "standard_results",
                    queryset=StandardResult.objects.select_related("criteria_set").order_by("criteria_set__code"),
                ),
            )
            .order_by("round__code", "household__code")
        )

    def get_object(self):
        obj = (
            self.get_queryset()
            .filter(round__code=self.kwargs["round_code"], household__code=self.kwargs["household_code"])
            .first()
        )
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
            actor=request.user,
            household=household,
            round=survey_round,
            income_per_capita=data.get("income_per_capita"),
            score_a=data.get("score_a"),
            deprived=data["deprived"],
            reason=data.get("reason", ""),
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
            actor=request.user,
            household=assessment.household,
            round=assessment.round,
            income_per_capita=data.get("income_per_capita"),
            score_a=data.get("score_a"),
            deprived=data["deprived"],
            expected_version=version,
            reason=data.get("reason", ""),
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
