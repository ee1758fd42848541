"""Serializers of the rates and flows: their query parameters and answers."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class RatesQuerySerializer(serializers.Serializer):
    round = serializers.CharField(max_length=40, help_text=_("Round code, e.g. BD-2023."))
    unit = serializers.CharField(
        max_length=10, help_text=_("GSO code of the province, district or commune (in the round's structure).")
    )
    level = serializers.ChoiceField(choices=["province", "district", "commune"], help_text=_("Rows per unit of this level."))
    status = serializers.ChoiceField(
        choices=["approved", "all"],
        default="approved",
        help_text=_("approved (default): only approved lists; all: live numbers incl. drafts (department staff only)."),
    )
    decimals = serializers.IntegerField(
        min_value=0,
        max_value=6,
        default=2,
        help_text=_("Decimals of the rates (0-6, default 2), rounded half up from the integers."),
    )
    structure = serializers.ChoiceField(
        choices=["legacy", "2025"],
        required=False,
        help_text=_(
            "Read the round in this unit structure: structure=2025 regroups a legacy round's households by the "
            "commune they were re-homed to (unit is then a unit of 2025)."
        ),
    )
    criteria = serializers.CharField(
        max_length=32,
        required=False,
        help_text=_("Code of one of the round's standards (default: its official set), e.g. a province's own standard."),
    )


class RatesAsOfQuerySerializer(RatesQuerySerializer):
    as_of = serializers.DateField(
        required=False,
        help_text=_(
            "Rates of the list in force on this date (YYYY-MM-DD): the latest approved lists plus the monthly "
            "review's decisions up to it. Approved data only; the round gives the denominators."
        ),
    )


class FlowsQuerySerializer(RatesQuerySerializer):
    kind = serializers.ChoiceField(
        choices=["poor", "near_poor"], default="poor", help_text=_("Flows of poor or of near-poor households.")
    )


class RateRowSerializer(serializers.Serializer):
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    level = serializers.CharField()
    total_households = serializers.IntegerField(help_text=_("Denominator: households in the unit at the round's date."))
    poor = serializers.IntegerField()
    poor_rate = serializers.CharField(
        allow_null=True, help_text=_('Percent, two decimals, e.g. "1.09"; null when there is no denominator.')
    )
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
        allow_null=True,
        help_text=_("near_poor_persons / total_persons × 100, two decimals, half up; null when total_persons is 0."),
    )
    communes = serializers.IntegerField(help_text=_("Communes under the unit."))
    communes_included = serializers.IntegerField(
        help_text=_("Communes whose numbers are included (approved lists, unless status=all).")
    )


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
    other_out = serializers.IntegerField(
        help_text=_("Moved to another unit, or not assessed now (moved away, merged, dissolved).")
    )
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
        allow_null=True,
        help_text=_("The provincial decision that approved the previous round's result: where `start` comes from."),
    )
    structure = serializers.CharField()
    unit = serializers.CharField()
    level = serializers.CharField()
    status = serializers.CharField()
    kind = serializers.CharField()
    count = serializers.IntegerField()
    results = FlowRowSerializer(many=True)
    total = FlowRowSerializer()
