"""DRF permission classes: who may call which API resource at all. Scoping (which rows) stays in
`visible_to(user)`; objects out of scope answer 404, callers out of role 403."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from households.models import PERSONAL_DATA_ROLES, Assignment, Role


def _roles(request) -> set[str]:
    """The caller's roles, read once per request."""
    cached = getattr(request, "_povreg_roles", None)
    if cached is None:
        user = request.user
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            cached = set()
        else:
            cached = set(Assignment.objects.filter(user=user).values_list("role", flat=True))
            if user.is_superuser:
                cached.add(Role.ADMIN)
        request._povreg_roles = cached
    return cached


def has_personal_data_role(request) -> bool:
    return bool(_roles(request) & set(PERSONAL_DATA_ROLES))


def is_department(request) -> bool:
    return bool(_roles(request) & {Role.DEPARTMENT_STAFF, Role.ADMIN})


class PersonalDataRole(BasePermission):
    """Households, assessments, lists and audit trails: only roles that may read personal data
    (the API reader role sees aggregates only)."""

    message = _("Your role does not give access to personal data.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and has_personal_data_role(request)


class AggregateReader(BasePermission):
    """Rates and flows: any user with a role; anonymous callers only when POVREG_PUBLIC_RATES is on
    (and then only approved numbers, which the view enforces)."""

    message = _("Your account has no role that may read rates.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return bool(settings.POVREG_PUBLIC_RATES) and request.method in SAFE_METHODS
        return bool(_roles(request))
