"""Survey rounds, their area types and denominators."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit, AreaType, Level
from surveys.models.criteria import CriteriaSet


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
        AdminUnit,
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="rounds",
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
        CriteriaSet,
        verbose_name=_("additional standards"),
        blank=True,
        related_name="additional_rounds",
        help_text=_(
            "A province's own standard, or the next period's for a dry run: every assessment is also classified under these."
        ),
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
        return [
            self.criteria_set,
            *sorted((s for s in self.additional_sets.all() if s.pk != self.criteria_set_id), key=lambda s: s.code),
        ]

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
        "set": criteria_set.code,
        "start": fmt(criteria_set.valid_from),
        "end": fmt(criteria_set.valid_to),
        "year": year,
    }


class RoundArea(models.Model):
    """The area type (urban or rural) a commune has in a round: the one of the round's year, since wards
    were communes a few years earlier. Filled from the unit when the round is created; staff may correct it
    before the commune's first assessment in the round."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="areas")
    commune = models.ForeignKey(
        AdminUnit,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.COMMUNE},
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
        AdminUnit,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="denominators",
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
