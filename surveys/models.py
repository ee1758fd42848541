from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit, AreaType, Hamlet, Household, Level, communes_visible_to
from surveys import classification as cl

# An income per person per month above this is a typing error, not a household (and beyond it the integer
# columns would overflow): the form, the API, the import and the service all refuse it.
MAX_INCOME_PER_CAPITA = 10_000_000_000


class Category(models.TextChoices):
    POOR = cl.Category.POOR.value, _("Poor")
    NEAR_POOR = cl.Category.NEAR_POOR.value, _("Near-poor")
    AVERAGE = cl.Category.AVERAGE.value, _("Average living standard")
    NOT_POOR = cl.Category.NOT_POOR.value, _("Not poor")


class Group(models.TextChoices):
    POVERTY_REDUCTION = cl.Group.POVERTY_REDUCTION.value, _("Poverty-reduction target")
    SOCIAL_PROTECTION = cl.Group.SOCIAL_PROTECTION.value, _("Social protection")


class GroupRule(models.TextChoices):
    ALL_SP_OR_UNABLE = cl.GroupRule.ALL_SP_OR_UNABLE.value, _(
        "Social protection when every member is a social-protection beneficiary or unable to work"
    )
    NO_MEMBER_ABLE = cl.GroupRule.NO_MEMBER_ABLE.value, _("Social protection when no member is able to work")


class IncomePeriod(models.TextChoices):
    MONTH = "month", _("per person per month")
    YEAR = "year", _("per person per year")


class CriteriaSet(models.Model):
    """A poverty standard as data: its indicators and, per area type, an ordered rule table."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    legal_basis = models.CharField(_("legal basis"), max_length=255)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_official = models.BooleanField(
        _("official"), default=True, help_text=_("Draft sets are for what-if simulation only; rounds use official sets.")
    )
    based_on = models.ForeignKey(
        "self", verbose_name=_("based on"), null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    group_rule = models.CharField(
        _("social-protection rule"), max_length=24, choices=GroupRule.choices, default=GroupRule.ALL_SP_OR_UNABLE
    )
    groups_for_near_poor = models.BooleanField(
        _("split near-poor households into groups too"), default=True
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Where the legal text is uncertain, say so here."))
    # Circular 07/2021's score scale (score A: an income proxy in points; score B: points per deprivation).
    # A set with both lines set can classify from score A instead of an income.
    score_line_rural = models.PositiveSmallIntegerField(
        _("score A line, rural (points)"), null=True, blank=True, help_text=_("Poor or near-poor when score A is at most this.")
    )
    score_line_urban = models.PositiveSmallIntegerField(_("score A line, urban (points)"), null=True, blank=True)
    score_points_per_indicator = models.PositiveSmallIntegerField(_("score B points per deprived indicator"), default=10)
    score_poor_min_b = models.PositiveSmallIntegerField(_("score B from which a household below the line is poor"), default=30)
    # The period of the rules' income bounds: a city may set its lines per year (Ho Chi Minh City: 46,000,000 đồng
    # per person per year), which are stored as they are, never rounded to a monthly figure. Incomes are entered per
    # month; a yearly set compares twelve times the monthly income, exactly.
    income_period = models.CharField(
        _("income lines are"), max_length=8, choices=IncomePeriod.choices, default=IncomePeriod.MONTH
    )
    # Decree 30/2025 (amending Decree 07): workers of a household neither poor nor near-poor whose income per person is
    # at most this line are low-income workers, counted apart. Empty: the set does not say so.
    low_income_line_rural = models.BigIntegerField(
        _("low-income worker line, rural"), null=True, blank=True, validators=[MinValueValidator(0)],
        help_text=_("Income per person (in the set's period) at or below which the workers of a household that is neither poor nor near-poor count as low-income workers."),
    )
    low_income_line_urban = models.BigIntegerField(
        _("low-income worker line, urban"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name_vi}"

    def name(self, lang: str) -> str:
        return self.name_vi if lang.startswith("vi") else self.name_en

    @property
    def has_score_scale(self) -> bool:
        return self.score_line_rural is not None and self.score_line_urban is not None

    @property
    def counts_low_income_workers(self) -> bool:
        return self.low_income_line_rural is not None or self.low_income_line_urban is not None


class Indicator(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("criteria set"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("code"), max_length=32)
    dimension = models.CharField(_("dimension"), max_length=32)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    threshold_vi = models.TextField(_("deprivation threshold (Vietnamese)"))
    threshold_en = models.TextField(_("deprivation threshold (English)"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["criteria_set", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["criteria_set", "code"], name="indicator_code_unique_in_set")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name_vi}"

    def name(self, lang: str) -> str:
        return self.name_vi if lang.startswith("vi") else self.name_en

    def threshold(self, lang: str) -> str:
        return self.threshold_vi if lang.startswith("vi") else self.threshold_en


class Rule(models.Model):
    """One line of a rule table: the first matching rule, in order, gives the category."""

    criteria_set = models.ForeignKey(CriteriaSet, verbose_name=_("criteria set"), on_delete=models.CASCADE, related_name="rules")
    area_type = models.CharField(_("area type"), max_length=8, choices=AreaType.choices)
    position = models.PositiveSmallIntegerField(_("order"))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    income_above = models.BigIntegerField(
        _("income above (exclusive)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    income_upto = models.BigIntegerField(_("income up to"), null=True, blank=True, validators=[MinValueValidator(0)])
    upto_inclusive = models.BooleanField(_("upper bound inclusive (≤)"), default=True)
    min_deprived = models.PositiveSmallIntegerField(_("minimum deprived indicators"), null=True, blank=True)
    max_deprived = models.PositiveSmallIntegerField(_("maximum deprived indicators"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["criteria_set", "area_type", "position"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "area_type", "position"], name="rule_position_unique"),
            models.CheckConstraint(
                condition=Q(income_above__isnull=True) | Q(income_upto__isnull=True) | Q(income_upto__gte=models.F("income_above")),
                name="rule_income_bounds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criteria_set.code} {self.area_type} #{self.position}: {self.get_category_display()}"

    def as_pure(self) -> cl.Rule:
        return cl.Rule(
            category=cl.Category(self.category),
            income_above=self.income_above,
            income_upto=self.income_upto,
            upto_inclusive=self.upto_inclusive,
            min_deprived=self.min_deprived,
            max_deprived=self.max_deprived,
        )


class RoundKind(models.TextChoices):
    PERIODIC = "periodic", _("Annual periodic review")
    ROLLING = "rolling", _("Rolling review")
    BASELINE = "baseline", _("Baseline survey")


class SurveyRound(models.Model):
    """One review of a province under one criteria set, with per-commune denominators."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    kind = models.CharField(_("kind"), max_length=12, choices=RoundKind.choices, default=RoundKind.PERIODIC)
    criteria_set = models.ForeignKey(CriteriaSet, verbose_name=_("criteria set"), on_delete=models.PROTECT, related_name="rounds")
    province = models.ForeignKey(
        AdminUnit, verbose_name=_("province"), on_delete=models.PROTECT, related_name="rounds",
        limit_choices_to={"level": Level.PROVINCE},
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    reference_date = models.DateField(_("reference date"), help_text=_("The date the denominators refer to."))
    # A merged province has several predecessor rounds (Binh Duong, Ba Ria-Vung Tau, old Ho Chi Minh City).
    previous_rounds = models.ManyToManyField(
        "self", verbose_name=_("previous rounds"), symmetrical=False, blank=True, related_name="next_rounds"
    )
    is_open = models.BooleanField(_("open for entry"), default=True)
    # More standards the same review is classified under, from the same inputs: a province's own (Ho Chi Minh City's
    # since 2025), or the next period's for a dry run. The official set (`criteria_set`) is what the lists,
    # approvals, flows and the list in force follow.
    additional_sets = models.ManyToManyField(
        CriteriaSet, verbose_name=_("additional standards"), blank=True, related_name="additional_rounds",
        help_text=_("A province's own standard, or the next period's for a dry run: every assessment is also classified under these."),
    )
    # Bumped (surveys.approved_cache.approval_stamp_bump) whenever the round's approved numbers, or those of a round
    # it reads (its previous rounds), may change: approval, a correction revision, the province's decision, a
    # re-homing of its households. Cached approved rates and flows are keyed on it.
    approval_stamp = models.PositiveIntegerField(_("approval stamp"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-year", "code"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="round_dates_ordered")]

    def __str__(self) -> str:
        return f"{self.code} ({self.year})"

    @property
    def has_districts(self) -> bool:
        return self.province.structure == "legacy"

    @property
    def structure(self) -> str:
        return self.province.structure

    def standards(self) -> list[CriteriaSet]:
        """The official set first, then the additional ones by code (uses a prefetch of `additional_sets`)."""
        return [self.criteria_set, *sorted((s for s in self.additional_sets.all() if s.pk != self.criteria_set_id), key=lambda s: s.code)]

    def previous_list(self) -> list[SurveyRound]:
        """The predecessor rounds, newest first (uses a prefetch of `previous_rounds` when there is one)."""
        return sorted(self.previous_rounds.all(), key=lambda r: (-r.year, r.code))

    @property
    def previous_round(self) -> SurveyRound | None:
        """The newest predecessor round (the only one, except after a merger of provinces)."""
        rounds = self.previous_list()
        return rounds[0] if rounds else None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        cs = self.criteria_set if self.criteria_set_id else None
        if cs is not None and self.year and not criteria_set_covers(cs, self.year):
            raise ValidationError({"criteria_set": _criteria_validity_message(cs, self.year)})


def criteria_set_covers(criteria_set: CriteriaSet, year: int) -> bool:
    """Whether the set's validity covers (part of) the round's year."""
    import datetime

    starts, ends = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return (criteria_set.valid_from is None or criteria_set.valid_from <= ends) and (
        criteria_set.valid_to is None or criteria_set.valid_to >= starts
    )


def _criteria_validity_message(criteria_set: CriteriaSet, year: int) -> str:
    def fmt(d):
        return f"{d:%d/%m/%Y}" if d else "…"

    return _("The criteria set %(set)s is valid from %(start)s to %(end)s; it does not cover %(year)s.") % {
        "set": criteria_set.code, "start": fmt(criteria_set.valid_from), "end": fmt(criteria_set.valid_to), "year": year,
    }


class RoundArea(models.Model):
    """The area type (urban or rural) a commune has in a round: the one of the round's year, since wards
    were communes a few years earlier. Filled from the unit when the round is created; staff may correct it
    before the commune's first assessment in the round."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="areas")
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+", limit_choices_to={"level": Level.COMMUNE}
    )
    area_type = models.CharField(_("area type"), max_length=8, choices=AreaType.choices)

    class Meta:
        verbose_name = _("area type in the round")
        verbose_name_plural = _("area types in the round")
        ordering = ["round", "commune__code"]
        constraints = [models.UniqueConstraint(fields=["round", "commune"], name="round_area_unique")]

    def __str__(self) -> str:
        return f"{self.round.code} · {self.commune.code}: {self.area_type}"


class Denominator(models.Model):
    """Total households of a commune at the round's reference date (from residence statistics)."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="denominators")
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="denominators",
        limit_choices_to={"level": Level.COMMUNE},
    )
    total_households = models.PositiveIntegerField(_("total households"))
    total_persons = models.PositiveIntegerField(_("total persons"), null=True, blank=True)

    class Meta:
        verbose_name = _("denominator")
        verbose_name_plural = _("denominators")
        ordering = ["round", "commune"]
        constraints = [models.UniqueConstraint(fields=["round", "commune"], name="denominator_unique")]

    def __str__(self) -> str:
        return f"{self.round.code} · {self.commune.code}: {self.total_households}"


class Basis(models.TextChoices):
    INCOME = "income", _("income per person")
    SCORE = "score", _("scores A and B (Circular 07)")


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssessmentQuerySet:
        return self.filter(commune__in=communes_visible_to(user))


class Assessment(models.Model):
    """One household in one round: stored inputs, the member facts used, and the computed result."""

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="assessments")
    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="assessments")
    criteria_set = models.ForeignKey(CriteriaSet, verbose_name=_("criteria set"), on_delete=models.PROTECT, related_name="+")
    # Where the household was at assessment time: later moves never rewrite a round's numbers.
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    hamlet = models.ForeignKey(Hamlet, verbose_name=_("hamlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area_type = models.CharField(_("area type"), max_length=8, choices=AreaType.choices)
    # The income test: an income per person per month in đồng, or (for a set with a score scale) Circular 07's
    # score A; `basis` says which the official set used. Score B is computed from the deprivations and stored. A
    # scored household also carries its income when an additional standard of the round classifies from income.
    basis = models.CharField(_("classified from"), max_length=8, choices=Basis.choices, default=Basis.INCOME)
    income_per_capita = models.BigIntegerField(
        _("income per person per month (VND)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    score_a = models.PositiveSmallIntegerField(_("score A (points)"), null=True, blank=True)
    score_b = models.PositiveSmallIntegerField(_("score B (points)"), null=True, blank=True)
    deprived_indicators = models.ManyToManyField(Indicator, verbose_name=_("deprived indicators"), blank=True, related_name="+")
    member_count = models.PositiveSmallIntegerField(_("members"))
    able_to_work_count = models.PositiveSmallIntegerField(_("members able to work"))
    social_protection_count = models.PositiveSmallIntegerField(_("social-protection beneficiaries"))
    # Decree 30/2025: members able to work of a household neither poor nor near-poor, with income at or below the
    # set's low-income line (0 when the set has none, or the household was scored without an income).
    low_income_workers = models.PositiveSmallIntegerField(_("low-income workers"), default=0)
    members_snapshot = models.JSONField(_("member facts used"), default=list)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, blank=True)
    deprived_count = models.PositiveSmallIntegerField(_("deprived indicators (count)"))
    explanation_vi = models.TextField(_("explanation (Vietnamese)"))
    explanation_en = models.TextField(_("explanation (English)"))
    version = models.PositiveIntegerField(_("version"), default=1)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["round", "household__code"]
        constraints = [
            models.UniqueConstraint(fields=["household", "round"], name="one_assessment_per_household_per_round"),
            models.CheckConstraint(
                condition=Q(group="") | Q(category__in=["poor", "near_poor"]), name="group_only_for_poor_or_near_poor"
            ),
            models.CheckConstraint(
                condition=Q(basis="income", income_per_capita__isnull=False, score_a__isnull=True)
                | Q(basis="score", score_a__isnull=False, score_b__isnull=False),
                name="assessment_income_test_given",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "commune", "category", "group"], name="assessment_rates_idx"),
            models.Index(
                fields=["round", "commune"], name="assessment_poor_near_idx", condition=Q(category__in=["poor", "near_poor"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household.code} · {self.round.code}"

    def explanation(self, lang: str) -> str:
        return self.explanation_vi if lang.startswith("vi") else self.explanation_en


class ListStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted by the commune")
    DISTRICT_REVIEWED = "district_reviewed", _("Reviewed by the district")
    APPROVED = "approved", _("Approved by the department")
    RETURNED = "returned", _("Returned to the commune")


class CommuneListQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommuneListQuerySet:
        return self.filter(commune__in=communes_visible_to(user))

    def current(self) -> CommuneListQuerySet:
        return self.filter(is_current=True)


class CommuneList(models.Model):
    """The list of one commune in one round: the unit of approval. Approved revisions are frozen;
    a correction is a new revision, and the approved one keeps its counts."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="commune_lists")
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="commune_lists")
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    is_current = models.BooleanField(_("current revision"), default=True)
    status = models.CharField(_("status"), max_length=20, choices=ListStatus.choices, default=ListStatus.DRAFT)
    revision_reason = models.TextField(_("reason for this revision"), blank=True)
    returned_reason = models.TextField(_("reason for return"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Counts frozen at approval, so provincial rates read commune rows, not households.
    total_households = models.PositiveIntegerField(_("total households"), null=True, blank=True)
    total_persons = models.PositiveIntegerField(_("total persons"), null=True, blank=True)
    poor = models.PositiveIntegerField(_("poor households"), null=True, blank=True)
    poverty_reduction = models.PositiveIntegerField(_("poverty-reduction target households"), null=True, blank=True)
    social_protection = models.PositiveIntegerField(_("social-protection households"), null=True, blank=True)
    near_poor = models.PositiveIntegerField(_("near-poor households"), null=True, blank=True)
    poor_persons = models.PositiveIntegerField(_("persons in poor households"), null=True, blank=True)
    near_poor_persons = models.PositiveIntegerField(_("persons in near-poor households"), null=True, blank=True)
    # The commune chairman's decision recognising the list's poor and near-poor households (Decision 24/2021):
    # the legal act, recorded before the department approves.
    recognition_number = models.CharField(_("recognition decision number"), max_length=50, blank=True)
    recognition_date = models.DateField(_("recognition decision date"), null=True, blank=True)
    recognition_signer = models.CharField(_("signed by"), max_length=120, blank=True)
    recognition_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CommuneListQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune list")
        verbose_name_plural = _("commune lists")
        ordering = ["round", "commune__code", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["round", "commune", "revision"], name="commune_list_revision_unique"),
            models.UniqueConstraint(
                fields=["round", "commune"], condition=Q(is_current=True), name="one_current_commune_list"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round.code} · {self.commune.name} · r{self.revision}"

    @property
    def is_frozen(self) -> bool:
        return self.status == ListStatus.APPROVED

    @property
    def is_recognised(self) -> bool:
        return bool(self.recognition_number and self.recognition_date)


class ListEntryQuerySet(models.QuerySet):
    def visible_to(self, user) -> ListEntryQuerySet:
        return self.filter(commune__in=communes_visible_to(user))

    def approved(self, round_ids=None) -> ListEntryQuerySet:
        """Entries of each (round, commune)'s latest approved revision: what approved reports read. The list
        ids are resolved first (a few hundred per round), so the entries are found by index, not by a
        correlated subquery per row."""
        lists = latest_approved_lists(**({"round_id__in": list(round_ids)} if round_ids is not None else {}))
        queryset = self.filter(commune_list_id__in=list(lists.values_list("pk", flat=True)))
        return queryset.filter(round_id__in=list(round_ids)) if round_ids is not None else queryset


def latest_approved_lists(**filters) -> models.QuerySet:
    """Per round and commune, the approved revision that stands: the latest approved one (a correction
    revision under way does not change it until it is approved itself)."""
    newest = (
        CommuneList.objects.filter(round=models.OuterRef("round"), commune=models.OuterRef("commune"), status=ListStatus.APPROVED)
        .order_by("-revision")
        .values("pk")[:1]
    )
    return CommuneList.objects.filter(status=ListStatus.APPROVED, **filters).filter(pk=models.Subquery(newest))


class ListEntry(models.Model):
    """One household on an approved commune list, frozen at approval: what approved reports, flows,
    recognition lists and next year's start read. Later edits to the household or its assessment never
    change it; a correction is a new revision with entries of its own."""

    commune_list = models.ForeignKey(CommuneList, verbose_name=_("commune list"), on_delete=models.CASCADE, related_name="entries")
    # Copies of the list's round and commune, so entries aggregate like assessments.
    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="list_entries")
    hamlet = models.ForeignKey(Hamlet, verbose_name=_("hamlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area_type = models.CharField(_("area type"), max_length=8, choices=AreaType.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, blank=True)
    member_count = models.PositiveSmallIntegerField(_("members"))
    deprived = models.JSONField(_("deprived indicators"), default=list)
    head_ethnic_minority = models.BooleanField(_("head of an ethnic minority"), default=False)
    head_female = models.BooleanField(_("female head"), default=False)
    merit = models.BooleanField(_("merit family"), default=False)
    disability = models.BooleanField(_("member with disability"), default=False)
    no_working_capacity = models.BooleanField(_("no member able to work"), default=False)
    low_income_workers = models.PositiveSmallIntegerField(_("low-income workers"), default=0)

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["commune_list", "household__code"]
        constraints = [models.UniqueConstraint(fields=["commune_list", "household"], name="one_entry_per_household_per_list")]
        indexes = [
            models.Index(fields=["commune_list", "category"], name="list_entry_category_idx"),
            models.Index(fields=["household", "round"], name="list_entry_household_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.commune_list} · {self.household_id}: {self.category}"


class HamletMeeting(models.Model):
    """A hamlet meeting on the draft list (Decision 24/2021): at least half of those present must agree,
    or that hamlet's part of the review is redone; the latest meeting of a hamlet is the one that counts."""

    commune_list = models.ForeignKey(
        CommuneList, verbose_name=_("commune list"), on_delete=models.CASCADE, related_name="hamlet_meetings"
    )
    hamlet = models.ForeignKey(Hamlet, verbose_name=_("hamlet"), on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("held on"))
    attendees = models.PositiveIntegerField(_("attendees"), validators=[MinValueValidator(1)])
    agreeing = models.PositiveIntegerField(_("agreeing"))
    minutes_note = models.TextField(_("minutes (summary)"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hamlet meeting")
        verbose_name_plural = _("hamlet meetings")
        ordering = ["commune_list", "hamlet", "-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(attendees__gte=1), name="hamlet_meeting_has_attendees"),
            models.CheckConstraint(condition=Q(agreeing__lte=models.F("attendees")), name="hamlet_meeting_agreeing_le_attendees"),
        ]

    def __str__(self) -> str:
        return f"{self.hamlet} · {self.held_on} · {self.agreeing}/{self.attendees}"

    @property
    def agreement_percent(self) -> str:
        """Share agreeing, as a percentage with one decimal (rounded half up, from integers)."""
        tenths = (self.agreeing * 1000 * 2 + self.attendees) // (2 * self.attendees)
        return f"{tenths // 10}.{tenths % 10}"

    @property
    def is_agreed(self) -> bool:
        return self.agreeing * 2 >= self.attendees


class PublicPosting(models.Model):
    """The list posted publicly at the commune office and in the hamlets, from `starts_on` to `ends_on`."""

    commune_list = models.ForeignKey(
        CommuneList, verbose_name=_("commune list"), on_delete=models.CASCADE, related_name="postings"
    )
    starts_on = models.DateField(_("posted from"))
    ends_on = models.DateField(_("posted until"))
    place = models.CharField(_("place"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("public posting")
        verbose_name_plural = _("public postings")
        ordering = ["commune_list", "-ends_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="posting_dates_ordered")]

    def __str__(self) -> str:
        return f"{self.starts_on} – {self.ends_on}"


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class AppealQuerySet(models.QuerySet):
    def visible_to(self, user) -> AppealQuerySet:
        return self.filter(commune__in=communes_visible_to(user))


class Appeal(models.Model):
    """A household's complaint against its classification in a round, lodged through an officer; it opens
    a reassessment of that household and ends with a recorded outcome."""

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="appeals")
    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="appeals")
    # The commune of the contested assessment: scoping, and which list the appeal holds up.
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("reassessed assessment"), on_delete=models.PROTECT, related_name="appeals"
    )
    complaint = models.TextField(_("complaint"))
    category_before = models.CharField(_("category when lodged"), max_length=12, choices=Category.choices)
    category_after = models.CharField(_("category when decided"), max_length=12, choices=Category.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lodged by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lodged_at = models.DateTimeField(_("lodged at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-lodged_at", "-id"]
        indexes = [models.Index(fields=["round", "commune", "status"], name="appeal_round_commune_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "round"], condition=Q(status="open"), name="one_open_appeal_per_household_round"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(decided_at__isnull=False) & ~Q(outcome="")), name="decided_appeal_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household.code} · {self.round.code} · {self.get_status_display()}"


def decision_upload_to(instance, filename: str) -> str:
    import uuid

    return f"decisions/{instance.round.code}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1].lower()[:5]}"


class RoundDecision(models.Model):
    """The provincial People's Committee's decision approving a round's result: the legal ground of the approved
    numbers ("theo Quyết định số …") and of next year's starting point. A later decision (an amendment)
    supersedes an earlier one; all are kept."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="decisions")
    number = models.CharField(_("decision number"), max_length=50)
    date = models.DateField(_("decision date"))
    signer = models.CharField(_("signed by"), max_length=120)
    document = models.FileField(_("scan (PDF, JPEG or PNG)"), upload_to=decision_upload_to, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["round", "-date", "-id"]

    def __str__(self) -> str:
        return f"{self.number} ({self.date:%d/%m/%Y})"


class ApplicationKind(models.TextChoices):
    ENTER = "enter", _("to be recognised as poor or near-poor")
    LEAVE = "leave", _("to leave the poor or near-poor list")


class ApplicationStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    RECOGNISED = "recognised", _("Decided: recognised")
    REFUSED = "refused", _("Decided: not recognised")


class Application(models.Model):
    """The monthly review (rà soát thường xuyên, Decision 24/2021 arts. 3 and 5): a household's application on Form
    04, assessed in the round in force and decided by the commune chairman within the legal deadline. A recognised
    application changes the list in force from its decision date."""

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="applications")
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    round = models.ForeignKey(SurveyRound, verbose_name=_("round in force"), on_delete=models.PROTECT, related_name="applications")
    kind = models.CharField(_("application"), max_length=8, choices=ApplicationKind.choices)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("decision due by"))
    status = models.CharField(_("status"), max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.RECEIVED)
    note = models.TextField(_("note"), blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_number = models.CharField(_("decision number"), max_length=50, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What the decision recognised (from the household's assessment in the round): the list in force reads these.
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, blank=True)
    member_count = models.PositiveSmallIntegerField(_("members"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("monthly review application")
        verbose_name_plural = _("monthly review applications")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["commune", "status", "due_on"]), models.Index(fields=["household", "decided_on"])]

    def __str__(self) -> str:
        return f"{self.household.code} · {self.get_kind_display()} · {self.received_on:%d/%m/%Y}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.status == ApplicationStatus.RECEIVED and self.due_on < timezone.localdate()


class StandardResult(models.Model):
    """An assessment classified under one of its round's additional standards, from the same stored inputs.
    Kept beside the assessment (whose own result is the official set's) and recomputed whenever it is."""

    assessment = models.ForeignKey(Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="standard_results")
    criteria_set = models.ForeignKey(CriteriaSet, verbose_name=_("criteria set"), on_delete=models.PROTECT, related_name="+")
    # Copies of the assessment's, so results aggregate like assessments.
    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="+")
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    member_count = models.PositiveSmallIntegerField(_("members"))
    basis = models.CharField(_("classified from"), max_length=8, choices=Basis.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, blank=True)
    deprived_count = models.PositiveSmallIntegerField(_("deprived indicators (count)"))
    low_income_workers = models.PositiveSmallIntegerField(_("low-income workers"), default=0)
    explanation_vi = models.TextField(_("explanation (Vietnamese)"))
    explanation_en = models.TextField(_("explanation (English)"))

    class Meta:
        verbose_name = _("result under an additional standard")
        verbose_name_plural = _("results under additional standards")
        ordering = ["assessment", "criteria_set__code"]
        constraints = [models.UniqueConstraint(fields=["assessment", "criteria_set"], name="one_result_per_standard")]
        indexes = [models.Index(fields=["round", "criteria_set", "commune", "category"], name="standard_result_rates_idx")]

    def __str__(self) -> str:
        return f"{self.assessment_id} · {self.criteria_set_id}: {self.category}"

    def explanation(self, lang: str) -> str:
        return self.explanation_vi if lang.startswith("vi") else self.explanation_en


class EntryResult(models.Model):
    """A household's result under an additional standard, frozen with its approved list's entry: what approved
    reports under that standard read."""

    commune_list = models.ForeignKey(CommuneList, verbose_name=_("commune list"), on_delete=models.CASCADE, related_name="standard_entries")
    criteria_set = models.ForeignKey(CriteriaSet, verbose_name=_("criteria set"), on_delete=models.PROTECT, related_name="+")
    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    member_count = models.PositiveSmallIntegerField(_("members"))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices, blank=True)
    low_income_workers = models.PositiveSmallIntegerField(_("low-income workers"), default=0)

    class Meta:
        verbose_name = _("frozen result under an additional standard")
        verbose_name_plural = _("frozen results under additional standards")
        ordering = ["commune_list", "criteria_set__code", "household__code"]
        constraints = [
            models.UniqueConstraint(fields=["commune_list", "criteria_set", "household"], name="one_entry_result_per_standard")
        ]
        indexes = [models.Index(fields=["commune_list", "criteria_set", "category"], name="entry_result_idx")]

    def __str__(self) -> str:
        return f"{self.commune_list} · {self.criteria_set_id} · {self.household_id}: {self.category}"
