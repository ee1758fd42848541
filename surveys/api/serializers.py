from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from households.models import AreaType
from surveys.models import CriteriaSet, Indicator, Rule


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


class ClassifyMemberSerializer(serializers.Serializer):
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


class ClassifyRequestSerializer(serializers.Serializer):
    criteria_set = serializers.CharField(help_text=_("Criteria set code, e.g. VN-2022."))
    area = serializers.ChoiceField(choices=AreaType.choices)
    income_per_capita = StrictIntegerField(min_value=0, help_text=_("VND per person per month."))
    deprived = serializers.ListField(child=serializers.CharField(), allow_empty=True, default=list)
    members = ClassifyMemberSerializer(many=True, required=True, allow_empty=True)

    def validate_criteria_set(self, value):
        try:
            return CriteriaSet.objects.get(code=value)
        except CriteriaSet.DoesNotExist:
            raise serializers.ValidationError(_("Unknown criteria set %(code)s.") % {"code": value}, code="unknown") from None

    def validate(self, attrs):
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
    explanation = serializers.CharField()
    explanation_vi = serializers.CharField()
    explanation_en = serializers.CharField()
