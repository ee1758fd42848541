"""The one optimistic-lock check: a write names the version it was based on, and a newer one refuses it.

Every service that takes `expected_version` calls `check_version` on the row it has locked (select_for_update),
so the comparison and its answer (ConflictError, which the API maps to 409 and the pages show) are written once."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.exceptions import ConflictError


def check_version(obj, expected_version: int | None, *, message: str | None = None) -> None:
    """Refuse a write based on a version other than `obj`'s. `obj` None is a row not created yet (version 0: a
    caller that saw nothing sends 0, and a row created since then is a conflict). No expected version: no check."""
    if expected_version is None:
        return
    current = obj.version if obj is not None else 0
    if current != expected_version:
        raise ConflictError(str(message) if message else _("This record was changed by someone else; reload it and try again."))
