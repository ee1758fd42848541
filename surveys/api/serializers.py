from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api import StrictTypes
from households.models import AreaType
from surveys.assessment_rules import income_test_error, income_test_errors
from surveys.classification import MAX_SCORE_A
from surveys.models import MAX_INCOME_PER_CAPITA, Assessment, CriteriaSet, Indicator, Rule, SurveyRound


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
        fields = [
            "area_type",
            "position",
            "category",
            "income_above",
            "income_upto",
            "upto_inclusive",
            "min_deprived",
            "max_deprived",
        ]


class CriteriaSetSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    indicators = IndicatorSerializer(many=True, read_only=True)
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = CriteriaSet
        fields = [
            "code",
            "name",
            "name_vi",
            "name_en",
            "legal_basis",
            "valid_from",
            "valid_to",
            "is_official",
            "group_rule",
            "notes",
            "indicators",
            "rules",
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
        min_value=0,
        max_value=MAX_INCOME_PER_CAPITA,
        required=False,
        help_text=_("VND per person per month. Give this or score_a, not both."),
    )
    score_a = StrictIntegerField(
        min_value=0,
        max_value=MAX_SCORE_A,
        required=False,
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
                {
                    "deprived": _("Unknown indicator code(s) for %(set)s: %(codes)s.")
                    % {"set": attrs["criteria_set"].code, "codes": ", ".join(unknown)}
                },
                code="unknown",
            )
        return attrs


class ClassifyResponseSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=["poor", "near_poor", "average", "not_poor"])
    group = serializers.ChoiceField(choices=["poverty_reduction", "social_protection"], allow_null=True)
    deprived_count = serializers.IntegerField()
    basis = serializers.ChoiceField(choices=["income", "score"], help_text=_("What the income test was made from."))
    score_a = serializers.IntegerField(allow_null=True)
    score_b = serializers.IntegerField(
        allow_null=True, help_text=_("Points per deprived indicator × deprivations (score-based sets).")
    )
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
            "code",
            "year",
            "kind",
            "criteria_set",
            "additional_sets",
            "province",
            "province_name",
            "structure",
            "starts_on",
            "ends_on",
            "reference_date",
            "previous_round",
            "previous_rounds",
            "is_open",
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
        source="standard_results",
        many=True,
        read_only=True,
        help_text=_("The same household under the round's additional standards (the fields above are the official set's)."),
    )

    class Meta:
        model = Assessment
        fields = [
            "round",
            "household",
            "head_name",
            "criteria_set",
            "commune",
            "hamlet",
            "area_type",
            "basis",
            "income_per_capita",
            "score_a",
            "score_b",
            "deprived",
            "member_count",
            "able_to_work_count",
            "social_protection_count",
            "category",
            "group",
            "deprived_count",
            "low_income_workers",
            "explanation",
            "explanation_vi",
            "explanation_en",
            "standards",
            "version",
            "created_at",
            "updated_at",
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
        min_value=0,
        max_value=MAX_SCORE_A,
        required=False,
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
