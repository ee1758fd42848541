from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import StrictTypes
from households.models import AreaType
from surveys.classification import MAX_SCORE_A
from surveys.models import (
    MAX_INCOME_PER_CAPITA,
    Assessment,
    CommuneList,
    CriteriaSet,
    HamletMeeting,
    Indicator,
    ListEntry,
    PublicPosting,
    Rule,
    SurveyRound,
)
from surveys.services import income_test_error, income_test_errors


class IndicatorSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    threshold = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = ["code", "dimension", "name", "threshold", "name_vi", "name_en", "threshold_vi", "threshold_en"]

    def _lang(self) -> str:
        request = self.context.get("request")
        return getattr(request, "LANGUAGE_CODE", "vi") or "vi"

    def get_name(self, obj) -> str:
        return obj.name(self._lang())

    def get_threshold(self, obj) -> str:
        return obj.threshold(self._lang())


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = ["area_type", "position", "category", "income_above", "income_upto", "upto_inclusive", "min_deprived", "max_deprived"]


class CriteriaSetSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    indicators = IndicatorSerializer(many=True, read_only=True)
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = CriteriaSet
        fields = [
            "code", "name", "name_vi", "name_en", "legal_basis", "valid_from", "valid_to", "is_official",
            "group_rule", "notes", "indicators", "rules",
        ]

    def get_name(self, obj) -> str:
        request = self.context.get("request")
        return obj.name(getattr(request, "LANGUAGE_CODE", "vi") or "vi")


class ClassifyMemberSerializer(StrictTypes, serializers.Serializer):
    able_to_work = serializers.BooleanField()
    social_protection = serializers.BooleanField(default=False)


class StrictIntegerField(serializers.IntegerField):
    """An integer that refuses 1.5, "1500000" with text, and booleans."""

    default_error_messages = {"invalid": _("A whole number of VND is required.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        if isinstance(data, str) and not data.strip().lstrip("-").isdigit():
            self.fail("invalid")
        return super().to_internal_value(data)


class ClassifyRequestSerializer(StrictTypes, serializers.Serializer):
    criteria_set = serializers.CharField(help_text=_("Criteria set code, e.g. VN-2022."))
    area = serializers.ChoiceField(choices=AreaType.choices)
    income_per_capita = StrictIntegerField(
        min_value=0, max_value=MAX_INCOME_PER_CAPITA, required=False,
        help_text=_("VND per person per month. Give this or score_a, not both."),
    )
    score_a = StrictIntegerField(
        min_value=0, max_value=MAX_SCORE_A, required=False,
        help_text=_("Circular 07's score A in points, instead of income_per_capita, for a set with a score scale (VN-2022)."),
    )
    deprived = serializers.ListField(child=serializers.CharField(), allow_empty=True, default=list)
    members = ClassifyMemberSerializer(many=True, required=True, allow_empty=True)

    def validate_criteria_set(self, value):
        try:
            return CriteriaSet.objects.get(code=value)
        except CriteriaSet.DoesNotExist:
            raise serializers.ValidationError(_("Unknown criteria set %(code)s.") % {"code": value}, code="unknown") from None

    def validate(self, attrs):
        errors = income_test_errors(
            income_per_capita=attrs.get("income_per_capita"), score_a=attrs.get("score_a"), criteria_set=attrs["criteria_set"]
        )
        if errors:
            raise income_test_error(errors)  # (DRF keeps the Django error's codes)
        known = set(attrs["criteria_set"].indicators.values_list("code", flat=True))
        unknown = [c for c in attrs["deprived"] if c not in known]
        if unknown:
            raise serializers.ValidationError(
                {"deprived": _("Unknown indicator code(s) for %(set)s: %(codes)s.") % {"set": attrs["criteria_set"].code, "codes": ", ".join(unknown)}},
                code="unknown",
            )
        return attrs


class ClassifyResponseSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=["poor", "near_poor", "average", "not_poor"])
    group = serializers.ChoiceField(choices=["poverty_reduction", "social_protection"], allow_null=True)
    deprived_count = serializers.IntegerField()
    basis = serializers.ChoiceField(choices=["income", "score"], help_text=_("What the income test was made from."))
    score_a = serializers.IntegerField(allow_null=True)
    score_b = serializers.IntegerField(allow_null=True, help_text=_("Points per deprived indicator × deprivations (score-based sets)."))
    explanation = serializers.CharField()
    explanation_vi = serializers.CharField()
    explanation_en = serializers.CharField()


class RoundSerializer(serializers.ModelSerializer):
    criteria_set = serializers.CharField(source="criteria_set.code", read_only=True)
    province = serializers.CharField(source="province.code", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)
    structure = serializers.CharField(source="province.structure", read_only=True)
    previous_round = serializers.SerializerMethodField(help_text=_("The newest previous round (kept for older clients)."))
    previous_rounds = serializers.SerializerMethodField(
        help_text=_("Codes of the previous rounds, newest first: several after a merger of provinces (2025).")
    )
    additional_sets = serializers.SerializerMethodField(
        help_text=_("Codes of the round's additional standards (a province's own, or the next period's for a dry run).")
    )

    class Meta:
        model = SurveyRound
        fields = [
            "code", "year", "kind", "criteria_set", "additional_sets", "province", "province_name", "structure", "starts_on",
            "ends_on", "reference_date", "previous_round", "previous_rounds", "is_open",
        ]
        read_only_fields = fields

    def get_previous_round(self, obj) -> str | None:
        previous = obj.previous_round
        return previous.code if previous else None

    def get_previous_rounds(self, obj) -> list[str]:
        return [r.code for r in obj.previous_list()]

    def get_additional_sets(self, obj) -> list[str]:
        return [s.code for s in obj.standards()[1:]]


class StandardResultSerializer(serializers.Serializer):
    criteria_set = serializers.CharField(source="criteria_set.code")
    basis = serializers.CharField()
    category = serializers.CharField()
    group = serializers.SerializerMethodField()
    deprived_count = serializers.IntegerField()
    low_income_workers = serializers.IntegerField()
    explanation = serializers.SerializerMethodField()

    def get_group(self, obj) -> str | None:
        return obj.group or None

    def get_explanation(self, obj) -> str:
        request = self.context.get("request")
        return obj.explanation(getattr(request, "LANGUAGE_CODE", "vi") or "vi")


class AssessmentSerializer(serializers.ModelSerializer):
    round = serializers.CharField(source="round.code", read_only=True)
    household = serializers.CharField(source="household.code", read_only=True)
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    criteria_set = serializers.CharField(source="criteria_set.code", read_only=True)
    commune = serializers.CharField(source="commune.code", read_only=True)
    hamlet = serializers.CharField(source="hamlet.name", allow_null=True, read_only=True)
    deprived = serializers.SerializerMethodField(help_text=_("Codes of the deprived indicators."))
    group = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()
    standards = StandardResultSerializer(
        source="standard_results", many=True, read_only=True,
        help_text=_("The same household under the round's additional standards (the fields above are the official set's)."),
    )

    class Meta:
        model = Assessment
        fields = [
            "round", "household", "head_name", "criteria_set", "commune", "hamlet", "area_type", "basis", "income_per_capita", "score_a", "score_b",
            "deprived", "member_count", "able_to_work_count", "social_protection_count", "category", "group",
            "deprived_count", "low_income_workers", "explanation", "explanation_vi", "explanation_en", "standards", "version",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_deprived(self, obj) -> list[str]:
        return [i.code for i in obj.deprived_indicators.all()]

    def get_group(self, obj) -> str | None:
        return obj.group or None

    def get_explanation(self, obj) -> str:
        request = self.context.get("request")
        return obj.explanation(getattr(request, "LANGUAGE_CODE", "vi") or "vi")


COMPUTED_ASSESSMENT_FIELDS = ("category", "group", "deprived_count", "explanation", "member_count", "score_b", "basis")


class AssessmentWriteSerializer(StrictTypes, serializers.Serializer):
    """Inputs only: the server computes the category, group and explanation."""

    round = serializers.CharField(max_length=40, required=False, help_text=_("Round code (when creating)."))
    household = serializers.CharField(max_length=40, required=False, help_text=_("Household code (when creating)."))
    income_per_capita = StrictIntegerField(
        min_value=0, max_value=MAX_INCOME_PER_CAPITA, required=False, help_text=_("VND per person per month (or score_a).")
    )
    score_a = StrictIntegerField(
        min_value=0, max_value=MAX_SCORE_A, required=False,
        help_text=_("Circular 07's score A in points, instead of income_per_capita, in a round whose set has a score scale."),
    )
    deprived = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=True, default=list, max_length=50)
    version = serializers.IntegerField(min_value=1, required=False, help_text=_("The version you read (when changing)."))
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            computed = [f for f in COMPUTED_ASSESSMENT_FIELDS if f in data]
            if computed:
                raise serializers.ValidationError(
                    {f: [_("Computed by the server from the inputs; do not send it.")] for f in computed}, code="read_only"
                )
        return super().to_internal_value(data)


class AssessmentCreateSerializer(AssessmentWriteSerializer):
    """Creating an assessment names its round and household."""

    round = serializers.CharField(max_length=40, help_text=_("Round code."))
    household = serializers.CharField(max_length=40, help_text=_("Household code."))


class RatesQuerySerializer(serializers.Serializer):
    round = serializers.CharField(max_length=40, help_text=_("Round code, e.g. BD-2023."))
    unit = serializers.CharField(max_length=10, help_text=_("GSO code of the province, district or commune (in the round's structure)."))
    level = serializers.ChoiceField(choices=["province", "district", "commune"], help_text=_("Rows per unit of this level."))
    status = serializers.ChoiceField(
        choices=["approved", "all"], default="approved",
        help_text=_("approved (default): only approved lists; all: live numbers incl. drafts (department staff only)."),
    )
    decimals = serializers.IntegerField(
        min_value=0, max_value=6, default=2, help_text=_("Decimals of the rates (0-6, default 2), rounded half up from the integers.")
    )
    structure = serializers.ChoiceField(
        choices=["legacy", "2025"], required=False,
        help_text=_("Read the round in this unit structure: structure=2025 regroups a legacy round's households by the "
                    "commune they were re-homed to (unit is then a unit of 2025)."),
    )
    criteria = serializers.CharField(
        max_length=32, required=False,
        help_text=_("Code of one of the round's standards (default: its official set), e.g. a province's own standard."),
    )


class RatesAsOfQuerySerializer(RatesQuerySerializer):
    as_of = serializers.DateField(
        required=False,
        help_text=_("Rates of the list in force on this date (YYYY-MM-DD): the latest approved lists plus the monthly "
                    "review's decisions up to it. Approved data only; the round gives the denominators."),
    )


class FlowsQuerySerializer(RatesQuerySerializer):
    kind = serializers.ChoiceField(choices=["poor", "near_poor"], default="poor", help_text=_("Flows of poor or of near-poor households."))


class RateRowSerializer(serializers.Serializer):
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    level = serializers.CharField()
    total_households = serializers.IntegerField(help_text=_("Denominator: households in the unit at the round's date."))
    poor = serializers.IntegerField()
    poor_rate = serializers.CharField(allow_null=True, help_text=_('Percent, two decimals, e.g. "1.09"; null when there is no denominator.'))
    poverty_reduction = serializers.IntegerField()
    poverty_reduction_rate = serializers.CharField(allow_null=True)
    social_protection = serializers.IntegerField()
    social_protection_rate = serializers.CharField(allow_null=True)
    near_poor = serializers.IntegerField()
    near_poor_rate = serializers.CharField(allow_null=True)
    total_persons = serializers.IntegerField(
        help_text=_(
            "Persons denominator: the total persons entered for the round, else members of the registered active "
            "households (status=all); frozen at approval (status=approved, 0 for lists approved before it was kept)."
        )
    )
    poor_persons = serializers.IntegerField(help_text=_("Persons in poor households."))
    poor_persons_rate = serializers.CharField(
        allow_null=True, help_text=_("poor_persons / total_persons × 100, two decimals, half up; null when total_persons is 0.")
    )
    near_poor_persons = serializers.IntegerField(help_text=_("Persons in near-poor households."))
    near_poor_persons_rate = serializers.CharField(
        allow_null=True, help_text=_("near_poor_persons / total_persons × 100, two decimals, half up; null when total_persons is 0.")
    )
    communes = serializers.IntegerField(help_text=_("Communes under the unit."))
    communes_included = serializers.IntegerField(help_text=_("Communes whose numbers are included (approved lists, unless status=all)."))


class RatesResponseSerializer(serializers.Serializer):
    round = serializers.CharField()
    unit = serializers.CharField()
    level = serializers.CharField()
    status = serializers.CharField()
    criteria = serializers.CharField(help_text=_("The standard the counts are under (the round's official set by default)."))
    structure = serializers.CharField(help_text=_("The unit structure the rows are in."))
    decimals = serializers.IntegerField()
    count = serializers.IntegerField()
    results = RateRowSerializer(many=True)
    total = RateRowSerializer(help_text=_("Sums over the rows, rates recomputed from the sums."))


class FlowRowSerializer(serializers.Serializer):
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    level = serializers.CharField()
    start = serializers.IntegerField(help_text=_("In the category in the previous round."))
    escaped_to_near_poor = serializers.IntegerField(required=False, help_text=_("kind=poor: poor before, near-poor now."))
    escaped_above_near_poor = serializers.IntegerField(help_text=_("Before in the category, now average or not poor."))
    near_poor_to_poor = serializers.IntegerField(help_text=_("Near-poor before, poor now."))
    poor_to_near_poor = serializers.IntegerField(required=False, help_text=_("kind=near_poor: poor before, near-poor now."))
    other_out = serializers.IntegerField(help_text=_("Moved to another unit, or not assessed now (moved away, merged, dissolved)."))
    out_total = serializers.IntegerField()
    re_poor = serializers.IntegerField(required=False, help_text=_("kind=poor: not poor before, but poor in an earlier round."))
    newly_poor = serializers.IntegerField(required=False, help_text=_("kind=poor: poor for the first time."))
    re_near_poor = serializers.IntegerField(required=False)
    newly_near_poor = serializers.IntegerField(required=False)
    other_in = serializers.IntegerField(help_text=_("In the category before in another unit (moved in)."))
    in_total = serializers.IntegerField()
    end = serializers.IntegerField(help_text=_("In the category now. start - out_total + in_total = end."))
    communes = serializers.IntegerField()
    communes_included = serializers.IntegerField()


class StartDecisionSerializer(serializers.Serializer):
    round = serializers.CharField()
    number = serializers.CharField()
    date = serializers.DateField()


class FlowsResponseSerializer(serializers.Serializer):
    round = serializers.CharField()
    previous_round = serializers.CharField(allow_null=True)
    previous_rounds = serializers.ListField(child=serializers.CharField())
    criteria = serializers.CharField(help_text=_("The round's official standard: flows follow it."))
    start_decision = StartDecisionSerializer(
        allow_null=True, help_text=_("The provincial decision that approved the previous round's result: where `start` comes from.")
    )
    structure = serializers.CharField()
    unit = serializers.CharField()
    level = serializers.CharField()
    status = serializers.CharField()
    kind = serializers.CharField()
    count = serializers.IntegerField()
    results = FlowRowSerializer(many=True)
    total = FlowRowSerializer()


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
            "round", "commune", "commune_name", "revision", "is_current", "status", "revision_reason", "returned_reason",
            "submitted_by", "submitted_at", "reviewed_by", "reviewed_at", "approved_by", "approved_at",
            "recognition_number", "recognition_date", "recognition_signer",
            "total_households", "poor", "poverty_reduction", "social_protection", "near_poor", "poor_persons",
            "near_poor_persons", "total_persons", "version", "created_at",
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
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                   help_text=_("Required to return a list or open a revision; kept in the audit trail."))


class BulkListSerializer(StrictTypes, serializers.Serializer):
    round = serializers.CharField(max_length=40)
    commune = serializers.CharField(max_length=10)
    version = StrictIntegerField(min_value=1, required=False, help_text=_("The version you read: a list changed since is refused (409 in the outcome)."))


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
    revision = serializers.IntegerField(source="commune_list.revision", read_only=True, help_text=_("The list revision it belongs to."))
    agreement_percent = serializers.CharField(read_only=True, help_text=_('Share agreeing, one decimal, e.g. "87.5".'))
    is_agreed = serializers.BooleanField(read_only=True, help_text=_("At least half of those present agreed."))
    recorded_by = serializers.CharField(source="recorded_by.username", allow_null=True, read_only=True)

    class Meta:
        model = HamletMeeting
        fields = [
            "hamlet", "revision", "held_on", "attendees", "agreeing", "agreement_percent", "is_agreed", "minutes_note",
            "recorded_by", "created_at",
        ]
        read_only_fields = fields


class HamletMeetingWriteSerializer(StrictTypes, serializers.Serializer):
    hamlet = serializers.CharField(max_length=120, help_text=_("Hamlet name, exactly as registered in the commune."))
    held_on = serializers.DateField(help_text=_("Meeting date (not in the future)."))
    attendees = serializers.IntegerField(min_value=1, max_value=MAX_PEOPLE, help_text=_("People present."))
    agreeing = serializers.IntegerField(min_value=0, max_value=MAX_PEOPLE, help_text=_("People agreeing with the list (at most attendees)."))
    minutes_note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                         help_text=_("Summary of the minutes."))


class PublicPostingSerializer(serializers.ModelSerializer):
    revision = serializers.IntegerField(source="commune_list.revision", read_only=True, help_text=_("The list revision it belongs to."))
    working_days = serializers.SerializerMethodField(help_text=_("Monday-to-Friday days from starts_on to ends_on, both included."))
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
    place = serializers.CharField(max_length=255, required=False, allow_blank=True, default="",
                                  help_text=_("Where it is posted, e.g. the commune office and hamlet halls."))


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
    deprived = serializers.ListField(child=serializers.CharField(), read_only=True, help_text=_("Codes of the deprived indicators."))

    class Meta:
        model = ListEntry
        fields = [
            "revision", "household", "head_name", "hamlet", "area_type", "category", "group", "member_count", "deprived",
            "head_ethnic_minority", "head_female", "merit", "disability", "no_working_capacity",
        ]
        read_only_fields = fields

    def get_group(self, obj) -> str | None:
        return obj.group or None
