import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import Hamlet
from households.unit_filter import UnitCodeFilter
from surveys.models import Assessment, Category, CommuneList, Group, ListStatus, SurveyRound


class AssessmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search (household code, head)"))
    round = django_filters.ModelChoiceFilter(queryset=SurveyRound.objects.all(), to_field_name="code", label=_("Round"))
    unit = UnitCodeFilter()
    hamlet = django_filters.ModelChoiceFilter(queryset=Hamlet.objects.none(), label=_("Hamlet"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("Category"))
    group = django_filters.ChoiceFilter(choices=Group.choices, label=_("Group"))
    ordering = django_filters.OrderingFilter(
        fields=(("household__code", "household"), ("income_per_capita", "income_per_capita"), ("updated_at", "updated_at")),
        label=_("Order by"),
    )

    class Meta:
        model = Assessment
        fields = ["q", "round", "unit", "hamlet", "category", "group"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["hamlet"].queryset = Hamlet.objects.visible_to(user) if user is not None else Hamlet.objects.none()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(household__code__icontains=value) | Q(household__head_name__icontains=value)) if value else queryset
        )


class CommuneListFilterSet(django_filters.FilterSet):
    round = django_filters.ModelChoiceFilter(queryset=SurveyRound.objects.all(), to_field_name="code", label=_("Round"))
    unit = UnitCodeFilter()
    status = django_filters.ChoiceFilter(choices=ListStatus.choices, label=_("Status"))
    ordering = django_filters.OrderingFilter(
        fields=(("commune__code", "commune"), ("status", "status"), ("revision", "revision")), label=_("Order by")
    )

    class Meta:
        model = CommuneList
        fields = ["round", "unit", "status"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
