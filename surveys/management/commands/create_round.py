import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from households.models import AdminUnit, Level
from surveys.models import CriteriaSet, RoundKind, SurveyRound
from surveys.rounds import round_create


def province_for(code: str, on: datetime.date, structure: str | None = None) -> AdminUnit:
    """The province with that GSO code valid on `on` (units change: 74 ended on 30 June 2025), or in the
    structure asked for."""
    candidates = list(AdminUnit.objects.filter(code=code, level=Level.PROVINCE))
    if structure:
        chosen = [u for u in candidates if u.structure == structure]
        if not chosen:
            raise CommandError(
                f"--province: no province {code!r} is loaded in the {structure} structure; "
                f"run load_units --province {code}{' --structure 2025' if structure == '2025' else ''} first."
            )
        return chosen[0]
    if not candidates:
        raise CommandError(f"--province: no province {code!r} is loaded; run load_units --province {code} first.")
    for unit in candidates:
        if (unit.valid_from is None or unit.valid_from <= on) and (unit.valid_to is None or on <= unit.valid_to):
            return unit
    successors = ", ".join(f"{s.code} {s.name}" for c in candidates for s in c.successors.all())
    raise CommandError(
        f"--province: {code} is not valid on {on:%d/%m/%Y}" + (f"; its successor is {successors}." if successors else ".")
    )


class Command(BaseCommand):
    help = "Create a survey round for a province under a criteria set."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--criteria", required=True, help="criteria set code, e.g. VN-2022")
        parser.add_argument("--province", required=True, help="GSO province code")
        parser.add_argument("--kind", choices=RoundKind.values, default=RoundKind.PERIODIC)
        parser.add_argument(
            "--structure",
            choices=["legacy", "2025"],
            help="unit structure of the province (default: the one valid on the round's start date)",
        )
        parser.add_argument(
            "--also",
            action="append",
            default=[],
            metavar="SET",
            help="an additional standard the review is also classified under (repeatable), e.g. HCM-2025 beside VN-2022",
        )
        parser.add_argument(
            "--previous",
            action="append",
            default=[],
            metavar="CODE",
            help="a previous round (repeat for a merged province: one per former province); default: the province's "
            "latest earlier round, or the latest earlier round of each province it absorbed",
        )

    def handle(self, *args, code, year, criteria, province, kind, structure=None, previous=(), also=(), **options):
        try:
            criteria_set = CriteriaSet.objects.get(code=criteria)
        except CriteriaSet.DoesNotExist:
            raise CommandError(f"--criteria: unknown criteria set {criteria!r}.") from None
        additional = {s.code: s for s in CriteriaSet.objects.filter(code__in=also)}
        unknown = [c for c in also if c not in additional]
        if unknown:
            raise CommandError(f"--also: unknown criteria set {', '.join(unknown)}.")
        start = datetime.date(year, 9, 1) if kind == RoundKind.PERIODIC else datetime.date(year, 1, 1)
        unit = province_for(province, start, structure)
        previous_rounds = None
        if previous:
            found = {r.code: r for r in SurveyRound.objects.filter(code__in=previous)}
            missing = [c for c in previous if c not in found]
            if missing:
                raise CommandError(f"--previous: no survey round {', '.join(missing)}.")
            previous_rounds = [found[c] for c in previous]
        try:
            survey_round = round_create(
                actor=None,
                code=code,
                year=year,
                criteria_set=criteria_set,
                province=unit,
                kind=kind,
                previous_rounds=previous_rounds,
                additional_sets=[additional[c] for c in also],
            )
        except ValidationError as exc:
            names = {"additional_sets": "also"}
            raise CommandError("; ".join(f"--{names.get(k, k)}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        before = ", ".join(r.code for r in survey_round.previous_list()) or "none"
        self.stdout.write(
            f"Round {survey_round.code}: {unit.name} ({unit.structure}), {criteria_set.code}"
            f"{''.join(f' + {c}' for c in also)}, "
            f"{survey_round.starts_on:%d/%m/%Y}–{survey_round.ends_on:%d/%m/%Y}; previous rounds: {before}"
        )
