"""How a stored audit value reads to people: choices by label, Yes/No, dd/mm/yyyy, local time, names instead of
database ids, and the rows of a related list (members, rules) line by line. Pure, like core.audit_labels."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from core.audit_labels import (
    BOOL,
    CHOICE,
    DATE,
    DATETIME,
    EMPTY,
    INDICATORS,
    LIST,
    MONEY,
    NUMBER,
    REF,
    ROWS,
    UNIT_CODE,
    Spec,
    change_order,
    label_text,
    ref_key,
    spec_for,
)

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
        return (
            ", ".join(names.get(("indicator", str(code)), str(code)) for code in value) if isinstance(value, list) else str(value)
        )
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
            changed = sorted(
                (k for k in dict.fromkeys([*a, *b]) if k not in _ROW_SKIP and a.get(k) != b.get(k)),
                key=lambda k: change_order(model, k),
            )
            if not changed:
                continue
            specs = {k: spec_for(model, "", k, admin=True) for k in changed}
            lines.append(
                ChangeLine(
                    label,
                    "; ".join(f"{label_text(specs[k])}: {show(specs[k], a.get(k), names) or EMPTY}" for k in changed),
                    "; ".join(f"{label_text(specs[k])}: {show(specs[k], b.get(k), names) or EMPTY}" for k in changed),
                )
            )
        else:
            summary = _row_summary(row, model, names, name_key=name_key)
            # Added: only the new row; removed: the old row → "—".
            lines.append(ChangeLine(label, "", summary or name) if b is not None else ChangeLine(label, summary or name, ""))
    return lines
