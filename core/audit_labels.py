"""How the audit trail reads to people: a label for every action and change key, and which referenced rows a value
names (core.audit_values shows the values themselves).

Pure: no queries. `core.selectors` resolves the names of referenced rows and passes them in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction

EXPORT_PREFIX = "export."
EMPTY = "—"

# Every action written, with its label: core.audit_actions.AuditAction.
ACTION_LABELS = {action.value: action.label for action in AuditAction}


def action_label(action: str) -> str:
    """The action's label; an unknown one reads as words ("criteria_set.draft_copied" → "Criteria set: draft copied")."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action.startswith(EXPORT_PREFIX):
        return gettext("Downloaded: %(what)s") % {"what": _humanize(action.removeprefix(EXPORT_PREFIX))}
    words = [part.replace("_", " ").strip() for part in action.split(".") if part.strip()]
    return capfirst(": ".join(words)) if words else EMPTY


def downloads_label(count: int) -> str:
    return ngettext("Downloaded %(count)s time", "Downloaded %(count)s times", count) % {"count": count}


# --- what a change key means -------------------------------------------------------------------------------

TEXT, NUMBER, MONEY, BOOL, DATE, DATETIME, CHOICE, REF, UNIT_CODE, INDICATORS, ROWS, LIST = (
    "text",
    "number",
    "money",
    "bool",
    "date",
    "datetime",
    "choice",
    "ref",
    "unit_code",
    "indicators",
    "rows",
    "list",
)


@dataclass(frozen=True)
class Spec:
    """How to label and show one change key: `kind` says how its values are stored."""

    label: Any
    kind: str = TEXT
    choices: dict = field(default_factory=dict, hash=False, compare=False)
    model: type[models.Model] | None = None


def _choices(choices_class) -> dict:
    return dict(choices_class.choices)


@cache
def _keys() -> dict[str, Spec]:
    """Keys that services write by hand (not a field of the target): counts, codes, names."""
    from households.models import RehomingBasis, Structure
    from surveys.models import Category

    counts = {
        "rows": _("rows"),
        "working_days": _("working days posted"),
        "households": _("households"),
        "communes": _("communes"),
        "created": _("units added"),
        "updated": _("units changed"),
        "successor_links": _("successor links"),
        "assessments_changed": _("assessments changed"),
        "households_created": _("households registered"),
        "households_updated": _("households changed"),
        "households_unchanged": _("households unchanged"),
        "members_created": _("members registered"),
        "hamlets_created": _("hamlets added"),
        "assessments_created": _("assessments entered"),
        "assessments_updated": _("assessments changed"),
        "assessments_unchanged": _("assessments unchanged"),
        "denominators_set": _("total households set"),
        "areas_set": _("area types set"),
    }
    specs = {key: Spec(label, NUMBER) for key, label in counts.items()}
    specs.update(
        {
            "deprived": Spec(_("deprived indicators"), INDICATORS),
            "members": Spec(_("members"), NUMBER),
            "category": Spec(_("category"), CHOICE, _choices(Category)),
            "format": Spec(_("format"), CHOICE, {"xlsx": "Excel (xlsx)", "csv": "CSV", "print": _("printed page")}),
            "agreement_percent": Spec(_("agreeing (%)")),
            "previous_revision": Spec(_("previous revision"), REF, model=apps.get_model("surveys", "CommuneList")),
            "via": Spec(_("created by"), CHOICE, {"rehome": _("re-homing to the communes of 1 July 2025")}),
            "structure": Spec(_("structure"), CHOICE, _choices(Structure)),
            "basis": Spec(_("basis"), CHOICE, _choices(RehomingBasis)),
            "round": Spec(_("round")),
            "household": Spec(
                _("household"),
                CHOICE,
                {"created": _("registered"), "hamlet, head or address updated": _("hamlet, head or address updated")},
            ),
            # The province's approval decision, written on its round.
            "decision_number": Spec(_("decision number")),
            "decision_date": Spec(_("decision date"), DATE),
            "signer": Spec(_("signed by")),
            "document": Spec(_("scan (PDF, JPEG or PNG)"), BOOL),
            # CommuneList's user fields carry no verbose name of their own.
            "submitted_by": Spec(_("submitted by")),
            "reviewed_by": Spec(_("reviewed by")),
            "approved_by": Spec(_("approved by")),
        }
    )
    return specs


# Values a service wrote as codes or names where the target's field is a foreign key (keyed by action, key).
_WRITTEN_AS = {
    ("hamlet.created", "commune"): UNIT_CODE,
    ("household.rehomed", "commune"): UNIT_CODE,
    ("household.rehomed", "hamlet"): TEXT,
    ("hamlet_meeting.recorded", "hamlet"): TEXT,
    ("hamlet_meeting.withdrawn", "hamlet"): TEXT,
    ("appeal.lodged", "household"): TEXT,
    ("appeal.lodged", "round"): TEXT,
    ("criteria_set.draft_copied", "based_on"): TEXT,
    ("round.created", "previous_rounds"): LIST,
}
_AREA_KEY = re.compile(r"^area\[(?P<code>[^\]]+)\]$")
_BASIS_KEY = re.compile(r"^basis\.(?P<basis>.+)$")


# What a reader looks for first in a change; the rest follow the model's field order.
_FIRST_KEYS = ("status", "category", "group", "income_per_capita", "deprived")


@cache
def _field_order(model: type[models.Model] | None) -> dict[str, int]:
    if model is None:
        return {}
    fields = [*model._meta.fields, *model._meta.many_to_many]
    fields += [f for f in model._meta.get_fields() if f not in fields]  # then related rows (a household's members)
    return {f.name: i for i, f in enumerate(fields)}


def change_order(model: type[models.Model] | None, key: str) -> tuple:
    """Sort key of a change: stored changes come back in no useful order (PostgreSQL's jsonb sorts keys by length)."""
    if key in _FIRST_KEYS:
        return (0, _FIRST_KEYS.index(key), "")
    order = _field_order(model)
    return (1, order[key], "") if key in order else (2, 0, key)


def model_of(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _own_label(f) -> bool:
    """Whether the field was given a verbose name (Django otherwise makes one from the field's name)."""
    return str(f.verbose_name) != f.name.replace("_", " ")


def field_spec(f) -> Spec:
    if not hasattr(f, "verbose_name"):  # a reverse relation: the related rows (a household's members)
        return Spec(f.related_model._meta.verbose_name_plural, ROWS, model=f.related_model)
    label = f.verbose_name
    if f.many_to_many:
        return Spec(label, LIST)
    if f.choices:
        return Spec(label, CHOICE, dict(f.flatchoices))
    if isinstance(f, models.BooleanField):
        return Spec(label, BOOL)
    if isinstance(f, models.DateTimeField):
        return Spec(label, DATETIME)
    if isinstance(f, models.DateField):
        return Spec(label, DATE)
    if isinstance(f, models.ForeignKey):
        return Spec(label, REF, model=f.related_model)
    if isinstance(f, models.IntegerField) and f.name.startswith("income"):
        return Spec(label, MONEY)  # VND per person per month
    if isinstance(f, (models.IntegerField, models.DecimalField, models.FloatField)):
        return Spec(label, NUMBER)
    return Spec(label)


def spec_for(model: type[models.Model] | None, action: str, key: str, *, admin: bool = False) -> Spec:
    """How to label and show change `key` of an event with `action` on a `model` row. Admin writes store every
    field as the database holds it (`core.admin`), so the services' codes-and-names exceptions skip them."""
    if (match := _AREA_KEY.match(key)) is not None:
        from households.models import AreaType

        return Spec(_AreaLabel(match["code"]), CHOICE, _choices(AreaType))
    if (match := _BASIS_KEY.match(key)) is not None:
        return Spec(_BasisLabel(match["basis"]), NUMBER)
    f = None
    if model is not None:
        try:
            f = model._meta.get_field(key)
        except FieldDoesNotExist:
            f = None
    known = _keys().get(key)
    written_as = None if admin else _WRITTEN_AS.get((action, key))
    if written_as is not None:
        return Spec(
            f.verbose_name if f is not None and hasattr(f, "verbose_name") else (known or Spec(_humanize(key))).label, written_as
        )
    if f is not None:
        spec = field_spec(f)
        if known is not None and spec.kind != ROWS and not _own_label(f):
            return Spec(known.label, spec.kind, spec.choices, spec.model)
        return spec
    return known or Spec(_humanize(key))


@dataclass(frozen=True)
class _AreaLabel:
    code: str

    def __str__(self) -> str:
        return gettext("area type of commune %(code)s") % {"code": self.code}


@dataclass(frozen=True)
class _BasisLabel:
    basis: str

    def __str__(self) -> str:
        from households.models import RehomingBasis

        return gettext("households moved: %(basis)s") % {"basis": dict(RehomingBasis.choices).get(self.basis, self.basis)}


def _humanize(key: str) -> str:
    return re.sub(r"[_.\[\]]+", " ", key).strip() or key


def label_text(spec: Spec, names: dict | None = None) -> str:
    """The key's label, capitalised; an area key names its commune when the commune was resolved."""
    if isinstance(spec.label, _AreaLabel) and names and (("unit_code", spec.label.code) in names):
        return capfirst(gettext("area type of %(commune)s") % {"commune": names[("unit_code", spec.label.code)]})
    return capfirst(str(spec.label))


# --- references a value needs resolved (collected before formatting, resolved in one query per model) -----


def ref_key(model: type[models.Model], value: Any) -> tuple[str, str] | None:
    """The lookup key of a database id, or None when the value is not one (a name or code written as text)."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return (model._meta.label_lower, str(value))
    return None


def references(spec: Spec, value: Any, *, target: type[models.Model] | None = None) -> Iterator[tuple[str, Any]]:
    """`(kind, key)` pairs to resolve for showing `value`: ("ref", (model label, id)), ("unit_code", code),
    ("indicator", code)."""
    if value in (None, "", []):
        return
    if spec.kind == REF and spec.model is not None:
        key = ref_key(spec.model, value)
        if key is not None:
            yield "ref", key
    elif spec.kind == UNIT_CODE:
        if isinstance(value, int):
            yield "ref", ("households.adminunit", str(value))
        else:
            yield "unit_code", str(value)
    elif spec.kind == INDICATORS and isinstance(value, list):
        for code in value:
            yield "indicator", str(code)
    elif spec.kind == ROWS and spec.model is not None and isinstance(value, list):
        for row in value:
            if isinstance(row, dict):
                for key, inner in row.items():
                    yield from references(spec_for(spec.model, "", key, admin=True), inner)
    if isinstance(spec.label, _AreaLabel):
        yield "unit_code", spec.label.code
