"""Reads of the DCI search: the households of the caller's scope that match a search's criteria, and each
household's standing on the approved lists (the category the search filters on and the record reports)."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from dci.envelope import SEARCH_CRITERIA_INVALID, Attribute, Clause, Condition, Criteria, Refusal
from households.models import AdminUnit, Household, HouseholdStatus, Member
from surveys.models import ListEntry, latest_approved_lists

# The newest round first: a household's standing is its entry on the approved list of its latest round.
_NEWEST_ROUND_FIRST = ("-round__year", "-round__starts_on", "-round_id", "-commune_list__approved_at", "-pk")


def _standing_entries() -> QuerySet:
    """Entries of the approved revision that stands for each round and commune (a correction under way does not
    count until it is approved)."""
    return ListEntry.objects.filter(commune_list__in=latest_approved_lists().values("pk"))


def households_in_category(categories) -> QuerySet:
    """Ids of the households whose entry on the approved list of their latest listed round has one of
    `categories` (a household listed poor in 2023 and not poor in 2024 is not poor)."""
    latest = _standing_entries().filter(household=OuterRef("household_id")).order_by(*_NEWEST_ROUND_FIRST).values("category")[:1]
    return (
        _standing_entries()
        .filter(category__in=list(categories))
        .annotate(standing_category=Subquery(latest))
        .filter(standing_category__in=list(categories))
        .values("household_id")
    )


def _areas(condition: Condition) -> Q:
    units = list(AdminUnit.objects.filter(code__in=condition.values).values_list("pk", "code"))
    unknown = sorted(set(condition.values) - {code for _pk, code in units})
    if unknown:
        raise Refusal(condition.field, _("Unknown unit code %(codes)s.") % {"codes": ", ".join(unknown)}, SEARCH_CRITERIA_INVALID)
    return Q(commune__in=AdminUnit.objects.communes().covered_by([pk for pk, _code in units]))


def _condition(condition: Condition) -> Q:
    values = list(condition.values)
    match condition.attribute:
        case Attribute.AREA_CODE:
            return _areas(condition)
        case Attribute.POVERTY_CATEGORY:
            return Q(pk__in=households_in_category(values))
        case Attribute.HOUSEHOLD_STATUS:
            return Q(status__in=values)
        case Attribute.HOUSEHOLD_CODE:
            return Q(code__in=values)
        case Attribute.UIN:
            return Q(pk__in=Member.objects.filter(citizen_id__in=values).values("household_id"))
    raise ValueError(condition.attribute)  # envelope.read admits no other attribute


def _clause(clause: Clause) -> Q:
    first = _condition(clause.first)
    if clause.second is None:
        return first
    second = _condition(clause.second)
    return first | second if clause.combine == "or" else first & second


def households_matching(user, criteria: Criteria) -> QuerySet:
    """The households of `user`'s scope that meet every clause, in the search's order. A predicate search finds
    active households unless it names a status; an identifier search finds a household whatever its status."""
    queryset = Household.objects.visible_to(user)
    for clause in criteria.clauses:
        queryset = queryset.filter(_clause(clause))
    names_status = any(
        c.attribute == Attribute.HOUSEHOLD_STATUS for clause in criteria.clauses for c in (clause.first, clause.second) if c
    )
    if not criteria.by_identifier and not names_status:
        queryset = queryset.filter(status=HouseholdStatus.ACTIVE)
    return queryset.order_by(*criteria.order_by)


def page_of(queryset: QuerySet, *, offset: int, limit: int) -> list[Household]:
    """One page of households with what their records show: units up to the province, hamlet, members."""
    return list(queryset.select_related("commune__parent__parent", "hamlet").prefetch_related("members")[offset : offset + limit])


def standing_of(household_ids) -> dict[int, ListEntry]:
    """Household id → its entry on the approved list of its latest listed round (with the round), if any."""
    standing: dict[int, ListEntry] = {}
    entries = (
        _standing_entries()
        .filter(household_id__in=list(household_ids))
        .select_related("round")
        .order_by("household_id", *_NEWEST_ROUND_FIRST)
    )
    for entry in entries:
        standing.setdefault(entry.household_id, entry)
    return standing
