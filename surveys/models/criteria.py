"""The standards: criteria sets with their lines, indicators and rule tables; the categories they give."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import AreaType
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
    ALL_SP_OR_UNABLE = (
        cl.GroupRule.ALL_SP_OR_UNABLE.value,
        _("Social protection when every member is a social-protection beneficiary or unable to work"),
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
    groups_for_near_poor = models.BooleanField(_("split near-poor households into groups too"), default=True)
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
        _("low-income worker line, rural"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Income per person (in the set's period) at or below which the workers of a household that is neither poor nor near-poor count as low-income workers."
        ),
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
    income_above = models.BigIntegerField(_("income above (exclusive)"), null=True, blank=True, validators=[MinValueValidator(0)])
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
                condition=Q(income_above__isnull=True)
                | Q(income_upto__isnull=True)
                | Q(income_upto__gte=models.F("income_above")),
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
