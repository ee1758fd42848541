"""Row validation of a survey workbook against the domain's rules: each sheet's rows, the head of each household, and
the consistency warnings. Field limits (lengths, lowest values) are read from the models, so the import refuses
exactly what the registry's own forms and services refuse."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext as _

from households.ethnicity import KINH_CODE, groups_by_code, match_code
from households.models import MAX_MEMBERS, AdminUnit, Hamlet, Household, Member, Relation, household_code_validator
from households.search import fold
from surveys import classification as cl
from surveys.assessment_rules import income_test_errors
from surveys.consistency import CHECKED_SETS, warnings_for
from surveys.imports.workbook import Issue, Row
from surveys.models import MAX_INCOME_PER_CAPITA, Assessment, Denominator, SurveyRound
from surveys.services import round_additional_sets

# A plausibility bound (households or persons of one commune): far above any, inside the integer column.
MAX_DENOMINATOR = 100_000_000
# (sheet, column) -> the model field whose max_length bounds it.
TEXT_FIELDS: dict[tuple[str, str], tuple[type[models.Model], str]] = {
    ("households", "head_name"): (Household, "head_name"),
    ("households", "address"): (Household, "address"),
    ("households", "hamlet"): (Hamlet, "name"),
    ("members", "full_name"): (Member, "full_name"),
}
CommuneOf = Callable[[Row, str], "AdminUnit | None"]


def lowest_value(model: type[models.Model], name: str) -> int:
    """The lowest value a model's integer field accepts: its MinValueValidator, else its column's lower bound."""
    field = model._meta.get_field(name)
    bounds = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    if bounds:
        return max(bounds)
    from django.db import connection

    return connection.ops.integer_field_range(field.get_internal_type())[0]


def text_limit_issues(sheet: str, row: Row) -> list[Issue]:
    """A text longer than its model field holds (the database would refuse it, and the whole import with it)."""
    found = []
    for (field_sheet, column), (model, name) in TEXT_FIELDS.items():
        limit = model._meta.get_field(name).max_length
        if field_sheet == sheet and len(row.values.get(column) or "") > limit:
            found.append(Issue(_("At most %(n)s characters.") % {"n": limit}, sheet, row.number, column))
    return found


def household_rows_check(
    survey_round: SurveyRound, rows: list[Row], issues: list[Issue], commune_of: CommuneOf
) -> tuple[dict[str, Row], set[str]]:
    """The households sheet's rows by code (each code once), and the codes of rows that could not be read."""
    households: dict[str, Row] = {}
    bad_codes: set[str] = set()
    additional_sets = round_additional_sets(survey_round)
    indicator_codes = set(survey_round.criteria_set.indicators.values_list("code", flat=True))
    lowest_income = lowest_value(Assessment, "income_per_capita")
    for row in rows:
        v = row.values
        code = v.get("household_code")
        if row.bad:
            bad_codes.add(code)
            continue
        try:
            household_code_validator(code)
        except ValidationError as exc:
            issues.append(Issue(exc.messages[0], "households", row.number, "household_code"))
            continue
        if code in households:
            issues.append(
                Issue(
                    _("The household code %(code)s appears twice (also row %(row)s).")
                    % {"code": code, "row": households[code].number},
                    "households",
                    row.number,
                    "household_code",
                )
            )
            continue
        issues.extend(text_limit_issues("households", row))
        income, score = v["income_per_capita"], v.get("score_a")
        # The same rule as every other entry path (surveys.assessment_rules.income_test_errors), reported in one column.
        test_errors = income_test_errors(
            income_per_capita=income, score_a=score, criteria_set=survey_round.criteria_set, additional=additional_sets
        )
        if test_errors:
            column = "score_a" if score is not None and "score_a" in test_errors else "income_per_capita"
            issues.append(Issue(test_errors[column][0], "households", row.number, column))
        elif score is not None and not 0 <= score <= cl.MAX_SCORE_A:
            issues.append(
                Issue(
                    _("Score A is a whole number of points from 0 to %(max)s.") % {"max": cl.MAX_SCORE_A},
                    "households",
                    row.number,
                    "score_a",
                )
            )
        elif income is not None and income < lowest_income:
            issues.append(Issue(_("Income per capita cannot be negative."), "households", row.number, "income_per_capita"))
        elif income is not None and income > MAX_INCOME_PER_CAPITA:
            issues.append(Issue(_("This amount is not plausible; check it."), "households", row.number, "income_per_capita"))
        unknown = [c for c in v["deprived"] if c not in indicator_codes]
        if unknown:
            issues.append(
                Issue(
                    _("Unknown indicator code(s) for %(set)s: %(codes)s.")
                    % {"set": survey_round.criteria_set.code, "codes": ", ".join(unknown)},
                    "households",
                    row.number,
                    "deprived",
                )
            )
        commune = commune_of(row, "households")
        if commune is not None:
            v["commune"] = commune
        households[code] = row
    return households, bad_codes


def member_rows_check(
    rows: list[Row], households: dict[str, Row], bad_codes: set[str], issues: list[Issue]
) -> tuple[dict[str, list[Row]], dict[str, int]]:
    """The members sheet's rows by household code, and each citizen ID with its row (each ID once in the file)."""
    members: dict[str, list[Row]] = defaultdict(list)
    seen_ids: dict[str, int] = {}
    earliest_birth = lowest_value(Member, "birth_year")
    this_year = datetime.date.today().year  # households.models.validate_birth_year: never in the future
    groups = groups_by_code()
    for row in rows:
        v = row.values
        code = v.get("household_code")
        if row.bad or code in bad_codes:
            continue
        if code not in households:
            issues.append(
                Issue(
                    _("No household %(code)s in the households sheet.") % {"code": code}, "members", row.number, "household_code"
                )
            )
            continue
        issues.extend(text_limit_issues("members", row))
        # A name or a GSO code of the 54 groups (empty is Kinh, as documented); stored as the group and its name.
        group = groups.get(match_code(v["ethnicity"] or KINH_CODE))
        if group is None:
            issues.append(
                Issue(
                    _(
                        "Unknown ethnic group “%(value)s”: give one of the 54 groups by its Vietnamese name or its GSO code "
                        "(01 Kinh … 54 Rơ Măm)."
                    )
                    % {"value": v["ethnicity"][:40]},
                    "members",
                    row.number,
                    "ethnicity",
                )
            )
            row.bad = True  # counted as a member, but its household's head rule waits for the row to be readable
        v["ethnic_group_id"] = group.pk if group else None
        v["ethnicity"] = group.name_vi if group else v["ethnicity"]
        if not earliest_birth <= v["birth_year"] <= this_year:
            issues.append(
                Issue(
                    _("The birth year must be between %(min)s and %(y)s.") % {"min": earliest_birth, "y": this_year},
                    "members",
                    row.number,
                    "birth_year",
                )
            )
        cid = v["citizen_id"]
        if cid:
            if cid in seen_ids:
                issues.append(
                    Issue(
                        _("This citizen ID appears twice in the file (also row %(row)s).") % {"row": seen_ids[cid]},
                        "members",
                        row.number,
                        "citizen_id",
                    )
                )
            seen_ids[cid] = row.number
        members[code].append(row)
    for member_rows in members.values():
        if len(member_rows) > MAX_MEMBERS:
            issues.append(
                Issue(
                    _("A household has at most %(n)s members.") % {"n": MAX_MEMBERS},
                    "members",
                    member_rows[MAX_MEMBERS].number,
                    "household_code",
                )
            )
    return dict(members), seen_ids


def denominator_rows_check(rows: list[Row], *, staff: bool, issues: list[Issue], commune_of: CommuneOf) -> list[Row]:
    """The denominators sheet's readable rows, one per commune; only department staff may set them."""
    denominators = []
    seen_communes: dict[str, int] = {}
    lowest = {name: lowest_value(Denominator, name) for name in ("total_households", "total_persons")}
    for row in rows:
        v = row.values
        if row.bad:
            continue
        if not staff:
            issues.append(Issue(_("Only department staff can set denominators."), "denominators", row.number, "total_households"))
            continue
        if v["commune_code"] in seen_communes:
            issues.append(
                Issue(
                    _("The commune appears twice (also row %(row)s).") % {"row": seen_communes[v["commune_code"]]},
                    "denominators",
                    row.number,
                    "commune_code",
                )
            )
            continue
        seen_communes[v["commune_code"]] = row.number
        if v["total_households"] > MAX_DENOMINATOR or (v.get("total_persons") or 0) > MAX_DENOMINATOR:
            issues.append(
                Issue(
                    _("More than %(n)s: check the number.") % {"n": f"{MAX_DENOMINATOR:,}"},
                    "denominators",
                    row.number,
                    "total_households",
                )
            )
        if v["total_households"] < lowest["total_households"]:
            issues.append(
                Issue(_("Total households must be a whole number, 0 or more."), "denominators", row.number, "total_households")
            )
        if (v.get("total_persons") or 0) < lowest["total_persons"]:
            issues.append(
                Issue(_("Total persons must be a whole number, 0 or more."), "denominators", row.number, "total_persons")
            )
        commune = commune_of(row, "denominators")
        if commune is not None:
            v["commune"] = commune
            denominators.append(row)
    return denominators


def head_issues(members: dict[str, list[Row]], households: dict[str, Row], incomplete: set[str]) -> list[Issue]:
    """Exactly one member of each household is its head (the rule of households.services.head_rule_errors), as row
    errors in the members sheet's relation column. A household with a member row that failed (`incomplete`) is left
    to that row's error."""
    issues = []
    for code, member_rows in members.items():
        if code in incomplete or code not in households:
            continue
        heads = [r for r in member_rows if r.values.get("relation") == Relation.HEAD]
        if not heads:
            issues.append(
                Issue(
                    _("Household %(code)s has no head: mark one member's relation as head (chủ hộ).") % {"code": code},
                    "members",
                    member_rows[0].number,
                    "relation",
                )
            )
        elif len(heads) > 1:
            rows = ", ".join(str(r.number) for r in heads)
            for r in heads:
                issues.append(
                    Issue(
                        _("Household %(code)s has %(n)s members marked head (rows %(rows)s); only one can be the head.")
                        % {"code": code, "n": len(heads), "rows": rows},
                        "members",
                        r.number,
                        "relation",
                    )
                )
    return issues


def head_name_warnings(households: dict[str, Row], members: dict[str, list[Row]]) -> list[Issue]:
    """The household's head name is its head member's (as households.services stores it): where the households sheet
    names someone else, the member's name is kept and a warning says so."""
    found = []
    for code, row in households.items():
        heads = [r for r in members.get(code, ()) if r.values.get("relation") == Relation.HEAD]
        if len(heads) != 1 or not heads[0].values.get("full_name"):
            continue
        name = heads[0].values["full_name"]
        if fold(name) != fold(row.values.get("head_name")):
            found.append(
                Issue(
                    _(
                        "The head of household is %(member)s (members sheet, row %(row)s), not %(given)s: the member's name is kept."
                    )
                    % {"member": name, "row": heads[0].number, "given": row.values.get("head_name") or "—"},
                    "households",
                    row.number,
                    "head_name",
                    severity="warning",
                )
            )
        row.values["head_name"] = name
    return found


def consistency_warnings(survey_round: SurveyRound, households: dict[str, Row], members: dict[str, list[Row]]) -> list[Issue]:
    """Deprivations the household's members contradict (surveys.consistency): warnings on the households row."""
    code = survey_round.criteria_set.code
    if code not in CHECKED_SETS:
        return []
    found = []
    for household_code, row in households.items():
        member_rows = members.get(household_code)
        if not member_rows:
            continue
        facts = [
            {"birth_year": r.values.get("birth_year"), "able_to_work": r.values.get("able_to_work", True)} for r in member_rows
        ]
        for warning in warnings_for(
            criteria_set_code=code, year=survey_round.year, deprived=row.values.get("deprived", ()), members=facts
        ):
            found.append(Issue(warning.message, "households", row.number, "deprived", severity="warning"))
    return found
