"""Re-homing a province's households into the communes of the 2025 structure (1 July 2025: districts
abolished, provinces merged, communes merged and some split).

Each active household of a legacy province goes to:
- its commune's successor, when the commune has exactly one;
- for a split commune, the commune named for its hamlet in the mapping workbook (sheet `hamlets`:
  `commune_code`, `hamlet`, `new_commune_code`);
- otherwise the package's default new unit for that commune (`isDefaultNewWard`), listed as an assumption.
The household's hamlet is recreated by name in the new commune (hamlets have no national code). One
`Rehoming` row per household keeps where it came from, so legacy rounds can be read in today's units.
The run is atomic, writes one audit event per household plus a summary, and is idempotent: a household
already in the new structure is left alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, audit_many
from core.audit_actions import AuditAction
from core.policy import Action, can
from households.models import AdminUnit, Hamlet, Household, HouseholdStatus, Level, Rehoming, RehomingBasis, Structure
from households.units import default_successor_codes

MAX_MAPPING_ROWS = 50_000


@dataclass
class Move:
    household_id: int
    code: str
    from_commune: AdminUnit
    from_hamlet: Hamlet | None
    to_commune: AdminUnit
    basis: str


@dataclass
class AmbiguousHamlet:
    """A hamlet of a split commune that the mapping does not place: its households go to the default unit."""

    commune: AdminUnit
    hamlet: str
    households: int
    candidates: list[AdminUnit]
    chosen: AdminUnit


@dataclass
class RehomePlan:
    province: AdminUnit
    structure: str
    moves: list[Move] = field(default_factory=list)
    already: int = 0
    ambiguous: list[AmbiguousHamlet] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues

    def per_commune(self) -> list[tuple[AdminUnit, int, dict[str, int]]]:
        """(new commune, households, households by basis), by commune code."""
        totals: dict[int, Counter] = defaultdict(Counter)
        units: dict[int, AdminUnit] = {}
        for move in self.moves:
            units[move.to_commune.pk] = move.to_commune
            totals[move.to_commune.pk][move.basis] += 1
        return [(units[pk], sum(c.values()), dict(c)) for pk, c in sorted(totals.items(), key=lambda kv: units[kv[0]].code)]

    def by_basis(self) -> dict[str, int]:
        return dict(Counter(m.basis for m in self.moves))


def read_mapping(path: Path | str) -> tuple[dict[tuple[str, str], str], list[str]]:
    """The mapping workbook's sheet `hamlets`: (old commune code, hamlet name) → new commune code, and the
    problems found (sheet, row, column and reason)."""
    from openpyxl import load_workbook

    issues: list[str] = []
    try:
        workbook = load_workbook(Path(path), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged or foreign file
        return {}, [_("The mapping file is not a readable .xlsx workbook.")]
    if "hamlets" not in workbook.sheetnames:
        return {}, [_("The mapping workbook has no sheet named hamlets.")]
    rows = workbook["hamlets"].iter_rows(values_only=True)
    header = [str(c or "").strip().lower() for c in next(rows, ())]
    wanted = ("commune_code", "hamlet", "new_commune_code")
    missing = [c for c in wanted if c not in header]
    if missing:
        return {}, [_("sheet hamlets, row 1: missing column(s) %(cols)s.") % {"cols": ", ".join(missing)}]
    index = {c: header.index(c) for c in wanted}
    mapping: dict[tuple[str, str], str] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(rows, start=2):
        if number > MAX_MAPPING_ROWS + 1:
            issues.append(_("sheet hamlets: more than %(n)s rows.") % {"n": MAX_MAPPING_ROWS})
            break
        values = {c: str(cells[i]).strip() if i < len(cells) and cells[i] is not None else "" for c, i in index.items()}
        if not any(values.values()):
            continue
        for column in wanted:
            if not values[column]:
                issues.append(_("sheet hamlets, row %(row)s, column %(col)s: required.") % {"row": number, "col": column})
        if not all(values.values()):
            continue
        key = (values["commune_code"], Hamlet.key(values["hamlet"]))
        if key in seen:
            issues.append(
                _("sheet hamlets, row %(row)s, column hamlet: the hamlet appears twice for the commune (also row %(other)s).")
                % {"row": number, "other": seen[key]}
            )
            continue
        seen[key] = number
        mapping[key] = values["new_commune_code"]
    workbook.close()
    return mapping, issues


def rehome_plan(*, province: AdminUnit, structure: str = Structure.Y2025, mapping: dict | None = None) -> RehomePlan:
    """What re-homing the province's active households would do: moves, counts, assumptions, problems."""
    plan = RehomePlan(province=province, structure=structure)
    if province.level != Level.PROVINCE or province.structure != Structure.LEGACY:
        plan.issues.append(_("Re-homing starts from a province of the structure before 1 July 2025."))
        return plan
    communes = {c.pk: c for c in AdminUnit.objects.under(province).filter(level=Level.COMMUNE)}
    through = AdminUnit.successors.through
    successors: dict[int, list[AdminUnit]] = defaultdict(list)
    for link in (
        through.objects.filter(from_adminunit_id__in=list(communes), to_adminunit__structure=structure)
        .select_related("to_adminunit")
        .order_by("to_adminunit__code")
    ):
        successors[link.from_adminunit_id].append(link.to_adminunit)
    if not successors:
        plan.issues.append(
            _("The units of %(structure)s are not loaded for %(province)s: run load_units --province %(code)s --structure 2025.")
            % {"structure": structure, "province": province.name, "code": province.code}
        )
        return plan
    by_code = {c.code: c for c in communes.values()}
    defaults = default_successor_codes(province.code)
    mapping = mapping or {}
    # The mapping names communes and successors that must exist.
    for (commune_code, hamlet), new_code in mapping.items():
        commune = by_code.get(commune_code)
        if commune is None:
            plan.issues.append(
                _("sheet hamlets: %(code)s is not a commune of %(province)s.") % {"code": commune_code, "province": province.name}
            )
        elif new_code not in {s.code for s in successors.get(commune.pk, [])}:
            plan.issues.append(
                _("sheet hamlets: %(new)s is not a successor of %(code)s (hamlet %(hamlet)s).")
                % {"new": new_code, "code": commune_code, "hamlet": hamlet}
            )
    households = (
        Household.objects.filter(commune__in=list(communes), status=HouseholdStatus.ACTIVE)
        .select_related("hamlet")
        .order_by("code")
    )
    plan.already = Household.objects.filter(
        status=HouseholdStatus.ACTIVE, rehomings__from_commune__in=list(communes), rehomings__structure=structure
    ).count()
    unplaced_hamlets: dict[tuple[int, str], list[int]] = defaultdict(list)
    for household in households:
        commune = communes[household.commune_id]
        targets = successors.get(commune.pk, [])
        if not targets:
            plan.issues.append(
                _("%(code)s (%(unit)s) has no successor unit in %(structure)s.")
                % {"code": household.code, "unit": commune.name, "structure": structure}
            )
            continue
        hamlet_name = household.hamlet.name if household.hamlet_id else ""
        if len(targets) == 1:
            to, basis = targets[0], RehomingBasis.SUCCESSOR
        else:
            mapped = mapping.get((commune.code, Hamlet.key(hamlet_name))) if hamlet_name else None
            target_by_code = {t.code: t for t in targets}
            if mapped in target_by_code:
                to, basis = target_by_code[mapped], RehomingBasis.HAMLET
            else:
                to = target_by_code.get(defaults.get(commune.code, ""), targets[0])
                basis = RehomingBasis.DEFAULT
                unplaced_hamlets[(commune.pk, hamlet_name)].append(to.pk)
        plan.moves.append(Move(household.pk, household.code, commune, household.hamlet, to, basis))
    units = {t.pk: t for ts in successors.values() for t in ts}
    for (commune_pk, hamlet_name), chosen in sorted(unplaced_hamlets.items(), key=lambda kv: (communes[kv[0][0]].code, kv[0][1])):
        plan.ambiguous.append(
            AmbiguousHamlet(
                commune=communes[commune_pk],
                hamlet=hamlet_name or _("(no hamlet)"),
                households=len(chosen),
                candidates=successors[commune_pk],
                chosen=units[chosen[0]],
            )
        )
    return plan


@transaction.atomic
def households_rehome(
    *, actor, province: AdminUnit, structure: str = Structure.Y2025, mapping: dict | None = None, dry_run: bool = False
) -> RehomePlan:
    """Move every active household of a legacy province to its commune in `structure` (see the module
    docstring). Refuses, writing nothing, when the plan has problems."""
    if actor is not None and not can(actor, Action.REHOME, province):
        raise PermissionDenied(_("Only department staff can re-home households."))
    # Lock the province's households so an edit cannot slip between the plan and the move.
    list(Household.objects.select_for_update().filter(commune__in=AdminUnit.objects.under(province)).values_list("pk", flat=True))
    plan = rehome_plan(province=province, structure=structure, mapping=mapping)
    if plan.issues:
        raise ValidationError({"mapping": plan.issues})
    if dry_run or not plan.moves:
        return plan
    # Hamlets by name in the new communes, created where missing.
    targets = {m.to_commune.pk for m in plan.moves}
    hamlets = {(h.commune_id, Hamlet.key(h.name)): h for h in Hamlet.objects.filter(commune_id__in=targets)}
    new_hamlets = {}
    for move in plan.moves:
        if move.from_hamlet is not None:
            key = (move.to_commune.pk, Hamlet.key(move.from_hamlet.name))
            if key not in hamlets and key not in new_hamlets:
                new_hamlets[key] = Hamlet.build(commune_id=move.to_commune.pk, name=move.from_hamlet.name)
    for hamlet in Hamlet.objects.bulk_create(list(new_hamlets.values())):
        hamlets[(hamlet.commune_id, Hamlet.key(hamlet.name))] = hamlet
    audit_many(
        actor=actor,
        action=AuditAction.HAMLET_CREATED,
        items=[
            (h, {"name": [None, h.name], "commune": [None, h.commune_id], "via": [None, "rehome"]}) for h in new_hamlets.values()
        ],
    )
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    households = Household.objects.in_bulk([m.household_id for m in plan.moves])
    changed, rehomings, events = [], [], []
    for move in plan.moves:
        household = households[move.household_id]
        to_hamlet = hamlets.get((move.to_commune.pk, Hamlet.key(move.from_hamlet.name))) if move.from_hamlet else None
        household.commune_id, household.hamlet_id = move.to_commune.pk, to_hamlet.pk if to_hamlet else None
        household.version += 1
        household.updated_at = now
        changed.append(household)
        rehomings.append(
            Rehoming(
                household=household,
                structure=structure,
                from_commune=move.from_commune,
                to_commune=move.to_commune,
                from_hamlet=move.from_hamlet,
                to_hamlet=to_hamlet,
                basis=move.basis,
                created_by=user,
            )
        )
        events.append(
            (
                household,
                {
                    "commune": [move.from_commune.code, move.to_commune.code],
                    "hamlet": [move.from_hamlet.name if move.from_hamlet else None, to_hamlet.name if to_hamlet else None],
                    "basis": [None, move.basis],
                },
            )
        )
    Household.objects.bulk_update(changed, ["commune", "hamlet", "version", "updated_at"], batch_size=2000)
    Rehoming.objects.bulk_create(rehomings, batch_size=2000)
    audit_many(actor=actor, action=AuditAction.HOUSEHOLD_REHOMED, items=events, reason=f"rehome {province.code} → {structure}")
    # Rates of the province's rounds read in today's units, and the flows of the rounds after them, change.
    from surveys.approved_cache import approval_stamp_bump
    from surveys.models import SurveyRound

    approval_stamp_bump(SurveyRound.objects.filter(province=province).values_list("pk", flat=True))
    audit(
        actor=actor,
        action=AuditAction.HOUSEHOLDS_REHOMED,
        target=province,
        changes={
            "households": [None, len(plan.moves)],
            "structure": [None, structure],
            **{f"basis.{k}": [None, v] for k, v in plan.by_basis().items()},
        },
    )
    plan.applied = True
    return plan
