"""Serializers for units and households. No logic here: writes are handed to households.services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import StrictTypes
from households.ethnicity import resolve
from households.models import MAX_MEMBERS, MEMBER_FIELDS, AdminUnit, Household, Member, Relation, Sex
from households.services import MemberData


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", allow_null=True, read_only=True, help_text=_("Parent unit code."))
    successors = serializers.SerializerMethodField(help_text=_("Codes of the successor units (from 1 July 2025)."))

    class Meta:
        model = AdminUnit
        fields = ["code", "name", "level", "kind", "area_type", "structure", "parent", "valid_from", "valid_to", "successors"]

    def get_successors(self, obj) -> list[str]:
        return [u.code for u in obj.successors.all()]


class MemberSerializer(StrictTypes, serializers.ModelSerializer):
    sex = serializers.ChoiceField(choices=Sex.choices)
    relation = serializers.ChoiceField(choices=Relation.choices, default=Relation.OTHER)
    birth_year = serializers.IntegerField(min_value=1900, max_value=2100)
    citizen_id = serializers.RegexField(r"^\d{12}$", required=False, allow_blank=True, default="", max_length=12)
    ethnicity = serializers.CharField(
        max_length=40,
        required=False,
        default="Kinh",
        help_text=_(
            "The member's ethnic group: its Vietnamese name (tone marks, case and a “Người” prefix do not matter) "
            "or its GSO code, 01 Kinh … 54 Rơ Măm. Read back as the group's Vietnamese name."
        ),
    )
    ethnic_group = serializers.CharField(
        source="ethnic_group.code",
        read_only=True,
        allow_null=True,
        help_text=_("GSO code of the member's ethnic group; null when the stored text names no group."),
    )

    class Meta:
        model = Member
        fields = [*MEMBER_FIELDS[:6], "ethnic_group", *MEMBER_FIELDS[6:]]
        # Uniqueness of citizen IDs is the service's job (it names the member that clashes).
        validators: list = []
        extra_kwargs = {"citizen_id": {"validators": []}}

    def validate_ethnicity(self, value: str) -> str:
        """A name or code of one of the 54 groups, stored as the group's Vietnamese name."""
        try:
            return resolve(value).name_vi
        except DjangoValidationError as exc:
            # "unknown", as for any well-formed name that names nothing: which spellings name a group is data.
            raise serializers.ValidationError(exc.messages, code="unknown") from None


class HouseholdSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    hamlet = serializers.CharField(source="hamlet.name", allow_null=True, read_only=True)
    merged_into = serializers.CharField(source="merged_into.code", allow_null=True, read_only=True)
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = Household
        fields = [
            "code",
            "commune",
            "commune_name",
            "hamlet",
            "head_name",
            "address",
            "status",
            "merged_into",
            "version",
            "created_at",
            "updated_at",
            "members",
        ]
        read_only_fields = fields


class HouseholdWriteSerializer(StrictTypes, serializers.Serializer):
    """Create (code, commune, head_name, members required) or update (version required)."""

    code = serializers.CharField(max_length=40, required=False, help_text=_("Household code (only when creating)."))
    commune = serializers.CharField(max_length=10, required=False, help_text=_("Commune code (GSO, 5 digits)."))
    hamlet = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=_("Hamlet name in the commune; created when new. Empty for none."),
    )
    head_name = serializers.CharField(max_length=120, required=False)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    members = MemberSerializer(
        many=True,
        required=False,
        max_length=MAX_MEMBERS,
        help_text=_("The complete member list (replaces the stored one); at most 40 members."),
    )
    version = serializers.IntegerField(
        min_value=1, required=False, help_text=_("The version you read; required when changing (or send If-Match).")
    )
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text=_("Why (kept in the audit trail).")
    )

    def validate(self, attrs):
        creating = self.instance is None
        if creating:
            missing = [f for f in ("code", "commune", "head_name", "members") if f not in attrs]
            if missing:
                raise serializers.ValidationError({f: _("This field is required.") for f in missing}, code="required")
        elif "code" in attrs and attrs["code"] != self.instance.code:
            raise serializers.ValidationError({"code": _("A household's code cannot change.")}, code="read_only")
        if "members" in attrs and self.partial:
            # A partial update skips required fields all the way down; the member list is always complete.
            complete = MemberSerializer(data=self.initial_data.get("members"), many=True)
            if not complete.is_valid():
                raise serializers.ValidationError({"members": complete.errors})
            attrs["members"] = complete.validated_data
        return attrs

    @staticmethod
    def member_data(members: list[dict]) -> list[MemberData]:
        return [MemberData(**dict(m)) for m in members]


class HouseholdCreateSerializer(HouseholdWriteSerializer):
    """Registering a household: code, commune, head and members are required (the schema says so)."""

    code = serializers.CharField(max_length=40, help_text=_("Household code."))
    commune = serializers.CharField(max_length=10, help_text=_("Commune code (GSO, 5 digits)."))
    head_name = serializers.CharField(max_length=120)
    members = MemberSerializer(many=True, max_length=MAX_MEMBERS, help_text=_("The household's members; at most 40."))


class HouseholdStatusSerializer(StrictTypes, serializers.Serializer):
    status = serializers.ChoiceField(choices=["active", "moved", "merged", "dissolved"])
    reason = serializers.CharField(max_length=500)
    merged_into = serializers.CharField(
        max_length=40, required=False, allow_null=True, help_text=_("Household code (for a merge).")
    )
    version = serializers.IntegerField(min_value=1, required=False)
