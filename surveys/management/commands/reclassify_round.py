from django.core.management.base import BaseCommand, CommandError

from surveys.models import SurveyRound
from surveys.rounds import round_reclassify


class Command(BaseCommand):
    help = "Recompute a round's assessments from their stored inputs (after a criteria set was corrected)."

    def add_arguments(self, parser):
        parser.add_argument("round", help="round code")

    def handle(self, *args, round, **options):
        try:
            survey_round = SurveyRound.objects.select_related("criteria_set").get(code=round)
        except SurveyRound.DoesNotExist:
            raise CommandError(f"round: unknown round {round!r}.") from None
        changed = round_reclassify(actor=None, round=survey_round)
        self.stdout.write(f"{survey_round.code}: {changed} assessments changed category or explanation.")
