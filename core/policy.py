"""The one access policy: who may do what where (DESIGN.md §2, STYLE.md "Scoping and permissions").

Every "may this user do this here?" in Povreg is answered here, from one table of actions → roles, and a
user's assignments (a role over a unit covers the unit and everything under it). Deny by default.

- `can(user, action, obj=None)`: one object (a commune or province, a round, or anything with a commune),
  or, without an object, whether the user holds a role for the action anywhere (menus, role gates).
- `restrict(queryset, user, action)`: the rows of a queryset the user may act on (view = read personal data).
- `communes_for(user, action)`: the commune-level units the user may act on.

Services, views, the API's permission classes, menus and templates ask these; the older helpers
(`communes_visible_to`, `has_role`, `can_edit_commune`, `approval.acts_for`, `reports.can_see_live`) are thin
names for them. Out of scope answers 404 in views (a missing and a forbidden object look alike); in scope
but not allowed, 403.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q


class Action(StrEnum):
    VIEW = "view"  # read personal data (names, IDs, incomes) of the unit's households
    EDIT = "edit"  # register and change households, enter assessments
    IMPORT = "import"  # survey workbooks
    EXPORT = "export"  # household lists, posting and recognition lists
    RECORD_STEPS = "record_steps"  # hamlet meetings, public postings, the chairman's recognition decision
    SUBMIT = "submit"  # the commune sends its list up
    REVIEW = "review"  # the district's opinion (before 1 July 2025)
    APPROVE = "approve"  # the department approves (and opens correction revisions)
    LODGE_APPEAL = "lodge_appeal"
    DECIDE_APPEAL = "decide_appeal"
    START_LIST = "start_list"
    SEE_LIVE = "see_live"  # numbers of lists not yet approved
    SIMULATE = "simulate"
    REHOME = "rehome"
    MANAGE_ROUNDS = "manage_rounds"  # rounds, denominators, area types, criteria sets
    READ_AGGREGATES = "read_aggregates"  # rates and flows of approved lists
    READ_ACCESS_LOG = "read_access_log"  # who viewed which household's personal data
    REVIEW_DUPLICATES = "review_duplicates"  # the possible-duplicate queue (both households' communes in scope)


def _roles():
    from households.models import Role

    commune = (Role.COMMUNE_OFFICER, Role.COMMUNE_CHAIRMAN)
    department = (Role.DEPARTMENT_STAFF, Role.ADMIN)
    return {
        Action.VIEW: (*commune, Role.DISTRICT_OFFICER, *department),
        Action.EDIT: (Role.COMMUNE_OFFICER, *department),
        Action.IMPORT: (Role.COMMUNE_OFFICER, *department),
        Action.EXPORT: (*commune, Role.DISTRICT_OFFICER, *department),
        Action.RECORD_STEPS: commune,
        Action.SUBMIT: commune,
        Action.REVIEW: (Role.DISTRICT_OFFICER,),
        Action.APPROVE: department,
        Action.LODGE_APPEAL: (*commune, *department),
        Action.DECIDE_APPEAL: (*commune, *department),
        Action.START_LIST: (*commune, *department),
        Action.SEE_LIVE: department,
        Action.SIMULATE: department,
        Action.REHOME: department,
        Action.MANAGE_ROUNDS: department,
        Action.READ_AGGREGATES: tuple(Role.values),
        Action.READ_ACCESS_LOG: department,
        Action.REVIEW_DUPLICATES: (Role.DISTRICT_OFFICER, *department),
    }


def roles_for(action: str) -> tuple[str, ...]:
    """The roles that may do `action` (over the units they are assigned to)."""
    try:
        return _roles()[Action(action)]
    except ValueError:
        raise ValueError(f"Unknown action {action!r}; the policy knows {[a.value for a in Action]}.") from None


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def communes_for(user, action: str = Action.VIEW, *, roles=None):
    """The commune-level units where `user` may do `action` (directly, or through a district or province)."""
    from households.models import AdminUnit, Assignment

    if not _active(user):
        return AdminUnit.objects.none()
    if user.is_superuser:
        return AdminUnit.objects.communes()
    unit_ids = Assignment.objects.filter(user=user, role__in=roles or roles_for(action)).values("unit_id")
    return AdminUnit.objects.communes().covered_by(unit_ids)


# Where each scoped model keeps the commune its rows belong to.
COMMUNE_PATH = {
    "households.household": "commune",
    "households.member": "household__commune",
    "households.hamlet": "commune",
    "surveys.assessment": "commune",
    "surveys.communelist": "commune",
    "surveys.appeal": "commune",
    "surveys.listentry": "commune",
}


def restrict(queryset, user, action: str = Action.VIEW):
    """The rows of `queryset` the user may do `action` on; deny by default (an unknown model is an error)."""
    label = queryset.model._meta.label_lower
    if label not in COMMUNE_PATH:
        raise ValueError(f"The access policy does not scope {label}.")
    return queryset.filter(**{f"{COMMUNE_PATH[label]}__in": communes_for(user, action)})


def _provinces_linked(province):
    """A province, and those it became part of or was formed from on 1 July 2025."""
    from households.models import AdminUnit, Level

    return AdminUnit.objects.filter(Q(pk=province.pk) | Q(predecessors=province) | Q(successors=province), level=Level.PROVINCE)


def can(user, action: str, obj=None) -> bool:
    """Whether `user` may do `action` on `obj` (a commune, district or province; a survey round; or a row with a
    commune), or, with no object, anywhere."""
    from households.models import AdminUnit, Assignment, Level, Role

    roles = roles_for(action)
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if obj is None:
        if getattr(user, "povreg_has_role", None) is not None and set(roles) == set(Role.values):
            return user.povreg_has_role  # (read with the user's API token: any role will do)
        return Assignment.objects.filter(user=user, role__in=roles).exists()
    if hasattr(obj, "province") and hasattr(obj, "criteria_set_id"):  # a survey round: its province
        obj = obj.province
    if isinstance(obj, AdminUnit):
        if obj.level == Level.COMMUNE:
            return communes_for(user, action).filter(pk=obj.pk).exists()
        if obj.level == Level.PROVINCE:
            return Assignment.objects.filter(user=user, role__in=roles, unit__in=_provinces_linked(obj)).exists()
        return Assignment.objects.filter(user=user, role__in=roles).filter(Q(unit=obj) | Q(unit=obj.parent_id)).exists()
    commune_id = getattr(obj, "commune_id", None)
    if commune_id is not None:
        return communes_for(user, action).filter(pk=commune_id).exists()
    raise ValueError(f"The access policy cannot place {type(obj).__name__} in a unit.")


# What department staff may do in the Django admin (the policy's answer to Django's model permissions):
# the poverty standards and the rounds' set-up, and reading units and hamlets. Personal data stays in the
# app's own pages (scoped), except the household and assessment admins, which are scoped to their units.
DEPARTMENT_ADMIN_PERMISSIONS = {
    "surveys": {
        "criteriaset": ("view", "add", "change"),
        "indicator": ("view", "add", "change", "delete"),
        "rule": ("view", "add", "change", "delete"),
        "surveyround": ("view", "add", "change"),
        "denominator": ("view", "add", "change"),
        "roundarea": ("view", "change"),
        "assessment": ("view",),
        "communelist": ("view",),
        "appeal": ("view",),
    },
    "households": {"adminunit": ("view",), "hamlet": ("view",), "household": ("view",)},
    # Their own webhooks (the admin shows each user theirs only; core/webhooks.py).
    "core": {"webhooksubscription": ("view", "add", "change", "delete"), "webhookdelivery": ("view",)},
}


class PolicyPermissionBackend:
    """Django's model permissions for the admin, from the policy: department staff get
    DEPARTMENT_ADMIN_PERMISSIONS; everything else is left to Django's own backend (superusers, groups)."""

    def authenticate(self, request, **credentials):
        return None

    def _department(self, user) -> bool:
        if not _active(user) or not getattr(user, "is_staff", False):
            return False
        cached = getattr(user, "_povreg_department", None)
        if cached is None:
            cached = can(user, Action.MANAGE_ROUNDS)
            user._povreg_department = cached
        return cached

    def has_perm(self, user, perm: str, obj=None) -> bool:
        if not self._department(user) or "." not in perm:
            return False
        app_label, codename = perm.split(".", 1)
        action, _sep, model = codename.partition("_")
        return action in DEPARTMENT_ADMIN_PERMISSIONS.get(app_label, {}).get(model, ())

    def has_module_perms(self, user, app_label: str) -> bool:
        return self._department(user) and app_label in DEPARTMENT_ADMIN_PERMISSIONS
