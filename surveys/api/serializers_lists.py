"""Serializers of commune lists, their transitions, bulk actions and procedure steps."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import StrictTypes
from surveys.api.serializers import StrictIntegerField
from surveys.models import CommuneList, HamletMeeting, ListEntry, PublicPosting


class CommuneListSerializer(serializers.ModelSerializer):
    round = serializers.CharField(source="round.code", read_only=True)
    commune = serializers.CharField(source="commune.code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, read_only=True)

    class Meta:
        model = CommuneList
        fields = [
            "round",
            "commune",
            "commune_name",
            "revision",
            "is_current",
            "status",
            "revision_reason",
            "returned_reason",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "approved_by",
            "approved_at",
            "recognition_number",
            "recognition_date",
            "recognition_signer",
            "total_households",
            "poor",
            "poverty_reduction",
            "social_protection",
            "near_poor",
            "poor_persons",
            "near_poor_persons",
            "total_persons",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class CommuneListDetailSerializer(CommuneListSerializer):
    allowed_actions = serializers.SerializerMethodField(help_text=_("Transitions the caller may try now."))

    class Meta(CommuneListSerializer.Meta):
        fields = [*CommuneListSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, obj) -> list[str]:
        from surveys.approval.selectors import allowed_actions

        request = self.context.get("request")
        names = {"open_revision": "open-revision"}
        return sorted(names.get(a, a) for a in allowed_actions(request.user, obj) if a != "record_steps")


class CommuneListCreateSerializer(StrictTypes, serializers.Serializer):
    round = serializers.CharField(max_length=40, help_text=_("Round code."))
    commune = serializers.CharField(max_length=10, help_text=_("Commune code (in the round's unit structure)."))


class TransitionSerializer(StrictTypes, serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False, help_text=_("The version you read (or send If-Match)."))
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text=_("Required to return a list or open a revision; kept in the audit trail."),
    )


class BulkListSerializer(StrictTypes, serializers.Serializer):
    round = serializers.CharField(max_length=40)
    commune = serializers.CharField(max_length=10)
    version = StrictIntegerField(
        min_value=1, required=False, help_text=_("The version you read: a list changed since is refused (409 in the outcome).")
    )


class BulkRequestSerializer(StrictTypes, serializers.Serializer):
    action = serializers.ChoiceField(choices=["review", "approve", "return"])
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, help_text=_("Required to return lists."))
    lists = serializers.ListField(child=BulkListSerializer(), min_length=1, max_length=200)


class BulkErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class BulkOutcomeSerializer(serializers.Serializer):
    round = serializers.CharField()
    commune = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["done", "refused"])
    status = serializers.CharField(allow_blank=True, help_text=_("The list's status after the action (or as it stays)."))
    version = serializers.IntegerField(allow_null=True)
    errors = BulkErrorSerializer(many=True, help_text=_("Why the list was refused (empty when done)."))


class BulkResponseSerializer(serializers.Serializer):
    action = serializers.CharField()
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BulkOutcomeSerializer(many=True)


# --- Procedure steps of a list: hamlet meetings and public postings -------------------------------------

MAX_PEOPLE = 1_000_000  # far above any hamlet; keeps nonsense out of the integer columns


class HamletMeetingSerializer(serializers.ModelSerializer):
    hamlet = serializers.CharField(source="hamlet.name", read_only=True, help_text=_("Hamlet name within the commune."))
    revision = serializers.IntegerField(
        source="commune_list.revision", read_only=True, help_text=_("The list revision it belongs to.")
    )
    agreement_percent = serializers.CharField(read_only=True, help_text=_('Share agreeing, one decimal, e.g. "87.5".'))
    is_agreed = serializers.BooleanField(read_only=True, help_text=_("At least half of those present agreed."))
    recorded_by = serializers.CharField(source="recorded_by.username", allow_null=True, read_only=True)

    class Meta:
        model = HamletMeeting
        fields = [
            "hamlet",
            "revision",
            "held_on",
            "attendees",
            "agreeing",
            "agreement_percent",
            "is_agreed",
            "minutes_note",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class HamletMeetingWriteSerializer(StrictTypes, serializers.Serializer):
    hamlet = serializers.CharField(
        max_length=120, help_text=_("Hamlet name as registered in the commune; case and spacing do not matter.")
    )
    held_on = serializers.DateField(help_text=_("Meeting date (not in the future)."))
    attendees = serializers.IntegerField(min_value=1, max_value=MAX_PEOPLE, help_text=_("People present."))
    agreeing = serializers.IntegerField(
        min_value=0, max_value=MAX_PEOPLE, help_text=_("People agreeing with the list (at most attendees).")
    )
    minutes_note = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text=_("Summary of the minutes.")
    )


class PublicPostingSerializer(serializers.ModelSerializer):
    revision = serializers.IntegerField(
        source="commune_list.revision", read_only=True, help_text=_("The list revision it belongs to.")
    )
    working_days = serializers.SerializerMethodField(
        help_text=_("Monday-to-Friday days from starts_on to ends_on, both included.")
    )
    recorded_by = serializers.CharField(source="recorded_by.username", allow_null=True, read_only=True)

    class Meta:
        model = PublicPosting
        fields = ["revision", "starts_on", "ends_on", "working_days", "place", "recorded_by", "created_at"]
        read_only_fields = fields

    def get_working_days(self, obj) -> int:
        from surveys.approval.selectors import working_days

        return working_days(obj.starts_on, obj.ends_on)


class PublicPostingWriteSerializer(StrictTypes, serializers.Serializer):
    starts_on = serializers.DateField(help_text=_("First day the list is posted."))
    ends_on = serializers.DateField(help_text=_("Last day the list is posted (not before starts_on)."))
    place = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Where it is posted, e.g. the commune office and hamlet halls."),
    )


class RecognitionWriteSerializer(StrictTypes, serializers.Serializer):
    number = serializers.CharField(max_length=50, help_text=_("The decision's number, e.g. 123/QĐ-UBND."))
    date = serializers.DateField(help_text=_("The decision's date: after the public posting, not in the future."))
    signer = serializers.CharField(max_length=120, help_text=_("Who signed it (the commune chairman)."))


class ListEntrySerializer(serializers.ModelSerializer):
    """One household on an approved list, as frozen at approval."""

    household = serializers.CharField(source="household.code", read_only=True)
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    hamlet = serializers.CharField(source="hamlet.name", allow_null=True, read_only=True)
    revision = serializers.IntegerField(source="commune_list.revision", read_only=True)
    group = serializers.SerializerMethodField(help_text=_("poverty_reduction or social_protection; null when neither."))
    deprived = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("Codes of the deprived indicators.")
    )

    class Meta:
        model = ListEntry
        fields = [
            "revision",
            "household",
            "head_name",
            "hamlet",
            "area_type",
            "category",
            "group",
            "member_count",
            "deprived",
            "head_ethnic_minority",
            "head_female",
            "merit",
            "disability",
            "no_working_capacity",
        ]
        read_only_fields = fields

    def get_group(self, obj) -> str | None:
        return obj.group or None
