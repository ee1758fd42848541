"""A commune list's procedure steps through the API: hamlet meetings, public postings and the chairman's recognition
(read and record), mixed into `surveys.api.lists.CommuneListViewSet`."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import ERROR_RESPONSES, Pagination, error
from households.models import Hamlet
from surveys.api.common import LIST_PATH
from surveys.api.serializers_lists import (
    CommuneListDetailSerializer,
    HamletMeetingSerializer,
    HamletMeetingWriteSerializer,
    PublicPostingSerializer,
    PublicPostingWriteSerializer,
    RecognitionWriteSerializer,
)
from surveys.approval.decisions import recognition_record
from surveys.approval.steps import hamlet_meeting_record, public_posting_record
from surveys.models import HamletMeeting, PublicPosting


class CommuneListStepsMixin:
    """The list's procedure steps: `…/meetings/`, `…/postings/`, `…/recognition/`."""

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
                "Meeting",
                request_only=True,
                value={
                    "hamlet": "Khu phố 1",
                    "held_on": "2024-10-05",
                    "attendees": 40,
                    "agreeing": 35,
                    "minutes_note": "Thống nhất danh sách hộ nghèo, cận nghèo.",
                },
            ),
            OpenApiExample(
                "Recorded",
                response_only=True,
                status_codes=["201"],
                value={
                    "hamlet": "Khu phố 1",
                    "revision": 1,
                    "held_on": "2024-10-05",
                    "attendees": 40,
                    "agreeing": 35,
                    "agreement_percent": "87.5",
                    "is_agreed": True,
                    "minutes_note": "Thống nhất danh sách hộ nghèo, cận nghèo.",
                    "recorded_by": "officer_a",
                    "created_at": "2024-10-05T16:00:00+07:00",
                },
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
            actor=request.user,
            commune_list=commune_list,
            hamlet=hamlet,
            held_on=data["held_on"],
            attendees=data["attendees"],
            agreeing=data["agreeing"],
            minutes_note=data["minutes_note"],
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
                "Posting",
                request_only=True,
                value={
                    "starts_on": "2024-10-07",
                    "ends_on": "2024-10-11",
                    "place": "Trụ sở UBND phường và nhà văn hóa các khu phố",
                },
            ),
            OpenApiExample(
                "Recorded",
                response_only=True,
                status_codes=["201"],
                value={
                    "revision": 1,
                    "starts_on": "2024-10-07",
                    "ends_on": "2024-10-11",
                    "working_days": 5,
                    "place": "Trụ sở UBND phường và nhà văn hóa các khu phố",
                    "recorded_by": "officer_a",
                    "created_at": "2024-10-07T08:00:00+07:00",
                },
            ),
        ],
    )
    def record_posting(self, request, *args, **kwargs):
        commune_list = self.get_object()
        payload = PublicPostingWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        posting = public_posting_record(
            actor=request.user,
            commune_list=commune_list,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            place=data["place"],
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
        examples=[
            OpenApiExample(
                "Decision", request_only=True, value={"number": "123/QĐ-UBND", "date": "2024-10-20", "signer": "Nguyễn Văn A"}
            )
        ],
    )
    def record_recognition(self, request, *args, **kwargs):
        commune_list = self.get_object()
        payload = RecognitionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            updated = recognition_record(
                actor=request.user, commune_list=commune_list, number=data["number"], date=data["date"], signer=data["signer"]
            )
        except ValidationError as exc:
            # The service names the model's fields; the API's body names them without the prefix.
            if hasattr(exc, "error_dict"):
                raise ValidationError({k.removeprefix("recognition_"): v for k, v in exc.error_dict.items()}) from exc
            raise
        return Response(
            CommuneListDetailSerializer(self.get_queryset().get(pk=updated.pk), context=self.get_serializer_context()).data
        )
