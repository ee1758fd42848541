"""Writes to the registry: households, members, hamlets. Atomic, permission-checked, audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.audit import audit, diff, snapshot
from core.audit_actions import AuditAction
from core.versions import check_version
from households.ethnicity import groups_by_code, match_code, resolve
from households.hooks import household_changed
from households.models import MAX_MEMBERS, MEMBER_FIELDS, AdminUnit, Hamlet, Household, HouseholdStatus, Level, Member, Relation
from households.permissions import can_edit_commune
from households.search import household_search_key

HOUSEHOLD_CHANGED = _lazy("This household was changed by someone else; reload it and try again.")
HOUSEHOLD_FIELDS = ["code", "commune", "hamlet", "head_name", "address", "status", "merged_into"]


@dataclass
class MemberData:
    full_name: str
    sex: str
    birth_year: int
    relation: str = "other"
    citizen_id: str = ""
    ethnicity: str = "Kinh"
    able_to_work: bool = True
    social_protection: bool = False
    merit: bool = False
    disability: bool = False
    id: int | None = field(default=None)

    def values(self) -> dict:
        return {name: getattr(self, name) for name in MEMBER_FIELDS}


def _require_edit(actor, commune: AdminUnit) -> None:
    if not can_edit_commune(actor, commune):
        raise PermissionDenied(_("You cannot change households of %(unit)s.") % {"unit": commune.name})


@transaction.atomic
def hamlet_get_or_create(*, commune: AdminUnit, name: str, actor) -> Hamlet:
    """The hamlet of that name in the commune, created (and audited) when new."""
    name = Hamlet.clean_name(name)
    if not name:
        raise ValidationError({"hamlet": _("The hamlet name is required.")})
    if len(name) > Hamlet._meta.get_field("name").max_length:
        raise ValidationError({"hamlet": _("At most %(n)s characters.") % {"n": Hamlet._meta.get_field("name").max_length}})
    _require_edit(actor, commune)
    hamlet, created = Hamlet.objects.get_or_create(commune=commune, name_key=Hamlet.key(name), defaults={"name": name})
    if created:
        audit(
            actor=actor,
            action=AuditAction.HAMLET_CREATED,
            target=hamlet,
            changes={"name": [None, name], "commune": [None, commune.code]},
        )
    return hamlet


def head_rule_errors(relations: Sequence[str]) -> dict[str, list[ValidationError]]:
    """Exactly one member is the head of household: {} when so, else the errors (code "head": on `members`, and on
    the relation of each member marked head when there are several)."""
    heads = [i for i, relation in enumerate(relations) if relation == Relation.HEAD]
    if len(heads) == 1:
        return {}
    if not heads:
        return {"members": [ValidationError(_("Mark one member as the head of household (relation “Head”)."), code="head")]}
    errors = {
        "members": [
            ValidationError(
                _("Only one member can be the head of household; %(n)s are marked “Head”.") % {"n": len(heads)}, code="head"
            )
        ]
    }
    for index in heads:
        errors[f"members[{index}].relation"] = [ValidationError(_("Only one member can be the head of household."), code="head")]
    return errors


def _validate_members(members: Sequence[MemberData]) -> list[Member]:
    if len(members) > MAX_MEMBERS:
        raise ValidationError({"members": _("A household has at most %(n)s members.") % {"n": MAX_MEMBERS}})
    built, errors = [], head_rule_errors([data.relation for data in members])
    groups = groups_by_code()
    for index, data in enumerate(members):
        member = Member(**data.values())
        # A name or a GSO code; the member keeps the group, and its name as the text shown.
        code = match_code(data.ethnicity)
        if code in groups:
            member.ethnic_group, member.ethnicity = groups[code], groups[code].name_vi
        else:
            try:
                resolve(data.ethnicity)
            except ValidationError as exc:
                errors.setdefault(f"members[{index}].ethnicity", []).append(exc)
        try:
            member.full_clean(exclude=["household", "ethnicity"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for key, errs in exc.error_dict.items():
                errors.setdefault(f"members[{index}].{key}", []).extend(errs)
        built.append(member)
    ids = [m.citizen_id for m in built if m.citizen_id]
    dupes = {i for i in ids if ids.count(i) > 1}
    for index, member in enumerate(built):
        if member.citizen_id in dupes:
            errors[f"members[{index}].citizen_id"] = [_("This citizen ID appears twice in the household.")]
    if errors:
        raise ValidationError(errors)
    return built


def _check_citizen_ids(household: Household | None, members: list[Member]) -> None:
    ids = [m.citizen_id for m in members if m.citizen_id]
    if not ids:
        return
    taken = Member.objects.filter(citizen_id__in=ids)
    if household is not None and household.pk:
        taken = taken.exclude(household=household)
    taken = set(taken.values_list("citizen_id", flat=True))
    errors = {
        f"members[{i}].citizen_id": [_("This citizen ID is already registered in another household.")]
        for i, m in enumerate(members)
        if m.citizen_id in taken
    }
    if errors:
        raise ValidationError(errors)


def _replace_members(household: Household, members: list[Member]) -> dict:
    before = [snapshot(m, MEMBER_FIELDS) for m in household.members.all()]
    household.members.all().delete()
    for position, member in enumerate(members, start=1):
        member.household = household
        member.position = position
    Member.objects.bulk_create(members)
    after = [snapshot(m, MEMBER_FIELDS) for m in members]
    return {"members": [before, after]} if before != after else {}


def _head_name(members: Sequence[MemberData | Member]) -> str | None:
    """The head member's name (the household's head_name is a copy of it), or None without exactly one head."""
    heads = [m for m in members if m.relation == Relation.HEAD]
    return heads[0].full_name.strip() if len(heads) == 1 else None


def _search_key(household: Household, members: Sequence[Member] | None = None) -> str:
    if members is None:
        members = list(household.members.all())
    return household_search_key(
        code=household.code, head_name=household.head_name, members=[(m.full_name, m.citizen_id) for m in members]
    )


def _rename_head(household: Household, head: Member, name: str) -> dict:
    """The head member takes the household's new head_name (checked as a member's full name); its audit change."""
    before = [snapshot(m, MEMBER_FIELDS) for m in household.members.all()]
    head.full_name = name
    try:
        head.full_clean(exclude=["household"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError({"head_name": exc.message_dict.get("full_name", exc.messages)}) from None
    head.save(update_fields=["full_name"])
    return {"members": [before, [snapshot(m, MEMBER_FIELDS) for m in household.members.all()]]}


def _clean_household(household: Household, exclude: Sequence[str] = ()) -> None:
    household.full_clean(exclude=["merged_into", *exclude], validate_constraints=False)
    if household.commune.level != Level.COMMUNE:
        raise ValidationError({"commune": _("A household belongs to a commune-level unit.")})
    if household.hamlet_id and household.hamlet.commune_id != household.commune_id:
        raise ValidationError({"hamlet": _("The hamlet is not in the household's commune.")})


def _hamlet_named(*, commune: AdminUnit, name: str, actor) -> Hamlet | None:
    """The hamlet a form or request names (None for an empty name), found or created by the one identity rule."""
    if not Hamlet.clean_name(name):
        return None
    return hamlet_get_or_create(commune=commune, name=name, actor=actor)


@transaction.atomic
def household_create(
    *,
    actor,
    code: str,
    commune: AdminUnit,
    head_name: str | None = None,
    hamlet: Hamlet | None = None,
    hamlet_name: str | None = None,
    address: str = "",
    members: Sequence[MemberData] = (),
) -> Household:
    """Register a new household with its members, exactly one of them its head.

    The household's head_name is the head member's name. `head_name` is still accepted from older callers (the
    API's contract sends it) but not stored: the member list decides. `hamlet_name` (instead of `hamlet`) names the
    hamlet as typed; it is found or created in this transaction, so a refused household leaves no new hamlet."""
    _require_edit(actor, commune)
    if hamlet_name is not None:
        if hamlet is not None:
            raise ValueError("Pass hamlet or hamlet_name, not both.")
        hamlet = _hamlet_named(commune=commune, name=hamlet_name, actor=actor)
    household = Household(code=code.strip(), commune=commune, hamlet=hamlet, head_name=_head_name(members) or "", address=address)
    # head_name is checked as the head member's full_name (same limit): an error on both would only repeat it.
    _clean_household(household, exclude=["head_name"])
    built = _validate_members(members)
    _check_citizen_ids(None, built)
    household.search_key = _search_key(household, built)
    household.member_count = len(built)
    household.save()
    changes = {k: [None, v] for k, v in snapshot(household, HOUSEHOLD_FIELDS).items()}
    changes.update(_replace_members(household, built))
    audit(actor=actor, action=AuditAction.HOUSEHOLD_CREATED, target=household, changes=changes)
    return household


@transaction.atomic
def household_update(
    *,
    actor,
    household: Household,
    expected_version: int | None = None,
    members: Sequence[MemberData] | None = None,
    reason: str = "",
    hamlet_name: str | None = None,
    **fields,
) -> Household:
    """Change a household's fields and (when given) replace its members; tells the household_changed hooks (open
    assessments are recomputed).

    head_name is the head member's name: with a member list it comes from the one member marked head; given alone
    it renames the household's head member (a spelling correction), so the two never differ. `hamlet_name` names
    the hamlet as typed (in the new commune when `commune` changes); an empty name clears it."""
    locked = Household.objects.select_for_update().get(pk=household.pk)
    _require_edit(actor, locked.commune)
    check_version(locked, expected_version, message=HOUSEHOLD_CHANGED)
    if hamlet_name is not None:
        if "hamlet" in fields:
            raise ValueError("Pass hamlet or hamlet_name, not both.")
        commune = fields.get("commune") or locked.commune
        fields["hamlet"] = _hamlet_named(commune=commune, name=hamlet_name, actor=actor)
    renamed_head = None
    if members is not None:
        built = _validate_members(members)
        fields["head_name"] = _head_name(members)
    elif "head_name" in fields:
        fields["head_name"] = str(fields["head_name"]).strip()
        heads = list(locked.members.filter(relation=Relation.HEAD))
        if len(heads) == 1 and heads[0].full_name != fields["head_name"]:
            renamed_head = heads[0]
    before = snapshot(locked, HOUSEHOLD_FIELDS)
    for name, value in fields.items():
        if name not in HOUSEHOLD_FIELDS or name in {"code", "status", "merged_into"}:
            raise ValidationError({name: _("This field cannot be changed here.")})
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    if "commune" in fields:
        _require_edit(actor, locked.commune)
    # With a member list, head_name is the head member's full_name, already checked with the members.
    _clean_household(locked, exclude=["head_name"] if members is not None else [])
    changes = diff(before, snapshot(locked, HOUSEHOLD_FIELDS))
    if members is not None:
        _check_citizen_ids(locked, built)
        changes.update(_replace_members(locked, built))
    elif renamed_head is not None:
        changes.update(_rename_head(locked, renamed_head, locked.head_name))
    if not changes:
        return locked
    locked.version += 1
    locked.search_key = _search_key(locked, built if members is not None else None)
    if members is not None:
        locked.member_count = len(built)
    locked.save()
    audit(actor=actor, action=AuditAction.HOUSEHOLD_UPDATED, target=locked, changes=changes, reason=reason)
    if members is not None:
        household_changed(household=locked, actor=actor)
    return locked


def household_status_errors(*, household: Household, status: str, merged_into: Household | None) -> dict[str, str]:
    """What is wrong with this status change ({} when nothing): the service's checks, also asked by the admin's form
    so that a refusal shows beside its field."""
    if status not in HouseholdStatus.values:
        return {"status": _("Unknown status.")}
    if (status == HouseholdStatus.MERGED) != (merged_into is not None):
        return {"merged_into": _("Name the household it merged into (and only for a merge).")}
    if merged_into is not None and merged_into.pk == household.pk:
        return {"merged_into": _("A household cannot merge into itself.")}
    return {}


def household_search_key_refresh(*, household: Household) -> None:
    """Recompute the household's search key and member count from its code, head and members (after an edit made
    outside the services, the admin's member rows)."""
    fresh = Household.objects.get(pk=household.pk)  # not the caller's copy: its members may be a stale prefetch
    members = list(fresh.members.all())  # read once for both
    Household.objects.filter(pk=fresh.pk).update(search_key=_search_key(fresh, members), member_count=len(members))


@transaction.atomic
def household_set_status(
    *,
    actor,
    household: Household,
    status: str,
    reason: str,
    merged_into: Household | None = None,
    expected_version: int | None = None,
) -> Household:
    """Mark a household moved, merged, dissolved or active again; households are never deleted."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for the status change.")})
    locked = Household.objects.select_for_update().get(pk=household.pk)
    _require_edit(actor, locked.commune)
    check_version(locked, expected_version, message=HOUSEHOLD_CHANGED)
    errors = household_status_errors(household=locked, status=status, merged_into=merged_into)
    if errors:
        raise ValidationError(errors)
    before = snapshot(locked, HOUSEHOLD_FIELDS)
    locked.status, locked.merged_into = status, merged_into
    locked.version += 1
    locked.save()
    audit(
        actor=actor,
        action=AuditAction.HOUSEHOLD_STATUS_CHANGED,
        target=locked,
        changes=diff(before, snapshot(locked, HOUSEHOLD_FIELDS)),
        reason=reason,
    )
    return locked
