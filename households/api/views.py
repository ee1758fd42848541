"""API for units and households: thin viewsets; reads start from visible_to(user), writes call services."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
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
from households.api.filters import UnitFilterSet
from households.api.serializers import (
    HouseholdCreateSerializer,
    HouseholdSerializer,
    HouseholdStatusSerializer,
    HouseholdWriteSerializer,
    UnitSerializer,
)
from households.filters import HouseholdFilterSet
from households.models import AdminUnit, Household, Member, communes_visible_to
from households.services import household_create, household_set_status, household_update
from offline.idempotency import IDEMPOTENCY_KEY, idempotent

# Any segment reaches the view, so an unknown code gets the API's JSON 404, not the site's HTML one.
CODE_REGEX = r"[^/]+"

HOUSEHOLD_CODE_PATH = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description=_("Household code."),
    examples=[OpenApiExample("Demo household", value="25747-0001")],
)
UNIT_CODE_PATH = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description=_("GSO code of the unit."),
    examples=[OpenApiExample("Province", value="74"), OpenApiExample("Commune", value="25747")],
)

# The shared FilterSet's `round` takes a round code; tell the schema so (it cannot infer it from a method filter).
extend_schema_field(OpenApiTypes.STR)(HouseholdFilterSet.base_filters["round"])


def resolve_commune(user, code: str, field: str = "commune") -> AdminUnit:
    """A commune the user may see, by GSO code (preferring the structure in force when both hold the code)."""
    communes = list(communes_visible_to(user).filter(code=str(code).strip()).order_by("valid_to")[:2])
    if not communes:
        raise exceptions.ValidationError(
            {field: [exceptions.ErrorDetail(_("Unknown commune %(code)s.") % {"code": code}, code="unknown")]}
        )
    in_force = [c for c in communes if c.valid_to is None]
    return in_force[0] if in_force else communes[0]


UNIT_EXAMPLE = {
    "code": "25747",
    "name": "Phường Phú Cường",
    "level": "commune",
    "kind": "ward",
    "area_type": "urban",
    "structure": "legacy",
    "parent": "718",
    "valid_from": None,
    "valid_to": "2025-06-30",
    "successors": [],
}
HOUSEHOLD_READ_EXAMPLE = {
    "code": "25747-0001",
    "commune": "25747",
    "commune_name": "Phường Phú Cường",
    "hamlet": "Khu phố 1",
    "head_name": "Nguyễn Văn Hùng",
    "address": "12 Khu phố 1",
    "status": "active",
    "merged_into": None,
    "version": 2,
    "created_at": "2024-09-03T08:15:00+07:00",
    "updated_at": "2024-10-01T14:02:00+07:00",
    "members": [
        {
            "full_name": "Nguyễn Văn Hùng",
            "sex": "M",
            "birth_year": 1980,
            "relation": "head",
            "citizen_id": "074080000001",
            "ethnicity": "Kinh",
            "ethnic_group": "01",
            "able_to_work": True,
            "social_protection": False,
            "merit": False,
            "disability": False,
        }
    ],
}
HOUSEHOLD_EXAMPLE = {
    "code": "25747-000123",
    "commune": "25747",
    "hamlet": "Khu phố 1",
    "head_name": "Nguyễn Văn Hùng",
    "address": "12 Đường số 3",
    "members": [
        {"full_name": "Nguyễn Văn Hùng", "sex": "M", "birth_year": 1980, "relation": "head", "able_to_work": True},
        {"full_name": "Trần Thị Mai", "sex": "F", "birth_year": 1984, "relation": "spouse", "able_to_work": True},
    ],
}


@extend_schema_view(
    list=extend_schema(
        summary=_("List administrative units"),
        description=_("Provinces, districts and communes with GSO codes; filter by structure, level, parent or `under`."),
        responses={200: UnitSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary=_("One administrative unit by GSO code"),
        description=_(
            "A code is unique within a structure (`legacy` before 1 July 2025, `2025` after). "
            "When both structures hold the code, pass `structure`."
        ),
        parameters=[UNIT_CODE_PATH, OpenApiParameter("structure", str, enum=["legacy", "2025"], required=False)],
        responses={200: UnitSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("A ward", value=UNIT_EXAMPLE, response_only=True)],
    ),
)
class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative units: public facts, readable by every signed-in caller."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    filter_backends = [UserFilterBackend]
    pagination_class = Pagination
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX

    def get_queryset(self):
        return (
            AdminUnit.objects.visible_to(self.request.user)
            .select_related("parent")
            .prefetch_related(Prefetch("successors", queryset=AdminUnit.objects.only("id", "code")))
            .order_by("structure", "code")
        )

    def get_object(self):
        units = self.get_queryset().filter(code=self.kwargs["code"])
        structure = self.request.query_params.get("structure")
        if structure is not None:
            if structure not in ("legacy", "2025"):
                raise error("structure", _("Use legacy or 2025."), "invalid_choice")
            units = units.filter(structure=structure)
        found = list(units[:2])
        if not found:
            raise exceptions.NotFound()
        if len(found) > 1:
            raise error(
                "structure", _("This code exists in both structures; pass structure=legacy or structure=2025."), "ambiguous"
            )
        return found[0]


@extend_schema_view(
    list=extend_schema(
        summary=_("List households"),
        description=_(
            "Households of the communes the caller covers, with members. Filters are shared with the web list: "
            "`unit` (and everything under it), `round` with `category`/`group`, `status`, `hamlet`, `q`."
        ),
        responses={200: HouseholdSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary=_("One household by code"),
        description=_("Includes members. The ETag header carries the version to send back when changing it."),
        parameters=[HOUSEHOLD_CODE_PATH],
        responses={200: HouseholdSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("A household", value=HOUSEHOLD_READ_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary=_("Register a household"),
        description=_("Creates the household with its members (and its hamlet when new). Audited."),
        request=HouseholdCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: HouseholdSerializer, **WRITE_ERROR_RESPONSES},
        examples=[OpenApiExample("New household", value=HOUSEHOLD_EXAMPLE, request_only=True)],
    ),
    partial_update=extend_schema(
        summary=_("Change a household"),
        description=_(
            "Changes the given fields; `members`, when given, replaces the whole member list and recomputes the "
            "household's assessments in open rounds. Send the version you read (`version` or If-Match): "
            "a stale version answers 409 and changes nothing."
        ),
        request=HouseholdWriteSerializer,
        parameters=[HOUSEHOLD_CODE_PATH, IF_MATCH],
        responses={200: HouseholdSerializer, **WRITE_ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "New head and address", value={"head_name": "Trần Thị Mai", "address": "5 Hẻm 2", "version": 3}, request_only=True
            )
        ],
    ),
)
class HouseholdViewSet(AuditTrailMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Households with members; personal data, so only roles that may read it, and only their units."""

    permission_classes = [IsAuthenticated, PersonalDataRole]
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilterSet
    filter_backends = [UserFilterBackend]
    pagination_class = Pagination
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Household.objects.visible_to(self.request.user)
            .select_related("commune", "hamlet", "merged_into")
            .prefetch_related(
                Prefetch("members", queryset=Member.objects.select_related("ethnic_group").order_by("position", "id"))
            )
            .order_by("code")
        )

    def _respond(self, household: Household, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=household.pk)
        return Response(
            HouseholdSerializer(fresh, context=self.get_serializer_context()).data,
            status=status_code,
            headers={"ETag": etag(fresh.version)},
        )

    def retrieve(self, request, *args, **kwargs):
        household = self.get_object()
        note_access(request, [household.pk], AccessChannel.API)
        return Response(self.get_serializer(household).data, headers={"ETag": etag(household.version)})

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        note_access(request, [h.pk for h in page], AccessChannel.API)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @idempotent
    def create(self, request, *args, **kwargs):
        write = HouseholdCreateSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = write.validated_data
        commune = resolve_commune(request.user, data["commune"])
        household = household_create(
            actor=request.user,
            code=data["code"],
            commune=commune,
            hamlet_name=data.get("hamlet") or "",
            head_name=data["head_name"],
            address=data.get("address", ""),
            members=write.member_data(data["members"]),
        )
        return self._respond(household, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        household = self.get_object()
        write = HouseholdWriteSerializer(instance=household, data=request.data, partial=True)
        write.is_valid(raise_exception=True)
        data = write.validated_data
        version = expected_version(request, data)
        fields: dict = {k: data[k] for k in ("head_name", "address") if k in data}
        commune = household.commune
        if "commune" in data:
            commune = resolve_commune(request.user, data["commune"])
            if commune.pk != household.commune_id:
                fields["commune"] = commune
                fields.setdefault("hamlet", None)
        members = write.member_data(data["members"]) if "members" in data else None
        if "hamlet" in data:
            fields.pop("hamlet", None)
            fields["hamlet_name"] = data["hamlet"] or ""
        household = household_update(
            actor=request.user,
            household=household,
            expected_version=version,
            members=members,
            reason=data.get("reason", ""),
            **fields,
        )
        return self._respond(household)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        summary=_("Mark a household moved, merged, dissolved or active"),
        description=_("Households are never deleted. A reason is required; for a merge, name the household it merged into."),
        request=HouseholdStatusSerializer,
        parameters=[HOUSEHOLD_CODE_PATH],
        responses={200: HouseholdSerializer, **WRITE_ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Moved away", value={"status": "moved", "reason": "Moved to Bình Phước", "version": 2}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, *args, **kwargs):
        household = self.get_object()
        payload = HouseholdStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        version = expected_version(request, data)
        merged_into = None
        if data.get("merged_into"):
            merged_into = Household.objects.visible_to(request.user).filter(code=data["merged_into"]).first()
            if merged_into is None:
                raise error("merged_into", _("Unknown household %(code)s.") % {"code": data["merged_into"]}, "unknown")
        household = household_set_status(
            actor=request.user,
            household=household,
            status=data["status"],
            reason=data["reason"],
            merged_into=merged_into,
            expected_version=version,
        )
        return self._respond(household)

    @extend_schema(
        summary=_("Audit trail of a household"),
        description=_("Who changed what and when, newest first."),
        responses={200: AuditPageSerializer, **ERROR_RESPONSES},
        parameters=[HOUSEHOLD_CODE_PATH, *page_parameters()],
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="audit", filter_backends=[])
    def audit(self, request, *args, **kwargs):
        return self.audit_response(request, self.get_object())
