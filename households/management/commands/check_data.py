"""`python manage.py check_data [--province CODE]`: the data-quality page's lists, printed; exit 1 when a household
lacks exactly one head or a member's ethnicity names no group (consistency warnings are printed, not failed)."""

from django.core.management.base import BaseCommand, CommandError

from households.models import AdminUnit, Level
from households.quality import communes_of_province, quality_report


class Command(BaseCommand):
    help = (
        "List active households without exactly one head, members whose ethnicity names none of the 54 groups, and "
        "the consistency warnings of open rounds. Exits 1 when there are problems (warnings alone do not fail)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", help="GSO province code (either structure); default: every province")
        parser.add_argument("--strict", action="store_true", help="also exit 1 when there are consistency warnings")

    def handle(self, *args, province=None, strict=False, **options):
        if province and not AdminUnit.objects.filter(level=Level.PROVINCE, code=province).exists():
            raise CommandError(f"--province: no province with code {province!r}.")
        report = quality_report(communes_of_province(province), limit=None)
        out = self.stdout
        out.write(f"Households without a head: {report.no_head_total}")
        for h in report.no_head:
            out.write(f"  no head\t{h.code}\t{h.commune.code} {h.commune.name}")
        out.write(f"Households with several heads: {report.several_heads_total}")
        for h in report.several_heads:
            out.write(f"  {h.heads} heads\t{h.code}\t{h.commune.code} {h.commune.name}")
        out.write(f"Members whose ethnicity names no group: {report.unmapped_total}")
        for text, count in report.unmapped_values:
            out.write(f"  {text!r}: {count} member(s)")
        for m in report.unmapped:
            out.write(f"  unknown ethnicity\t{m.household.code}\t{m.full_name}\t{m.ethnicity!r}")
        out.write(f"Consistency warnings (open rounds): {report.warnings_total}")
        for w in report.warnings:
            out.write(f"  warning\t{w.household_code}\t{w.round_code}\t{w.indicator}\t{w.message}")
        failing = report.problems + (report.warnings_total if strict else 0)
        if failing:
            raise CommandError(f"{failing} problem(s) found.", returncode=1)
        out.write(self.style.SUCCESS("No problems found."))
