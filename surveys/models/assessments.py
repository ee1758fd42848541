"""A household's assessment in a round, and its live result under each additional standard."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit, AreaType, Hamlet, Household, visible_commune_ids
from surveys.models.criteria import Category, CriteriaSet, Group, Indicator
from surveys.models.rounds import SurveyRound


class Basis(models.TextChoices):
    INCOME = "income", _("income per person")
    SCORE = "score", _("scores A and B (Circular 07)")


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> AssessmentQuerySet:
        return self.filter(commune_id__in=visible_commune_ids(user))


class Assessment(models.Model):
    """One household in one round: stored inputs, the member facts used, and the computed result."""

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="assessments")
    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="assessments")
    criteria_set = models.ForeignKey(CriteriaSet, verbose_name=_("criteria set"), on_delete=models.PROTECT, related_name="+")
    # Where the household was at assessment time: later moves never rewrite a round's numbers.
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    hamlet = models.ForeignKey(
        Hamlet, verbose_name=_("hamlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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


class StandardResult(models.Model):
    """An assessment classified under one of its round's additional standards, from the same stored inputs.
    Kept beside the assessment (whose own result is the official set's) and recomputed whenever it is."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="standard_results"
    )
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
