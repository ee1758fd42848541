"""One FilterSet per model, shared by the HTML lists, the API and exports (NetBox habit)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import Hamlet, Household, HouseholdStatus, Member
from households.search import search_terms
from households.unit_filter import UnitCodeFilter
from surveys.models import Category, Group, SurveyRound


class StrictBooleanField(forms.NullBooleanField):
    """true / false (any case; 1 / 0 too) or nothing; anything else is a clear error, not silently ignored."""

    widget = forms.Select(choices=[("", _("— Any —")), ("true", _("Yes")), ("false", _("No"))])
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(_("Use true or false."), code="invalid") from None

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class HouseholdFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search (code, head, citizen ID)"))
    unit = UnitCodeFilter()
    hamlet = django_filters.ModelChoiceFilter(queryset=Hamlet.objects.none(), label=_("Hamlet"))
    status = django_filters.ChoiceFilter(choices=HouseholdStatus.choices, label=_("Status"))
    round = django_filters.ModelChoiceFilter(
        queryset=SurveyRound.objects.all(), to_field_name="code", method="filter_round", label=_("Round")
    )
    category = django_filters.ChoiceFilter(choices=Category.choices, method="filter_category", label=_("Category in the round"))
    group = django_filters.ChoiceFilter(choices=Group.choices, method="filter_group", label=_("Group in the round"))
    assessed = StrictBooleanFilter(method="filter_assessed", label=_("Assessed in the round"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("head_name", "head_name"), ("updated_at", "updated_at")), label=_("Order by")
    )

    class Meta:
        model = Household
        fields = ["q", "unit", "hamlet", "status", "round", "category", "group"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        hamlets = Hamlet.objects.visible_to(user) if user is not None else Hamlet.objects.none()
        self.filters["hamlet"].queryset = hamlets.select_related("commune")

    def filter_q(self, queryset, name, value):
        """Every word of the query, tone marks and case folded, in the household's folded search key (code, head,
        members' names, citizen IDs): "dang minh long" finds "Đặng Minh Long". The plain matches stay for a
        household whose key was not written yet (an admin edit, an old loader)."""
        value = value.strip()
        terms = search_terms(value)
        if not terms:
            return queryset
        match = Q(code__icontains=value) | Q(head_name__icontains=value)
        match |= Q(*(Q(search_key__contains=term) for term in terms))
        if value.isdigit():
            match |= Q(pk__in=Member.objects.filter(citizen_id=value).values("household_id"))
        return queryset.filter(match)

    def filter_round(self, queryset, name, value):
        return queryset  # applied together with category/group so both refer to one assessment

    def _in_round(self, queryset, **assessment_filter):
        survey_round = self.form.cleaned_data.get("round")
        if survey_round is None:
            survey_round = SurveyRound.objects.order_by("-year", "-starts_on").first()
        return queryset.filter(assessments__round=survey_round, **{f"assessments__{k}": v for k, v in assessment_filter.items()})

    def filter_category(self, queryset, name, value):
        return self._in_round(queryset, category=value) if value else queryset

    def filter_group(self, queryset, name, value):
        return self._in_round(queryset, group=value) if value else queryset

    def filter_assessed(self, queryset, name, value):
        if value is None:
            return queryset
        survey_round = self.form.cleaned_data.get("round")
        if survey_round is None:
            survey_round = SurveyRound.objects.order_by("-year", "-starts_on").first()
        if value:
            return queryset.filter(assessments__round=survey_round)
        return queryset.exclude(assessments__round=survey_round)
