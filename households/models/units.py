"""Administrative units (both structures), hamlets, and who is assigned where with which role."""

from __future__ import annotations

import datetime
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("Centrally-run city")
    PROVINCIAL_CITY = "provincial_city", _("Provincial city")
    TOWN = "town", _("Town")
    DISTRICT = "district", _("Rural district")
    WARD = "ward", _("Ward")
    TOWNSHIP = "township", _("Township")
    COMMUNE = "commune", _("Commune")
    SPECIAL_ZONE = "special_zone", _("Special zone")


class AreaType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class Structure(models.TextChoices):
    LEGACY = "legacy", _("Before 1 July 2025 (province, district, commune)")
    Y2025 = "2025", _("From 1 July 2025 (province, commune)")


STRUCTURE_2025_START = datetime.date(2025, 7, 1)


class Role(models.TextChoices):
    COMMUNE_OFFICER = "commune_officer", _("Commune officer")
    COMMUNE_CHAIRMAN = "commune_chairman", _("Commune chairman (approver)")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    API_READER = "api_reader", _("API reader")
    ADMIN = "admin", _("Administrator")


# Roles that may read personal data (names, ID numbers, incomes) of the units they are assigned to.
PERSONAL_DATA_ROLES = (Role.COMMUNE_OFFICER, Role.COMMUNE_CHAIRMAN, Role.DISTRICT_OFFICER, Role.DEPARTMENT_STAFF, Role.ADMIN)


class AdminUnitQuerySet(models.QuerySet):
    def communes(self) -> AdminUnitQuerySet:
        return self.filter(level=Level.COMMUNE)

    def under(self, unit: AdminUnit) -> AdminUnitQuerySet:
        """The unit itself and every unit below it (at most two levels)."""
        return self.filter(Q(pk=unit.pk) | Q(parent=unit) | Q(parent__parent=unit))

    def covered_by(self, unit_ids) -> AdminUnitQuerySet:
        return self.filter(Q(pk__in=unit_ids) | Q(parent__in=unit_ids) | Q(parent__parent__in=unit_ids))

    def visible_to(self, user) -> AdminUnitQuerySet:
        """Units are public facts; every signed-in user may read them."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.all()


class AdminUnit(models.Model):
    """A GSO administrative unit (province, district or commune) in one structure, with its validity."""

    code = models.CharField(_("GSO code"), max_length=10)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    area_type = models.CharField(_("area type"), max_length=8, choices=AreaType.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    structure = models.CharField(_("structure"), max_length=8, choices=Structure.choices, default=Structure.LEGACY)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successors = models.ManyToManyField(
        "self", verbose_name=_("successor units"), symmetrical=False, blank=True, related_name="predecessors"
    )

    objects = AdminUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["structure", "code"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="unit_code_unique_per_structure"),
            models.CheckConstraint(condition=~Q(level="commune") | ~Q(area_type=""), name="commune_has_area_type"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def province(self) -> AdminUnit:
        unit = self
        while unit.parent_id is not None:
            unit = unit.parent
        return unit


class HamletQuerySet(models.QuerySet):
    def visible_to(self, user) -> HamletQuerySet:
        return self.filter(commune_id__in=visible_commune_ids(user))


class Hamlet(models.Model):
    """A hamlet, village or residential group (ấp, thôn, khu phố): a local unit with no national code."""

    commune = models.ForeignKey(
        AdminUnit,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="hamlets",
        limit_choices_to={"level": Level.COMMUNE},
    )
    name = models.CharField(_("name"), max_length=120)
    # The one identity rule of a hamlet: its name in composed Unicode (NFC), spaces collapsed, case folded
    # ("khu phố 1" is "Khu phố 1"; "Khu phô 1" is another hamlet), unique per commune in the database. Every path
    # (services, API, forms, import, re-homing, offline sync) finds hamlets by this key. Longer than the name: a
    # case fold can lengthen it ("ß" → "ss").
    name_key = models.CharField(_("name key"), max_length=255, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = HamletQuerySet.as_manager()

    class Meta:
        verbose_name = _("hamlet")
        verbose_name_plural = _("hamlets")
        ordering = ["commune", "name"]
        constraints = [models.UniqueConstraint(fields=["commune", "name_key"], name="hamlet_name_key_unique_in_commune")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = self.clean_name(self.name)
        self.name_key = self.key(self.name)
        super().save(*args, **kwargs)

    @staticmethod
    def clean_name(name: str) -> str:
        """The name as stored: composed Unicode (a decomposed "ố" typed on some keyboards is the same letter),
        inner whitespace collapsed to one space, no leading or trailing space."""
        return " ".join(unicodedata.normalize("NFC", name or "").split())

    @staticmethod
    def key(name: str) -> str:
        """The identity of a name within its commune: the clean name, case folded (diacritics kept)."""
        return unicodedata.normalize("NFC", Hamlet.clean_name(name).casefold())

    @classmethod
    def build(cls, *, commune_id: int, name: str) -> Hamlet:
        """An unsaved hamlet with its name cleaned and its key set (for bulk inserts)."""
        return cls(commune_id=commune_id, name=cls.clean_name(name), name_key=cls.key(name))


class Assignment(models.Model):
    """A user's role over a unit: what they may do, and which people's data they may see."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(AdminUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


def communes_visible_to(user, roles=PERSONAL_DATA_ROLES) -> AdminUnitQuerySet:
    """The communes whose households' personal data `user` may see (or where `roles` act): the access policy's
    `communes_for`, deny by default."""
    from core.policy import communes_for

    return communes_for(user, roles=roles)


def visible_commune_ids(user, roles=PERSONAL_DATA_ROLES) -> list[int]:
    """`communes_visible_to` as a list of ids, read in one small query. A table of millions filtered by this list
    uses its commune index; filtered by the policy's subquery (three ORs over assignments) PostgreSQL scans it
    (bench/national.py: an officer's household list took 6-15 s at 1.8M households)."""
    cache = getattr(user, "_povreg_visible_communes", None)
    key = tuple(roles)
    if cache is not None and key in cache:
        return cache[key]
    ids = list(communes_visible_to(user, roles=roles).values_list("pk", flat=True))
    if getattr(user, "pk", None) is not None:
        # Read once per user object, i.e. once per request (request.user); a page asks several times.
        user._povreg_visible_communes = {**(cache or {}), key: ids}
    return ids
