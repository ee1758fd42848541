"""DRF permission classes: who may call which API resource at all. Scoping (which rows) stays in
`visible_to(user)`; objects out of scope answer 404, callers out of role 403."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.policy import Action, can


def _can(request, action: str) -> bool:
    """The access policy's answer for the caller, asked once per request and action."""
    cache = request.__dict__.setdefault("_povreg_can", {})
    if action not in cache:
        cache[action] = can(request.user, action)
    return cache[action]


def has_personal_data_role(request) -> bool:
    return _can(request, Action.VIEW)


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
        return _can(request, Action.READ_AGGREGATES)
