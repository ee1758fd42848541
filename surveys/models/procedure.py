"""The procedure around a list: hamlet meetings, public postings, appeals, the province's decisions and the monthly review's applications."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models import AdminUnit, Hamlet, Household, visible_commune_ids
from surveys.models.assessments import Assessment
from surveys.models.criteria import Category, Group
from surveys.models.lists import CommuneList
from surveys.models.rounds import SurveyRound


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
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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
        return self.filter(commune_id__in=visible_commune_ids(user))


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
    round = models.ForeignKey(
        SurveyRound, verbose_name=_("round in force"), on_delete=models.PROTECT, related_name="applications"
    )
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
