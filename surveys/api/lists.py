"""Commune lists and their transitions, hamlet meetings, postings and recognition decisions."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

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
from core.api_audit import AuditEventSerializer, AuditPageSerializer
from core.models import AuditEvent
from core.permissions import PersonalDataRole
from households.models import AdminUnit, Level
from surveys.api.common import LIST_PATH
from surveys.api.list_steps import CommuneListStepsMixin
from surveys.api.serializers_lists import (
    CommuneListCreateSerializer,
    CommuneListDetailSerializer,
    CommuneListSerializer,
    ListEntrySerializer,
    TransitionSerializer,
)
from surveys.approval.selectors import current_list
from surveys.approval.services import (
    commune_list_approve,
    commune_list_get_or_create,
    commune_list_open_revision,
    commune_list_return,
    commune_list_review,
    commune_list_submit,
)
from surveys.filters import CommuneListFilterSet
from surveys.models import CommuneList, ListStatus, SurveyRound


def _transition_schema(summary, description, example):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[*LIST_PATH, IF_MATCH],
        request=TransitionSerializer,
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
class CommuneListViewSet(CommuneListStepsMixin, viewsets.GenericViewSet):
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
        obj = (
            self.get_queryset()
            .filter(round__code=self.kwargs["round_code"], commune__code=self.kwargs["commune_code"], is_current=True)
            .first()
        )
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
        kwargs = {
            "actor": request.user,
            "commune_list": commune_list,
            "expected_version": version,
            "reason": data.get("reason", ""),
        }
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
        _("Review the list (district)"),
        _("The district gives its opinion on a submitted list (rounds with districts only)."),
        {"version": 4},
    )
    def review(self, request, *args, **kwargs):
        return self._transition(request, commune_list_review)

    @_transition_schema(
        _("Approve the list (department)"),
        _("Approves and freezes the list's counts: the numbers approved rates read."),
        {"version": 5},
    )
    def approve(self, request, *args, **kwargs):
        return self._transition(request, commune_list_approve)

    @_transition_schema(
        _("Return the list to the commune"),
        _("A reviewing level sends the list back with a reason (required)."),
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
        revisions = CommuneList.objects.filter(round_id=current.round_id, commune_id=current.commune_id).values_list(
            "pk", flat=True
        )
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
        parameters=[
            *LIST_PATH,
            OpenApiParameter(
                "revision",
                {"type": "integer", "minimum": 1, "maximum": 9999},
                required=False,
                description=_("An approved revision number."),
            ),
        ],
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
