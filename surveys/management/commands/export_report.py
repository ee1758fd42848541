"""`python manage.py export_report --round CODE [--unit CODE] [--report rates|flows|deprivation|households] ...`"""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from surveys import excel
from surveys.models import Assessment, SurveyRound
from surveys.reports import breakdowns, rates
from surveys.reports import tables as report_tables


class Command(BaseCommand):
    help = "Export a report (or the round's household list) of a round and unit to Excel or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--round", required=True, dest="round_code")
        parser.add_argument("--unit", help="unit code (default: the round's province)")
        parser.add_argument("--report", choices=["rates", "flows", "deprivation", "households"], default="rates")
        parser.add_argument("--status", choices=list(rates.STATUSES), default="approved")
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx", dest="fmt")
        parser.add_argument("--lang", choices=["vi", "en"], default="vi")
        parser.add_argument("--decimals", type=int, choices=range(0, 7), default=2, help="decimals of rates (0-6, default 2)")
        parser.add_argument("--structure", choices=["legacy", "2025"], help="read a legacy round in today's units (2025)")
        parser.add_argument("--category", help="households report: only this category (poor, near_poor, ...)")
        parser.add_argument(
            "--output", "-o", help="file to write (default: a name from the report, round and unit; '-' for stdout, CSV only)"
        )

    def handle(self, *args, round_code, unit, report, status, fmt, lang, category, output, decimals=2, structure=None, **options):
        try:
            survey_round = SurveyRound.objects.select_related("criteria_set", "province").get(code=round_code)
        except SurveyRound.DoesNotExist:
            raise CommandError(f"--round: no survey round {round_code!r}.") from None
        try:
            structure = rates.read_structure(survey_round, structure)
            unit_obj = rates.unit_read_in(survey_round, unit, structure)
        except ValidationError as exc:
            raise CommandError("; ".join(f"--{k}: {' '.join(m)}" for k, m in exc.message_dict.items())) from None
        if unit_obj is None:
            raise CommandError(f"--unit: no unit {unit!r} in {survey_round.province.name}.")
        if structure and report == "households":
            raise CommandError("--structure: the household list is exported in the round's own units.")
        ctx = {"survey_round": survey_round, "unit": unit_obj, "status": status, "decimals": decimals, "structure": structure}
        args = {"round": survey_round, "unit": unit_obj, "status": status, "structure": structure}
        if report == "rates":
            ctx["report"] = rates.rate_report(**args, decimals=decimals)
            tables = [report_tables.rate_table(ctx, lang)]
        elif report == "flows":
            tables = report_tables.flow_tables(ctx, report_tables.flow_data(ctx), lang)
        elif report == "deprivation":
            ctx["deprivation"] = breakdowns.deprivation_table(**args, lang=lang)
            ctx["breakdowns"] = breakdowns.breakdowns(**args)
            tables = report_tables.deprivation_tables(ctx, lang)
        else:
            from core.audit import audit_export
            from households.models import AdminUnit, Level

            communes = AdminUnit.objects.under(unit_obj).filter(level=Level.COMMUNE)
            queryset = Assessment.objects.filter(round=survey_round, commune__in=communes)
            if category:
                queryset = queryset.filter(category=category)
            ctx["status"] = "all"
            title, subtitles = report_tables.title_lines(ctx, lang, "Danh sách hộ" if lang == "vi" else "Household list")
            tables = [
                excel.Table(
                    sheet="Danh sách hộ" if lang == "vi" else "Households",
                    title=title,
                    subtitles=subtitles,
                    columns=report_tables.columns(report_tables.HOUSEHOLD_COLUMNS, lang),
                    rows=report_tables.household_rows(queryset, lang),
                )
            ]
            audit_export(
                actor=None,
                what="household_list",
                target=survey_round,
                count=None,
                fmt=fmt,
                filters={"unit": unit_obj.code, "category": category or ""},
                reason="manage.py export_report",
            )
        output = output or f"{report}-{survey_round.code}-{unit_obj.code}.{fmt}"
        if fmt == "csv":
            if len(tables) > 1:
                self.stderr.write("CSV holds one table; writing the first (use xlsx for all).")
            if output == "-":
                for line in excel.csv_lines(tables[0]):
                    sys.stdout.write(line)
                return
            with open(output, "w", encoding="utf-8", newline="") as fh:
                for line in excel.csv_lines(tables[0]):
                    fh.write(line)
        else:
            if output == "-":
                raise CommandError("--output -: Excel needs a file name.")
            excel.write_workbook(tables, output)
        self.stdout.write(f"Wrote {output}")
