"""Writing the audit trail: called inside the service's transaction so an event exists iff the change does.

Each event also records the unit its change belongs to and (by the column's default) its transaction, which the
change feed reads (core/changes.py)."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from core.audit_actions import AuditAction
from core.changes import units_of
from core.middleware import current_request_id
from core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, in a JSON-friendly form, for a later `diff`."""
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        out[name] = _plain(getattr(obj, field.attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for the fields whose value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _event(
    *, actor, action: AuditAction | str, target: models.Model, changes: dict | None, reason: str, unit_id: int | None
) -> AuditEvent:
    """An unsaved audit event, as `audit` and `audit_many` write it. An action outside `AuditAction` is a programming
    error (ValueError): every intent is named, with its label, in core/audit_actions.py."""
    action = AuditAction(action)
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        unit_id=unit_id,
        actor=user,
        actor_username=getattr(user, "username", "") or "system",
        action=action.value,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        changes={k: _plain(v) for k, v in (changes or {}).items()},
        reason=reason or "",
        request_id=current_request_id() or "",
    )


def audit(*, actor, action: AuditAction | str, target: models.Model, changes: dict | None = None, reason: str = "") -> AuditEvent:
    """Append one audit event naming the intent of a change."""
    event = _event(actor=actor, action=action, target=target, changes=changes, reason=reason, unit_id=units_of([target])[0])
    event.save()
    return event


def audit_many(*, actor, action: AuditAction | str, items: Iterable[tuple[models.Model, dict]], reason: str = "") -> int:
    """Append one audit event per object of a bulk change, in one bulk insert (each row as `audit` writes it)."""
    items = list(items)
    units = units_of([target for target, _changes in items])
    events = [
        _event(actor=actor, action=action, target=target, changes=changes, reason=reason, unit_id=unit)
        for (target, changes), unit in zip(items, units, strict=True)
    ]
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


def audit_export(
    *, actor, what: str, target: models.Model, count: int | None, fmt: str = "xlsx", filters: dict | None = None, reason: str = ""
) -> AuditEvent:
    """Record an export of personal data: who took which rows of what, in which format (and with which filters).
    Every export of personal data is audited here, so the history panel shows downloads alike."""
    changes = {"rows": [None, count]} if count is not None else {}
    changes["format"] = [None, fmt]
    if filters is not None:
        changes["filters"] = [None, filters]
    return audit(actor=actor, action=f"export.{what}", target=target, changes=changes, reason=reason)
