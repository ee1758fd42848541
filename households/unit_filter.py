"""One unit filter for every list that can be narrowed to a unit: the rows of that unit and of everything under it
(province → district → commune; a commune of the 2025 structure sits directly under its province)."""

from __future__ import annotations

import django_filters
from django.core.validators import EMPTY_VALUES
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit


def within_unit(queryset: QuerySet, code: str, *, commune_field: str = "commune") -> QuerySet:
    """`queryset` narrowed to the unit coded `code` and everything under it; nothing when no unit has that code.
    `commune_field` is the path from a row to its commune ("" when the rows are units themselves)."""
    units = AdminUnit.objects.filter(code=code.strip())
    if commune_field:
        paths = (f"{commune_field}__in", f"{commune_field}__parent__in", f"{commune_field}__parent__parent__in")
    else:
        paths = ("pk__in", "parent__in", "parent__parent__in")
    return queryset.filter(Q(**{paths[0]: units}) | Q(**{paths[1]: units}) | Q(**{paths[2]: units}))


class UnitCodeFilter(django_filters.CharFilter):
    """A unit code parameter (`unit=74`, `under=25747`) applied with `within_unit`; blank means no narrowing."""

    def __init__(self, *args, commune_field: str = "commune", **kwargs):
        kwargs.setdefault("label", _("Unit code (and everything under it)"))
        super().__init__(*args, **kwargs)
        self.commune_field = commune_field

    def filter(self, qs, value):
        if value in EMPTY_VALUES or not str(value).strip():
            return qs
        return within_unit(qs, str(value), commune_field=self.commune_field)
