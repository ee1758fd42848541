"""Who may do what where. Reading personal data is scoped by `visible_to`; these answer write questions."""

from __future__ import annotations

from core.policy import Action, can, roles_for
from households.models import AdminUnit, Assignment, Level, Role

EDIT_ROLES = roles_for(Action.EDIT)


def has_role(user, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Assignment.objects.filter(user=user, role__in=roles).exists()


def can_edit_commune(user, commune: AdminUnit) -> bool:
    """Enter or change households and assessments of `commune` (the access policy's `edit`)."""
    return can(user, Action.EDIT, commune)


def is_staff_of_province(user) -> bool:
    """Department staff somewhere (the access policy's `manage_rounds`)."""
    return can(user, Action.MANAGE_ROUNDS)


def units_of(user, *roles: str):
    return AdminUnit.objects.filter(assignments__user=user, assignments__role__in=roles).distinct()


def home_commune(user) -> AdminUnit | None:
    """The commune an officer works in, when they have exactly one."""
    units = list(units_of(user, Role.COMMUNE_OFFICER, Role.COMMUNE_CHAIRMAN).filter(level=Level.COMMUNE)[:2])
    return units[0] if len(units) == 1 else None
