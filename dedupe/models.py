"""Possible duplicates: pairs of households that probably hold the same people, and the scans that found them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    SAME = "same", _("Same household")
    DIFFERENT = "different", _("Different people")


class DuplicateCandidate(models.Model):
    """Two households (lower id first) that a scan found probably registered twice, and the reviewer's decision.

    One row per pair, ever: a decided pair stays decided, and later scans neither re-propose nor rescore it.
    Members are named in `matches` (ids and the names as they were): member rows are replaced whenever a
    household is edited, so no foreign key to them would last."""

    household_a = models.ForeignKey(
        "households.Household", verbose_name=_("household A"), on_delete=models.CASCADE, related_name="+"
    )
    household_b = models.ForeignKey(
        "households.Household", verbose_name=_("household B"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # [{"a": member id, "b": member id, "a_name", "b_name", "birth_year", "score", "reasons": [...]}, …], best first.
    matches = models.JSONField(_("matching members"), default=list, blank=True)
    expected_homonyms = models.FloatField(_("people of that name expected nearby by chance"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=CandidateStatus.choices, default=CandidateStatus.OPEN)
    kept = models.ForeignKey(
        "households.Household",
        verbose_name=_("household kept"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # "Same household" decided by a reviewer who may not change the households: the merge waits for one who may.
    merged = models.BooleanField(_("merged"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    seen_at = models.DateTimeField(_("last found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["status", "-score"])]
        constraints = [
            models.UniqueConstraint(fields=["household_a", "household_b"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(household_a__lt=F("household_b")), name="duplicate_pair_ordered"),
            models.CheckConstraint(
                condition=~Q(status="open") | (Q(decided_at__isnull=True) & Q(merged=False)), name="duplicate_open_undecided"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_a_id} ~ {self.household_b_id} ({self.score})"

    @property
    def merge_pending(self) -> bool:
        return self.status == CandidateStatus.SAME and not self.merged


class DuplicateScan(models.Model):
    """One scan of a province's active households: what it read, compared and found."""

    province = models.ForeignKey("households.AdminUnit", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    members = models.PositiveIntegerField(_("members read"), default=0)
    pairs_compared = models.BigIntegerField(_("pairs compared"), default=0)
    candidates = models.PositiveIntegerField(_("pairs to review"), default=0)
    new = models.PositiveIntegerField(_("new pairs"), default=0)
    removed = models.PositiveIntegerField(_("pairs no longer found"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.province_id} · {self.started_at:%Y-%m-%d %H:%M}"
