"""`python manage.py import_survey FILE.xlsx --round CODE`: all or nothing, every problem printed."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from surveys.imports.importer import FileProblem, survey_import
from surveys.models import SurveyRound


class Command(BaseCommand):
    help = "Import a survey workbook (households, members, denominators) into a round. Nothing is written if any row is bad."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--round", required=True, dest="round_code", help="survey round code, e.g. BD-2024")
        parser.add_argument("--user", help="import as this user (their permissions apply); default: system")
        parser.add_argument("--dry-run", action="store_true", help="validate and show what would change, write nothing")

    def handle(self, *args, file, round_code, user=None, dry_run=False, **options):
        try:
            survey_round = SurveyRound.objects.select_related("criteria_set", "province").get(code=round_code)
        except SurveyRound.DoesNotExist:
            raise CommandError(f"--round: no survey round {round_code!r}.") from None
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"--user: no user {user!r}.") from None

        def progress(phase: str, done: int, total: int) -> None:
            if options.get("verbosity", 1) > 1:
                self.stderr.write(f"{phase}: {done}/{total}")

        try:
            result = survey_import(actor=actor, round=survey_round, path=file, apply=not dry_run, progress=progress)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.") from None
        except FileProblem as exc:
            raise CommandError(f"{file}: {exc}") from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        for warning in result.warnings:  # reported, not refused (surveys.consistency)
            self.stderr.write(
                f"warning\t{warning.sheet or '-'}\trow {warning.row or '-'}\t{warning.column or '-'}\t{warning.message}"
            )
        if result.issues:
            for issue in result.issues:
                self.stderr.write(f"{issue.sheet or '-'}\trow {issue.row or '-'}\t{issue.column or '-'}\t{issue.message}")
            raise CommandError(f"{len(result.issues)} problem(s) found; nothing was imported.")
        s = result.summary()
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{survey_round.code}: households created {s['households_created']}, updated {s['households_updated']}, "
            f"unchanged {s['households_unchanged']}; assessments created {s['assessments_created']}, "
            f"updated {s['assessments_updated']}, unchanged {s['assessments_unchanged']}; "
            f"hamlets created {s['hamlets_created']}; denominators set {s['denominators_set']}; area types set {s['areas_set']} ({verb} written)."
        )
        if result.hamlets_created:
            self.stdout.write("New hamlets: " + "; ".join(f"{c} {n}" for c, n in result.hamlets_created[:50]))
        if not result.changed:
            self.stdout.write("Nothing changed.")
