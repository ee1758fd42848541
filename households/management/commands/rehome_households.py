"""`python manage.py rehome_households --province 74 --to-structure 2025 [--mapping FILE.xlsx] [--dry-run]`"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from households.models import AdminUnit, Level, Structure
from households.rehoming import households_rehome, read_mapping


class Command(BaseCommand):
    help = "Move a legacy province's active households to their communes in the 2025 structure (atomic, audited, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--province", required=True, help="GSO code of the province before 1 July 2025, e.g. 74")
        parser.add_argument("--to-structure", choices=["2025"], default="2025", dest="structure")
        parser.add_argument("--mapping", help="xlsx with sheet hamlets: commune_code, hamlet, new_commune_code (split communes)")
        parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")

    def handle(self, *args, province, structure, mapping=None, dry_run=False, **options):
        unit = AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.PROVINCE, code=province).first()
        if unit is None:
            raise CommandError(
                f"--province: no province {province!r} of the legacy structure is loaded (load_units --province {province})."
            )
        table = {}
        if mapping:
            table, issues = read_mapping(mapping)
            if issues:
                raise CommandError("--mapping:\n" + "\n".join(issues))
        try:
            plan = households_rehome(actor=None, province=unit, structure=structure, mapping=table, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError("\n".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
        out = self.stdout
        verb = "would move" if dry_run else "moved"
        out.write(f"{unit.name} → structure {structure}: {verb} {len(plan.moves)} households; {plan.already} already re-homed.")
        basis = plan.by_basis()
        out.write(
            "  by successor {s}, by hamlet mapping {h}, by the package's default (assumption) {d}".format(
                s=basis.get("successor", 0), h=basis.get("hamlet", 0), d=basis.get("default", 0)
            )
        )
        if plan.moves:
            out.write("Households per new commune:")
            for commune, n, by in plan.per_commune():
                note = f" (of which {by['default']} by default)" if by.get("default") else ""
                out.write(f"  {commune.code} {commune.name}: {n}{note}")
        if plan.ambiguous:
            out.write("Hamlets of split communes not in the mapping (sent to the package's default new unit):")
            for a in plan.ambiguous:
                options = ", ".join(f"{c.code} {c.name}" for c in a.candidates)
                out.write(
                    f"  {a.commune.code} {a.commune.name} / {a.hamlet}: {a.households} households → {a.chosen.code} {a.chosen.name} (successors: {options})"
                )
        if dry_run:
            out.write("Dry run: nothing was written.")
