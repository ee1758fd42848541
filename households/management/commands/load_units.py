from django.core.management.base import BaseCommand, CommandError

from households.units import UnitSourceError, load_2025, load_legacy


class Command(BaseCommand):
    help = "Load a province's administrative units (GSO codes) from the vietnamadminunits package."

    def add_arguments(self, parser):
        parser.add_argument("--province", required=True, help="GSO province code, e.g. 74 (Binh Duong)")
        parser.add_argument(
            "--structure", choices=["legacy", "2025"], default="legacy",
            help="legacy: before 1 July 2025 (with districts); 2025: from 1 July 2025, with successor links",
        )

    def handle(self, *args, province, structure, **options):
        try:
            result = load_2025(province) if structure == "2025" else load_legacy(province)
        except UnitSourceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.province}: {result.districts} districts, {result.communes} communes "
            f"({result.created} new units, {result.successor_links} successor links)"
        )
