"""API of the monthly review: applications, the chairman's decisions, and the list in force on a date."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access_log import note_access
from core.api import ERROR_RESPONSES, StrictTypes, error, expected_version
from core.models import AccessChannel
from core.permissions import PersonalDataRole
from core.policy import Action, communes_for
from households.filters import StrictBooleanField
from households.models import AdminUnit, Household, Level
from surveys.models import Application, ApplicationKind, ApplicationStatus
from surveys.monthly import application_decide, application_file, list_in_force


class ApplicationSerializer(serializers.ModelSerializer):
    household = serializers.CharField(source="household.code", read_only=True)
    commune = serializers.CharField(source="commune.code", read_only=True)
    round = serializers.CharField(source="round.code", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "household",
            "commune",
            "round",
            "kind",
            "received_on",
            "due_on",
            "overdue",
            "status",
            "note",
            "decision_number",
            "decided_on",
            "category",
            "group",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class ApplicationWriteSerializer(StrictTypes, serializers.Serializer):
    household = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=ApplicationKind.choices)
    received_on = serializers.DateField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DecisionWriteSerializer(StrictTypes, serializers.Serializer):
    recognise = serializers.BooleanField(help_text=_("true: recognised as applied for; false: not recognised."))
    number = serializers.CharField(max_length=50)
    decided_on = serializers.DateField()
    version = serializers.IntegerField(min_value=1, required=False)


def _applications(user):
    return Application.objects.filter(commune__in=communes_for(user, Action.VIEW)).select_related("household", "commune", "round")


class ApplicationListView(APIView):
    permission_classes = [PersonalDataRole]

    @extend_schema(
        summary=_("Monthly review applications"),
        description=_("Applications (Form 04) in the caller's communes, newest first; `status` and `overdue=true` filter them."),
        parameters=[OpenApiParameter("status", str, enum=ApplicationStatus.values), OpenApiParameter("overdue", bool)],
        responses={200: ApplicationSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request):
        queryset = _applications(request.user)
        if request.query_params.get("status"):
            if request.query_params["status"] not in ApplicationStatus.values:
                raise error("status", _("Unknown status."), "invalid_choice")
            queryset = queryset.filter(status=request.query_params["status"])
        try:
            overdue = StrictBooleanField(required=False).clean(request.query_params.get("overdue"))
        except forms.ValidationError as exc:
            raise error("overdue", exc.messages[0], "invalid") from None
        if overdue:
            queryset = [a for a in queryset.filter(status=ApplicationStatus.RECEIVED) if a.is_overdue]
        rows = list(queryset[:500]) if not isinstance(queryset, list) else queryset[:500]
        return Response(ApplicationSerializer(rows, many=True).data)

    @extend_schema(
        summary=_("File a monthly review application"),
        description=_(
            "The commune records a household's application (Form 04, Decision 24/2021) with the date it was "
            "received; the answer carries the decision deadline in working days."
        ),
        request=ApplicationWriteSerializer,
        responses={201: ApplicationSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Application", request_only=True, value={"household": "25747-0001", "kind": "enter", "received_on": "2026-03-10"}
            )
        ],
    )
    def post(self, request):
        payload = ApplicationWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        household = Household.objects.visible_to(request.user).filter(code=data["household"]).first()
        if household is None:
            raise error("household", _("Unknown household %(code)s.") % {"code": data["household"]}, "unknown")
        application = application_file(
            actor=request.user, household=household, kind=data["kind"], received_on=data["received_on"], note=data["note"]
        )
        return Response(
            ApplicationSerializer(_applications(request.user).get(pk=application.pk)).data, status=status.HTTP_201_CREATED
        )


class ApplicationDecideView(APIView):
    permission_classes = [PersonalDataRole]

    @extend_schema(
        summary=_("Decide a monthly review application"),
        description=_(
            "The commune chairman's decision, from the household's assessment in the round in force: recognised, "
            "it changes the list in force from its date."
        ),
        request=DecisionWriteSerializer,
        responses={200: ApplicationSerializer, **ERROR_RESPONSES},
    )
    def post(self, request, pk: int):
        application = _applications(request.user).filter(pk=pk).first()
        if application is None:
            from rest_framework import exceptions

            raise exceptions.NotFound()
        payload = DecisionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        decided = application_decide(
            actor=request.user,
            application=application,
            recognise=data["recognise"],
            number=data["number"],
            decided_on=data["decided_on"],
            expected_version=expected_version(request, data, required=False),
        )
        return Response(ApplicationSerializer(_applications(request.user).get(pk=decided.pk)).data)


class InForceQuerySerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=10)
    date = serializers.DateField()


class InForceRowSerializer(serializers.Serializer):
    household = serializers.CharField()
    head_name = serializers.CharField()
    commune = serializers.CharField()
    category = serializers.CharField()
    group = serializers.CharField(allow_blank=True)
    member_count = serializers.IntegerField()
    source = serializers.CharField(help_text=_("The approved list or the monthly decision the standing comes from."))


class ListInForceView(APIView):
    permission_classes = [PersonalDataRole]

    @extend_schema(
        summary=_("The list in force on a date"),
        description=_(
            "Which households of a unit were poor or near-poor on a date: the latest approved lists, then the "
            "monthly review's decisions up to that date. Personal data: the caller's own units only."
        ),
        parameters=[
            OpenApiParameter("unit", {"type": "string", "minLength": 1, "maxLength": 10}, required=True),
            OpenApiParameter("date", {"type": "string", "format": "date"}, required=True),
        ],
        responses={200: InForceRowSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request):
        query = InForceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        unit = AdminUnit.objects.filter(code=query.validated_data["unit"]).first()
        visible = communes_for(request.user, Action.VIEW)
        if unit is None or not visible.filter(pk__in=AdminUnit.objects.under(unit).filter(level=Level.COMMUNE)).exists():
            raise error("unit", _("%(code)s is not a unit you work for.") % {"code": query.validated_data["unit"]}, "unknown")
        standing = list_in_force(unit=unit, on=query.validated_data["date"])
        allowed = set(visible.values_list("pk", flat=True))
        rows = [s for s in standing.values() if s.commune_id in allowed]
        households = {h.pk: h for h in Household.objects.filter(pk__in=[s.household_id for s in rows]).select_related("commune")}
        note_access(request, [s.household_id for s in rows], AccessChannel.API)
        return Response(
            InForceRowSerializer(
                [
                    {
                        "household": households[s.household_id].code,
                        "head_name": households[s.household_id].head_name,
                        "commune": households[s.household_id].commune.code,
                        "category": s.category,
                        "group": s.group,
                        "member_count": s.member_count,
                        "source": s.source,
                    }
                    for s in sorted(rows, key=lambda s: households[s.household_id].code)
                ],
                many=True,
            ).data
        )
