import time

from django.core.management.base import BaseCommand, CommandError

from households.units import UnitSourceError, legacy_province_codes, load_2025, load_legacy, province_codes_2025


class Command(BaseCommand):
    help = "Load administrative units (GSO codes) of one province or of every province from the vietnamadminunits package."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--province", help="GSO province code, e.g. 74 (Binh Duong)")
        which.add_argument(
            "--all",
            action="store_true",
            dest="all_provinces",
            help="every province of the chosen structure (63 before 1 July 2025, 34 from then)",
        )
        parser.add_argument(
            "--structure",
            choices=["legacy", "2025"],
            default="legacy",
            help="legacy: before 1 July 2025 (with districts); 2025: from 1 July 2025, with successor links "
            "from the pre-2025 units already loaded",
        )

    def handle(self, *args, province, all_provinces, structure, **options):
        load = load_2025 if structure == "2025" else load_legacy
        if all_provinces:
            codes = province_codes_2025() if structure == "2025" else legacy_province_codes()
        else:
            codes = [province]
        started = time.perf_counter()
        totals = {"districts": 0, "communes": 0, "created": 0, "successor_links": 0}
        for code in codes:
            try:
                result = load(code)
            except UnitSourceError as exc:
                raise CommandError(str(exc)) from exc
            for key in totals:
                totals[key] += getattr(result, key)
            self.stdout.write(
                f"{result.province}: {result.districts} districts, {result.communes} communes "
                f"({result.created} new units, {result.successor_links} successor links)"
            )
        if all_provinces:
            self.stdout.write(
                f"{len(codes)} provinces ({structure}): {totals['districts']} districts, {totals['communes']} communes "
                f"({totals['created']} new units, {totals['successor_links']} successor links) "
                f"in {time.perf_counter() - started:.1f} s"
            )
