"""Commune lists and their approved entries (frozen at approval, DESIGN.md §1 "Time")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit, AreaType, Hamlet, Household, visible_commune_ids
from surveys.models.criteria import Category, CriteriaSet, Group
from surveys.models.rounds import SurveyRound


class ListStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted by the commune")
    DISTRICT_REVIEWED = "district_reviewed", _("Reviewed by the district")
    APPROVED = "approved", _("Approved by the department")
    RETURNED = "returned", _("Returned to the commune")


class CommuneListQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommuneListQuerySet:
        return self.filter(commune_id__in=visible_commune_ids(user))

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
            models.UniqueConstraint(fields=["round", "commune"], condition=Q(is_current=True), name="one_current_commune_list"),
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
        return self.filter(commune_id__in=visible_commune_ids(user))

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

    commune_list = models.ForeignKey(
        CommuneList, verbose_name=_("commune list"), on_delete=models.CASCADE, related_name="entries"
    )
    # Copies of the list's round and commune, so entries aggregate like assessments.
    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(AdminUnit, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="list_entries")
    hamlet = models.ForeignKey(
        Hamlet, verbose_name=_("hamlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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


class EntryResult(models.Model):
    """A household's result under an additional standard, frozen with its approved list's entry: what approved
    reports under that standard read."""

    commune_list = models.ForeignKey(
        CommuneList, verbose_name=_("commune list"), on_delete=models.CASCADE, related_name="standard_entries"
    )
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
