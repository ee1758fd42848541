"""How the audit trail reads to people: a label for every action and change key, and each stored value shown as
the rest of the site shows it (choices by label, Yes/No, dd/mm/yyyy, local time, names instead of database ids).

Pure: no queries. `core.selectors` resolves the names of referenced rows and passes them in.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

EXPORT_PREFIX = "export."
EMPTY = "—"

# Every action `core.audit.audit`/`audit_many`/`audit_export` writes, including the admin's
# "<model>.created|updated|deleted" (core.admin.AuditedAdminMixin).
ACTION_LABELS = {
    # households
    "household.created": _("Household registered"),
    "household.updated": _("Household changed"),
    "household.status_changed": _("Household status changed"),
    "household.deleted": _("Household deleted"),
    "household.imported": _("Imported from a survey workbook"),
    "household.rehomed": _("Moved to the commune of 1 July 2025"),
    "households.rehomed": _("Households moved to the communes of 1 July 2025"),
    "hamlet.created": _("Hamlet added"),
    "hamlet.updated": _("Hamlet changed"),
    "hamlet.deleted": _("Hamlet deleted"),
    "adminunit.created": _("Administrative unit added"),
    "adminunit.updated": _("Administrative unit changed"),
    "adminunit.deleted": _("Administrative unit deleted"),
    "units.loaded": _("Administrative units loaded"),
    "assignment.created": _("Role assigned"),
    "assignment.updated": _("Role assignment changed"),
    "assignment.deleted": _("Role assignment removed"),
    # criteria sets, rounds, assessments
    "criteriaset.created": _("Criteria set added"),
    "criteriaset.updated": _("Criteria set changed"),
    "criteriaset.deleted": _("Criteria set deleted"),
    "criteria_set.draft_copied": _("Criteria set copied as a draft"),
    "round.created": _("Round created"),
    "round.updated": _("Round changed"),
    "round.deleted": _("Round deleted"),
    "round.area_set": _("Area type in the round changed"),
    "round.reclassified": _("Round reclassified"),
    "round.decision_recorded": _("Province's approval decision recorded"),
    "round.standards_set": _("Additional standards of the round changed"),
    "duplicates.scanned": _("Scan for duplicate households"),
    "export.offline_package": _("Offline copy taken"),
    "duplicate.decided": _("Decision on a possible duplicate pair"),
    "duplicate.merged": _("Merge of duplicate households completed"),
    "denominator.set": _("Total households set"),
    "denominator.created": _("Total households set"),
    "denominator.updated": _("Total households changed"),
    "denominator.deleted": _("Total households removed"),
    "survey.imported": _("Survey workbook imported"),
    "demo.loaded": _("Demonstration data loaded"),
    "assessment.created": _("Assessment entered"),
    "assessment.updated": _("Assessment changed"),
    # the commune's list and its procedure
    "commune_list.created": _("List started"),
    "commune_list.submitted": _("List submitted"),
    "commune_list.district_reviewed": _("List reviewed by the district"),
    "commune_list.approved": _("List approved"),
    "commune_list.returned": _("List returned"),
    "commune_list.revision_opened": _("Revision opened"),
    "commune_list.recognised": _("Recognition decision recorded"),
    "application.filed": _("Monthly review application received"),
    "application.decided": _("Monthly review application decided"),
    "hamlet_meeting.recorded": _("Hamlet meeting recorded"),
    "public_posting.recorded": _("Public posting recorded"),
    "hamlet_meeting.withdrawn": _("Hamlet meeting withdrawn"),
    "public_posting.withdrawn": _("Public posting withdrawn"),
    "appeal.lodged": _("Appeal lodged"),
    "appeal.decided": _("Appeal decided"),
    # receivers of the change feed (core/webhooks.py)
    "webhook.created": _("Webhook registered"),
    "webhook.updated": _("Webhook changed"),
    "webhook.deleted": _("Webhook removed"),
    # exports of personal data (shown collapsed per day and user)
    "export.posting_list": _("Posting list downloaded"),
    "export.recognition_list": _("Recognition list downloaded"),
    "export.household_list": _("Household list downloaded"),
}


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
    "text", "number", "money", "bool", "date", "datetime", "choice", "ref", "unit_code", "indicators", "rows", "list",
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
        "rows": _("rows"), "working_days": _("working days posted"), "households": _("households"),
        "communes": _("communes"), "created": _("units added"), "updated": _("units changed"),
        "successor_links": _("successor links"), "assessments_changed": _("assessments changed"),
        "households_created": _("households registered"), "households_updated": _("households changed"),
        "households_unchanged": _("households unchanged"), "members_created": _("members registered"),
        "hamlets_created": _("hamlets added"), "assessments_created": _("assessments entered"),
        "assessments_updated": _("assessments changed"), "assessments_unchanged": _("assessments unchanged"),
        "denominators_set": _("total households set"), "areas_set": _("area types set"),
    }
    specs = {key: Spec(label, NUMBER) for key, label in counts.items()}
    specs.update({
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
        "household": Spec(_("household"), CHOICE, {
            "created": _("registered"), "hamlet, head or address updated": _("hamlet, head or address updated"),
        }),
        # The province's approval decision, written on its round.
        "decision_number": Spec(_("decision number")),
        "decision_date": Spec(_("decision date"), DATE),
        "signer": Spec(_("signed by")),
        "document": Spec(_("scan (PDF, JPEG or PNG)"), BOOL),
        # CommuneList's user fields carry no verbose name of their own.
        "submitted_by": Spec(_("submitted by")),
        "reviewed_by": Spec(_("reviewed by")),
        "approved_by": Spec(_("approved by")),
    })
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
        return Spec(f.verbose_name if f is not None and hasattr(f, "verbose_name") else (known or Spec(_humanize(key))).label,
                    written_as)
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


# --- showing a value ---------------------------------------------------------------------------------------


def _date(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return _datetime(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    try:
        return datetime.date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def local_time(value: datetime.datetime) -> str:
    """dd/mm/yyyy HH:MM in the active (else the site's) time zone."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y %H:%M")


def _datetime(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return local_time(value)
    text = str(value)
    if len(text) <= 10:
        return _date(text)
    try:
        return local_time(datetime.datetime.fromisoformat(text))
    except ValueError:
        return text


def _number(value: Any) -> str:
    # Grouped the Vietnamese way, as money is everywhere on the site (1.500.000); years and small counts as they are.
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}".replace(",", ".")
    return str(value)


def _money(value: Any) -> str:
    from surveys.classification import vnd

    return vnd(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def show(spec: Spec, value: Any, names: dict) -> str:
    """One stored value as people read it; "" for no value."""
    if value is None or value == "" or value == []:
        return ""
    kind = spec.kind
    if isinstance(value, list) and kind not in (ROWS, INDICATORS, LIST):
        return ", ".join(filter(None, (show(spec, v, names) for v in value)))
    if kind == CHOICE:
        return str(spec.choices.get(value, value))
    if kind == BOOL:
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        return str(value)
    if kind == DATE:
        return _date(value)
    if kind == DATETIME:
        return _datetime(value)
    if kind == NUMBER:
        return _number(value)
    if kind == MONEY:
        return _money(value)
    if kind == REF and spec.model is not None:
        key = ref_key(spec.model, value)
        # A value written as a name or code (a username, say) shows as written; an id shows its row's name.
        return names.get(("ref", key), EMPTY) if key is not None else str(value)
    if kind == UNIT_CODE:
        if isinstance(value, int):
            return names.get(("ref", ("households.adminunit", str(value))), EMPTY)
        return names.get(("unit_code", str(value)), str(value))
    if kind == INDICATORS:
        return ", ".join(names.get(("indicator", str(code)), str(code)) for code in value) if isinstance(value, list) else str(value)
    if kind in (LIST, ROWS):
        if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
            return ", ".join(str(v) for v in value)
        if not isinstance(value, list):
            return _number(value)
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def readable_dates(text: str) -> str:
    """ISO dates inside a stored description ("Khu phố 1 · 2024-09-10 · 5/8") as dd/mm/yyyy."""
    return _ISO_DATE.sub(lambda m: f"{m[3]}/{m[2]}/{m[1]}", text or "")


# --- rows of a related list (members, rules, indicators, denominators) ------------------------------------

_ROW_NAME_KEYS = ("full_name", "name", "code", "hamlet", "commune")
_ROW_SKIP = {"position"}


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


def _row_name(row: dict, model, names: dict) -> str:
    for key in _ROW_NAME_KEYS:
        if row.get(key) not in (None, ""):
            return show(spec_for(model, "", key, admin=True), row[key], names)
    return ""


def _row_summary(row: dict, model, names: dict, *, name_key: str | None) -> str:
    parts = []
    for key, value in sorted(row.items(), key=lambda item: change_order(model, item[0])):
        if key in _ROW_SKIP or key == name_key or value in (None, "", False):
            continue
        spec = spec_for(model, "", key, admin=True)
        parts.append(capfirst(str(spec.label)) if spec.kind == BOOL and value is True else show(spec, value, names))
    return ", ".join(p for p in parts if p)


def _name_key(rows: Iterable[dict]) -> str | None:
    rows = [r for r in rows if isinstance(r, dict)]
    for key in _ROW_NAME_KEYS:
        if rows and all(r.get(key) not in (None, "") for r in rows):
            return key
    return None


def row_lines(spec: Spec, before: Any, after: Any, names: dict) -> list[ChangeLine]:
    """The rows of a related list that differ, one line each: matched by name where rows have one, else by place."""
    model, group = spec.model, capfirst(str(spec.label))
    old = before if isinstance(before, list) else []
    new = after if isinstance(after, list) else []
    name_key = _name_key([*old, *new])
    pairs: list[tuple[dict | None, dict | None]] = []
    if name_key is not None:
        unmatched = [r for r in old if isinstance(r, dict)]
        for row in new:
            if not isinstance(row, dict):
                continue
            match = next((r for r in unmatched if r.get(name_key) == row.get(name_key)), None)
            if match is not None:
                unmatched.remove(match)
            pairs.append((match, row))
        pairs.extend((r, None) for r in unmatched)
    else:
        for index in range(max(len(old), len(new))):
            pairs.append((old[index] if index < len(old) else None, new[index] if index < len(new) else None))
    lines = []
    for index, (a, b) in enumerate(pairs, start=1):
        a = a if isinstance(a, dict) else None
        b = b if isinstance(b, dict) else None
        if a == b:
            continue
        row = b or a or {}
        name = _row_name(row, model, names) or f"#{index}"
        label = f"{group} · {name}"
        if a is not None and b is not None:
            changed = sorted((k for k in dict.fromkeys([*a, *b]) if k not in _ROW_SKIP and a.get(k) != b.get(k)),
                             key=lambda k: change_order(model, k))
            if not changed:
                continue
            specs = {k: spec_for(model, "", k, admin=True) for k in changed}
            lines.append(ChangeLine(
                label,
                "; ".join(f"{label_text(specs[k])}: {show(specs[k], a.get(k), names) or EMPTY}" for k in changed),
                "; ".join(f"{label_text(specs[k])}: {show(specs[k], b.get(k), names) or EMPTY}" for k in changed),
            ))
        else:
            summary = _row_summary(row, model, names, name_key=name_key)
            # Added: only the new row; removed: the old row → "—".
            lines.append(ChangeLine(label, "", summary or name) if b is not None else ChangeLine(label, summary or name, ""))
    return lines
