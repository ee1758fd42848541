"""`manage.py scan_duplicates [--province CODE]`: fill the duplicate review queue (dedupe.services.duplicates_scan)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dedupe.services import duplicates_scan
from households.models import AdminUnit, Household, Level


class Command(BaseCommand):
    help = (
        "Scan active households for possible duplicates (same or similar name and birth year, same or neighbouring "
        "commune) and bring the review queue up to date. Decided pairs are never proposed again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            help="GSO code of the province (both structures when it has both); default: every province with households.",
        )

    def handle(self, *args, province=None, **options):
        provinces = AdminUnit.objects.filter(level=Level.PROVINCE).order_by("structure", "code")
        if province:
            provinces = provinces.filter(code=province)
            if not provinces.exists():
                raise CommandError(
                    f"No province with code {province!r}; load it first: manage.py load_units --province {province}"
                )
        else:
            with_households = set(Household.objects.values_list("commune__parent__parent_id", flat=True).distinct())
            with_households |= set(Household.objects.values_list("commune__parent_id", flat=True).distinct())
            provinces = provinces.filter(pk__in=with_households)
        for unit in provinces:
            scan = duplicates_scan(province=unit, actor=None)
            self.stdout.write(
                f"{unit.name} ({unit.code}, {unit.get_structure_display()}): {scan.members} members read, "
                f"{scan.pairs_compared} pairs compared, {scan.candidates} pairs to review "
                f"({scan.new} new, {scan.removed} no longer found) in {scan.seconds:.1f} s"
            )
