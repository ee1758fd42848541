"""The registry: households and their members, ethnic groups, and re-homings to the 2025 communes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models.units import AdminUnit, Hamlet, Level, Structure, visible_commune_ids


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MOVED = "moved", _("Moved away")
    MERGED = "merged", _("Merged into another household")
    DISSOLVED = "dissolved", _("Dissolved")


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user) -> HouseholdQuerySet:
        return self.filter(commune_id__in=visible_commune_ids(user))

    def active(self) -> HouseholdQuerySet:
        return self.filter(status=HouseholdStatus.ACTIVE)


household_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", _("Use letters, digits, dot, dash or underscore (at most 40 characters).")
)


class Household(models.Model):
    """A household registered in a commune. Never deleted: it moves, merges or dissolves."""

    code = models.CharField(_("household code"), max_length=40, unique=True, validators=[household_code_validator])
    commune = models.ForeignKey(
        AdminUnit,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Level.COMMUNE},
    )
    hamlet = models.ForeignKey(
        Hamlet, verbose_name=_("hamlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="households"
    )
    head_name = models.CharField(_("head of household"), max_length=120)
    address = models.CharField(_("address"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    # Code, head's name, members' names and citizen IDs folded (households.search.fold): the register's search
    # ignores tone marks and case on every database. Written by the services and the importer, never typed.
    search_key = models.TextField(_("search key"), blank=True, default="", editable=False)
    # How many members it has, kept by the services and the import like `search_key`: the live persons denominator
    # sums it over a province's households instead of counting a national members table (bench/national.py).
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["code"]
        # (commune, code): a commune's list in code order reads its own rows, not the whole registry's code index.
        indexes = [
            models.Index(fields=["commune", "status"]),
            models.Index(fields=["head_name"]),
            models.Index(fields=["commune", "code"], name="household_commune_code"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False) | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="merged_household_names_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.head_name}"


# Members of one household: the web form, the API, the import and the service share this limit.
MAX_MEMBERS = 40

# "Able to work" is pre-ticked only for members aged 15 to 60 in the current year (issue 12; LAW.md states no
# working-age rule). A default for the form, not a rule: the officer's tick is what is stored.
WORKING_AGE_FROM, WORKING_AGE_TO = 15, 60


def age_in(birth_year: int, year: int | None = None) -> int:
    return (year or datetime.date.today().year) - birth_year


def of_working_age(birth_year: int | None, year: int | None = None) -> bool | None:
    """Whether a member born in `birth_year` is 15 to 60 years old in `year` (None when the year is unknown)."""
    if birth_year is None:
        return None
    return WORKING_AGE_FROM <= age_in(birth_year, year) <= WORKING_AGE_TO


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other")


citizen_id_validator = RegexValidator(r"^\d{12}$", _("A citizen ID has exactly 12 digits."), code="citizen_id")


def validate_birth_year(value: int) -> None:
    from django.core.exceptions import ValidationError

    if value > datetime.date.today().year:
        raise ValidationError(_("The birth year cannot be in the future."), code="birth_year")


class EthnicGroup(models.Model):
    """One of the 54 ethnic groups of the GSO's list, by its code (households.ethnicity_data)."""

    code = models.CharField(_("GSO code"), max_length=2, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    # The folded name text is matched by (households.ethnicity.ethnic_key): no tone marks, case or "người" prefix.
    key = models.CharField(_("matching key"), max_length=60, unique=True, editable=False)

    class Meta:
        verbose_name = _("ethnic group")
        verbose_name_plural = _("ethnic groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_vi

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> MemberQuerySet:
        return self.filter(household__commune_id__in=visible_commune_ids(user))


class Member(models.Model):
    """A person in a household, with the facts the classification and the reports need."""

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="members")
    full_name = models.CharField(_("full name"), max_length=120)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), validators=[MinValueValidator(1900), validate_birth_year])
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER)
    citizen_id = models.CharField(_("citizen ID"), max_length=12, blank=True, validators=[citizen_id_validator])
    # The display copy of the member's ethnic group (its Vietnamese name); `ethnic_group` is what counts. A value
    # the migration from free text could not read keeps its text here and no group (the data-quality page lists it).
    ethnicity = models.CharField(_("ethnicity"), max_length=40, default="Kinh")
    ethnic_group = models.ForeignKey(
        EthnicGroup, verbose_name=_("ethnic group"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    able_to_work = models.BooleanField(_("able to work"), default=True)
    social_protection = models.BooleanField(_("social-protection beneficiary"), default=False)
    merit = models.BooleanField(_("person with revolutionary merit"), default=False)
    disability = models.BooleanField(_("person with disability"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0, validators=[MaxValueValidator(999)])

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["household", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["citizen_id"], condition=~Q(citizen_id=""), name="citizen_id_unique_when_given")
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        if self.ethnic_group_id is None and self.ethnicity:  # a text that names a group gets it (bulk paths set it)
            from households.ethnicity import match_code

            code = match_code(self.ethnicity)
            self.ethnic_group = EthnicGroup.objects.filter(code=code).first() if code else None
        if self.ethnic_group_id is not None:  # the text is a copy of the group's name (the admin may change the group)
            self.ethnicity = self.ethnic_group.name_vi
            if kwargs.get("update_fields") is not None and "ethnic_group" in kwargs["update_fields"]:
                kwargs["update_fields"] = {*kwargs["update_fields"], "ethnicity"}
        super().save(*args, **kwargs)

    @property
    def is_ethnic_minority(self) -> bool:
        from households.ethnicity import is_ethnic_minority

        return is_ethnic_minority(self.ethnic_group.code if self.ethnic_group_id else None)


# The facts of a member a person types, in the order forms, the API, the offline app, the import, the audit trail
# and the admin show them (the ethnic group is derived from `ethnicity`, see Member.save). One list for all.
MEMBER_FIELDS = (
    "full_name",
    "sex",
    "birth_year",
    "relation",
    "citizen_id",
    "ethnicity",
    "able_to_work",
    "social_protection",
    "merit",
    "disability",
)


class RehomingBasis(models.TextChoices):
    SUCCESSOR = "successor", _("The commune's only successor")
    HAMLET = "hamlet", _("By hamlet, from the mapping workbook")
    DEFAULT = "default", _("The package's default new unit (assumption)")


class Rehoming(models.Model):
    """A household moved from its commune in the legacy structure to its commune in the 2025 structure.
    Kept so that a legacy round can be read in today's units exactly as the households were placed."""

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="rehomings")
    structure = models.CharField(_("to structure"), max_length=8, choices=Structure.choices, default=Structure.Y2025)
    from_commune = models.ForeignKey(AdminUnit, verbose_name=_("from commune"), on_delete=models.PROTECT, related_name="+")
    to_commune = models.ForeignKey(AdminUnit, verbose_name=_("to commune"), on_delete=models.PROTECT, related_name="+")
    from_hamlet = models.ForeignKey(
        Hamlet, verbose_name=_("from hamlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_hamlet = models.ForeignKey(
        Hamlet, verbose_name=_("to hamlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(_("basis"), max_length=12, choices=RehomingBasis.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("re-homing")
        verbose_name_plural = _("re-homings")
        ordering = ["household", "structure"]
        constraints = [models.UniqueConstraint(fields=["household", "structure"], name="one_rehoming_per_structure")]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.from_commune_id} → {self.to_commune_id}"
