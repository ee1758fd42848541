"""Registry data good enough to report from: the problems the data-quality page and `check_data` list.

- active households without exactly one head (the reports' female-head and ethnic-minority counts read the head);
- members whose ethnicity names none of the 54 groups (left so by the migration from free text);
- assessments of open rounds whose ticked indicators the members contradict (surveys.consistency: warnings).

Reads only, each starting from the communes the caller may read (the access policy's `communes_for`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from households.models import AdminUnit, Household, HouseholdStatus, Level, Member, Relation

ROW_LIMIT = 200  # rows a page lists per problem; the counts are always complete


def communes_of_province(code: str | None) -> QuerySet:
    """The communes of the provinces with this GSO code (in either structure), or every commune."""
    communes = AdminUnit.objects.communes()
    if code:
        provinces = AdminUnit.objects.filter(level=Level.PROVINCE, code=code)
        communes = communes.filter(Q(parent__in=provinces) | Q(parent__parent__in=provinces))
    return communes


def households_without_one_head(communes: QuerySet) -> QuerySet:
    """Active households of `communes` with no member or several members marked head (annotated `heads`)."""
    return (
        Household.objects.filter(commune__in=communes, status=HouseholdStatus.ACTIVE)
        .annotate(heads=Count("members", filter=Q(members__relation=Relation.HEAD)))
        .exclude(heads=1)
        .select_related("commune")
        .order_by("commune__code", "code")
    )


def members_without_group(communes: QuerySet) -> QuerySet:
    """Members of active households of `communes` whose ethnicity text names no group."""
    return (
        Member.objects.filter(
            household__commune__in=communes, household__status=HouseholdStatus.ACTIVE, ethnic_group__isnull=True
        )
        .select_related("household", "household__commune")
        .order_by("household__commune__code", "household__code", "position", "id")
    )


def unmapped_values(communes: QuerySet) -> list[tuple[str, int]]:
    """The texts of `members_without_group`, most frequent first, with how many members carry each."""
    return [
        (row["ethnicity"], row["n"])
        for row in members_without_group(communes)
        .order_by()
        .values("ethnicity")
        .annotate(n=Count("id"))
        .order_by("-n", "ethnicity")
    ]


@dataclass(frozen=True)
class ConsistencyRow:
    household_id: int
    household_code: str
    commune: str
    round_code: str
    indicator: str
    code: str
    message: str


def consistency_warnings(communes: QuerySet, *, chunk: int = 2000) -> Iterator[ConsistencyRow]:
    """Warnings of surveys.consistency for the assessments of open rounds of active households of `communes`, read
    from the member facts each assessment was decided on. A few queries per `chunk` assessments."""
    from surveys.consistency import CHECKED_SETS, warnings_for
    from surveys.models import Assessment

    assessments = (
        Assessment.objects.filter(
            round__is_open=True,
            commune__in=communes,
            household__status=HouseholdStatus.ACTIVE,
            criteria_set__code__in=CHECKED_SETS,
        )
        .order_by("id")
        .values_list(
            "id",
            "household_id",
            "household__code",
            "commune__name",
            "round__code",
            "round__year",
            "criteria_set__code",
            "members_snapshot",
        )
    )
    through = Assessment.deprived_indicators.through
    last = 0
    while True:
        rows = list(assessments.filter(id__gt=last)[:chunk])
        if not rows:
            return
        last = rows[-1][0]
        ticked: dict[int, list[str]] = {}
        for aid, code in through.objects.filter(assessment_id__in=[r[0] for r in rows]).values_list(
            "assessment_id", "indicator__code"
        ):
            ticked.setdefault(aid, []).append(code)
        for aid, household_id, household_code, commune, round_code, year, set_code, snapshot in rows:
            for warning in warnings_for(
                criteria_set_code=set_code, year=year, deprived=ticked.get(aid, ()), members=snapshot or []
            ):
                yield ConsistencyRow(
                    household_id, household_code, commune, round_code, warning.indicator, warning.code, warning.message
                )


@dataclass
class QualityReport:
    no_head: list[Household] = field(default_factory=list)
    several_heads: list[Household] = field(default_factory=list)
    no_head_total: int = 0
    several_heads_total: int = 0
    unmapped: list[Member] = field(default_factory=list)
    unmapped_total: int = 0
    unmapped_values: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[ConsistencyRow] = field(default_factory=list)
    warnings_total: int = 0

    @property
    def problems(self) -> int:
        """Errors to correct (the head rule, unread ethnicity); warnings are not counted."""
        return self.no_head_total + self.several_heads_total + self.unmapped_total


def quality_report(communes: QuerySet, *, limit: int | None = ROW_LIMIT) -> QualityReport:
    """Every list of the data-quality page for `communes`, each cut at `limit` rows (None: all), with full counts."""
    report = QualityReport()
    heads = households_without_one_head(communes)
    report.no_head_total = heads.filter(heads=0).count()
    report.several_heads_total = heads.filter(heads__gt=1).count()
    report.no_head = list(heads.filter(heads=0)[:limit])
    report.several_heads = list(heads.filter(heads__gt=1)[:limit])
    unmapped = members_without_group(communes)
    report.unmapped_total = unmapped.count()
    report.unmapped = list(unmapped[:limit])
    report.unmapped_values = unmapped_values(communes) if report.unmapped_total else []
    for row in consistency_warnings(communes):
        report.warnings_total += 1
        if limit is None or len(report.warnings) < limit:
            report.warnings.append(row)
    return report
