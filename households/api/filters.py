"""FilterSet for administrative units (API only; units have no HTML list)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit, Level, Structure
from households.unit_filter import UnitCodeFilter


class UnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search (code or name)"))
    structure = django_filters.ChoiceFilter(choices=Structure.choices, label=_("Structure"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("Level"))
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent unit code"))
    under = UnitCodeFilter(commune_field="", label=_("Unit code: the unit and everything under it"))
    ordering = django_filters.OrderingFilter(fields=(("code", "code"), ("name", "name")), label=_("Order by"))

    class Meta:
        model = AdminUnit
        fields = ["q", "structure", "level", "parent", "under"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__startswith=value) | Q(name__icontains=value)) if value else queryset
