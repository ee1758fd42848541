"""Import of survey workbooks (docs/import-format.md): parse, validate, preview, apply. The entry point
(`survey_import`) and its result; the work is in the package's modules:

- `workbook`: reading the file, its sheets and columns, every cell coerced (and the Issue/FileProblem types);
- `checks`: each row against the domain's rules, with the field limits of the models;
- `plan`: the rows against the registry (scope, locked lists, registered households, hamlets, area types);
- `execute`: the bulk writes, through the same assessment steps as the single write (`surveys.assessment_rules`);
- `template`: the downloadable template, the annotated error copy, writing a workbook from rows.

Built for 50,000+ rows: the workbook is read once in read-only mode, every row is validated in memory against a
few bulk queries, the round's rule table is read once, and the writes are bulk inserts/updates in one transaction,
with one audit event per household changed (in one bulk insert) and one summary event. Any error anywhere means
nothing is written. Re-importing the same file writes nothing at all (no versions bumped, no audit event),
because each household, member list, assessment and denominator is compared first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.policy import Action, can
from surveys.imports.execute import plan_execute
from surveys.imports.plan import plan_build
from surveys.imports.template import import_template, write_error_copy, write_survey_workbook
from surveys.imports.workbook import OLE_MAGIC, SHEETS, FileProblem, Issue, Progress, read_workbook
from surveys.models import SurveyRound

__all__ = [
    "OLE_MAGIC",
    "SHEETS",
    "FileProblem",
    "ImportResult",
    "Issue",
    "import_template",
    "survey_import",
    "write_error_copy",
    "write_survey_workbook",
]


@dataclass
class ImportResult:
    issues: list[Issue] = field(default_factory=list)  # errors: any of them and nothing is written
    warnings: list[Issue] = field(default_factory=list)  # consistency warnings: reported, not refused
    applied: bool = False
    households_created: list[str] = field(default_factory=list)
    households_updated: list[str] = field(default_factory=list)
    households_unchanged: int = 0
    members_replaced: int = 0
    members_created: int = 0
    hamlets_created: list[tuple[str, str]] = field(default_factory=list)  # (commune code, hamlet name)
    assessments_created: int = 0
    assessments_updated: int = 0
    assessments_unchanged: int = 0
    denominators_set: list[tuple[str, int | None, int]] = field(default_factory=list)
    areas_set: list[tuple[str, str, str]] = field(default_factory=list)  # (commune code, old area, new area)
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def changed(self) -> bool:
        return bool(
            self.households_created
            or self.households_updated
            or self.members_replaced
            or self.hamlets_created
            or self.assessments_created
            or self.assessments_updated
            or self.denominators_set
            or self.areas_set
        )

    def summary(self) -> dict:
        return {
            "households_created": len(self.households_created),
            "households_updated": len(self.households_updated),
            "households_unchanged": self.households_unchanged,
            "members_created": self.members_created,
            "hamlets_created": len(self.hamlets_created),
            "assessments_created": self.assessments_created,
            "assessments_updated": self.assessments_updated,
            "assessments_unchanged": self.assessments_unchanged,
            "denominators_set": len(self.denominators_set),
            "areas_set": len(self.areas_set),
        }


def survey_import(
    *, actor, round: SurveyRound, path: Path | str, filename: str = "", apply: bool = True, progress: Progress | None = None
) -> ImportResult:
    """Validate a survey workbook and, when `apply` and nothing is wrong, write it in one transaction.

    Raises FileProblem for a file that is not a readable survey workbook; every row-level problem is an
    Issue in the result (and then nothing is written)."""
    path = Path(path)
    if actor is not None and not can(actor, Action.IMPORT):
        raise PermissionDenied(_("You cannot import survey data."))
    if not round.is_open:
        raise FileProblem(_("The round %(round)s is closed for entry.") % {"round": round.code})
    rows, issues = read_workbook(path, progress=progress)
    if not issues and not any(rows.get(sheet) for sheet in SHEETS):
        # An empty workbook is a mistake (the wrong file, or the template as downloaded), not "nothing changed".
        raise FileProblem(_("The workbook has no data rows: fill in the households and members sheets (see the template)."))
    result = ImportResult(issues=issues)
    with transaction.atomic():
        if apply:
            # Lock the round row so two imports into the same round run one after the other.
            SurveyRound.objects.select_for_update().filter(pk=round.pk).first()
        plan = plan_build(actor=actor, survey_round=round, rows=rows, issues=result.issues, warnings=result.warnings)
        for found in (result.issues, result.warnings):
            found.sort(key=lambda i: (list(SHEETS).index(i.sheet) if i.sheet in SHEETS else -1, i.row or 0, i.column))
        if result.issues:
            return result
        plan_execute(actor=actor, plan=plan, result=result, write=apply, filename=filename or path.name, progress=progress)
    return result
