"""Applying a planned import, in bulk and inside the caller's transaction: hamlets, households, members, assessments
and denominators, each compared with what is stored first so that an unchanged row writes nothing.

Assessments go through the same steps as the single write (`surveys.assessment_rules`: the member facts, the rule
table, the result copied onto the Assessment); the audit trail gets one event per household changed, in one bulk
insert (`core.audit.audit_many`), plus one summary event on the round.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.utils import timezone

from core.audit import audit, audit_many
from core.audit_actions import AuditAction
from households.ethnicity import groups_by_code
from households.models import Hamlet, Household, Member
from households.search import household_search_key
from surveys.assessment_rules import assessment_result_apply, classify_household, member_fact
from surveys.imports.plan import Plan, chunks
from surveys.imports.workbook import MEMBER_KEYS, Progress, Row
from surveys.models import Assessment, Denominator, RoundArea
from surveys.services import criteria_spec, round_additional_sets, standard_results_refresh

if TYPE_CHECKING:
    from surveys.imports.importer import ImportResult

# What an assessment derives from its household and the rule table (assessment_result_apply): compared with the
# stored row to tell whether the import changes it.
ASSESSMENT_COMPARED = [
    "criteria_set_id",
    "commune_id",
    "hamlet_id",
    "area_type",
    "basis",
    "income_per_capita",
    "score_a",
    "score_b",
    "member_count",
    "able_to_work_count",
    "social_protection_count",
    "members_snapshot",
    "category",
    "group",
    "deprived_count",
    "explanation_vi",
    "explanation_en",
    "low_income_workers",
]
# Written back when they differ: the same fields (by name, not column), and the row's version and stamp.
ASSESSMENT_UPDATE_FIELDS = [*(f.removesuffix("_id") for f in ASSESSMENT_COMPARED), "version", "assessed_by", "updated_at"]


def plan_execute(*, actor, plan: Plan, result: ImportResult, write: bool, filename: str, progress: Progress | None) -> None:
    """Work out every change of the plan into `result` and, when `write`, make it."""
    now = timezone.now()
    _hamlets_apply(plan, result, write)
    households = _households_apply(plan, result, write, now)
    if progress:
        progress("households", 1, 4)
    facts, replaced = _members_apply(plan, result, write, households)
    if progress:
        progress("members", 2, 4)
    assessed = _assessments_apply(actor, plan, result, write, households, facts, now)
    if progress:
        progress("assessments", 3, 4)
    _denominators_apply(plan, result, write)
    if write:
        code_of = {c.pk: code for code, c in plan.communes.items()}
        for cid, (old, new) in plan.area_changes.items():
            audit(
                actor=actor,
                action=AuditAction.ROUND_AREA_SET,
                target=plan.round,
                reason=filename,
                changes={f"area[{code_of[cid]}]": [old, new]},
            )
        _audit_households(
            actor=actor, plan=plan, households=households, result=result, assessed=assessed, replaced=replaced, filename=filename
        )
        if result.changed:
            audit(
                actor=actor,
                action=AuditAction.SURVEY_IMPORTED,
                target=plan.round,
                reason=filename,
                changes={k: [None, v] for k, v in result.summary().items()},
            )
        result.applied = True
    if progress:
        progress("done", 4, 4)


def _hamlet_id(plan: Plan, v: dict) -> int | None:
    return plan.hamlets.get((v["commune"].pk, Hamlet.key(v["hamlet"]))) if v["hamlet"] else None


def _hamlets_apply(plan: Plan, result: ImportResult, write: bool) -> None:
    code_of = {c.pk: code for code, c in plan.communes.items()}
    result.hamlets_created = sorted((code_of[cid], name) for (cid, _k), name in plan.new_hamlets.items())
    if write and plan.new_hamlets:
        created = Hamlet.objects.bulk_create(
            [Hamlet.build(commune_id=cid, name=name) for (cid, _k), name in plan.new_hamlets.items()]
        )
        for hamlet in created:
            plan.hamlets[(hamlet.commune_id, hamlet.name_key)] = hamlet.pk


def _households_apply(plan: Plan, result: ImportResult, write: bool, now) -> dict[str, Household]:
    """Each household of the file as it will stand (with its id once written, its commune and hamlet): created,
    updated where its hamlet, head or address differ, else as registered."""
    households: dict[str, Household] = {}
    new_households, changed_households = [], []
    for code, row in plan.households.items():
        v = row.values
        hamlet_id = _hamlet_id(plan, v)
        h = plan.existing.get(code)
        household = Household(
            id=h["id"] if h else None,
            code=code,
            commune=v["commune"],
            hamlet_id=hamlet_id,
            head_name=v["head_name"],
            address=v["address"],
        )
        households[code] = household
        if h is None:
            result.households_created.append(code)
            new_households.append(household)
            continue
        household.version = h["version"]
        if (h["hamlet_id"], h["head_name"], h["address"]) != (hamlet_id, v["head_name"], v["address"]) or (
            not write and v["hamlet"] and hamlet_id is None
        ):
            result.households_updated.append(code)
            household.version, household.updated_at = h["version"] + 1, now
            changed_households.append(household)
    if write:
        for batch in chunks(new_households, 2000):
            Household.objects.bulk_create(batch)
        if changed_households:
            Household.objects.bulk_update(
                changed_households, ["hamlet_id", "head_name", "address", "version", "updated_at"], batch_size=2000
            )
    return households


def _member_values(row: Row) -> tuple:
    return tuple(row.values[k] for k in MEMBER_KEYS)


def _member_values_of(member: Member) -> tuple:
    return tuple(getattr(member, k) for k in MEMBER_KEYS)


def _members_apply(
    plan: Plan, result: ImportResult, write: bool, households: dict[str, Household]
) -> tuple[dict[str, list[dict]], set[str]]:
    """Members replaced only where the file's list differs from the registry's. Returns each household's member
    facts (as the assessment keeps them) and the codes of the registered households whose members were replaced."""
    group_codes = {g.pk: code for code, g in groups_by_code().items()}
    current: dict[int, list[Member]] = defaultdict(list)
    for chunk in chunks([h["id"] for h in plan.existing.values()]):
        members = (
            Member.objects.filter(household_id__in=chunk)
            .order_by("household_id", "position", "id")
            .only("id", "household_id", *MEMBER_KEYS)
        )
        for member in members:
            current[member.household_id].append(member)
    kept: dict[str, list[Member]] = {}
    replaced, new_members, new_member_owner = set(), [], []
    for code, member_rows in plan.members.items():
        wanted = [_member_values(r) for r in member_rows]
        have = current.get(households[code].pk, []) if code in plan.existing else []
        if [_member_values_of(m) for m in have] == wanted:
            kept[code] = have
            continue
        if code in plan.existing:
            replaced.add(code)
            result.members_replaced += len(have)
        result.members_created += len(wanted)
        for position, values in enumerate(wanted, start=1):
            new_members.append(
                Member(household_id=households[code].pk, position=position, **dict(zip(MEMBER_KEYS, values, strict=True)))
            )
            new_member_owner.append(code)
    if write:
        for chunk in chunks([households[code].pk for code in replaced]):
            Member.objects.filter(household_id__in=chunk).delete()
        Member.objects.bulk_create(new_members, batch_size=2000)
    for member, code in zip(new_members, new_member_owner, strict=True):
        kept.setdefault(code, []).append(member)
    facts = {
        code: [member_fact(m, ethnic_group_code=group_codes.get(m.ethnic_group_id)) for m in members]
        for code, members in kept.items()
    }
    if write:  # the folded search column and the member count, kept as households.services keeps them
        touched = {*result.households_created, *result.households_updated, *new_member_owner}
        Household.objects.bulk_update(
            [
                Household(
                    pk=households[code].pk,
                    search_key=household_search_key(
                        code=code,
                        head_name=row.values["head_name"],
                        members=[(m.values["full_name"], m.values["citizen_id"]) for m in plan.members[code]],
                    ),
                    member_count=len(plan.members[code]),
                )
                for code, row in plan.households.items()
                if code in touched
            ],
            ["search_key", "member_count"],
            batch_size=2000,
        )
    return facts, replaced


def _assessments_apply(
    actor, plan: Plan, result: ImportResult, write: bool, households: dict[str, Household], facts: dict[str, list[dict]], now
) -> dict[str, list]:
    """Each household classified by the round's rule table through the steps of the single write, compared with
    its stored assessment. Returns household code → [category before, category now] for those created or changed."""
    survey_round = plan.round
    criteria_set = survey_round.criteria_set
    spec = criteria_spec(criteria_set)
    indicators = {i.code: i for i in criteria_set.indicators.all()}
    order = {code: i.position for code, i in indicators.items()}
    user = actor if getattr(actor, "is_authenticated", False) else None
    stored: dict[int, dict] = {}
    stored_codes: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks([h["id"] for h in plan.existing.values()]):
        for a in Assessment.objects.filter(round=survey_round, household_id__in=chunk).values(
            "id", "household_id", "version", *ASSESSMENT_COMPARED
        ):
            stored[a["household_id"]] = a
    through = Assessment.deprived_indicators.through
    for chunk in chunks([a["id"] for a in stored.values()]):
        for aid, code in through.objects.filter(assessment_id__in=chunk).values_list("assessment_id", "indicator__code"):
            stored_codes[aid].append(code)

    creates, updates = [], []
    categories: dict[str, int] = defaultdict(int)
    assessed: dict[str, list] = {}
    for code, row in plan.households.items():
        v = row.values
        household = households[code]
        deprived = sorted(v["deprived"], key=lambda c: (order.get(c, 0), c))
        area = plan.areas.get(household.commune_id, v["commune"].area_type)
        members, score_a, income = facts[code], v.get("score_a"), v["income_per_capita"]
        res = classify_household(
            spec=spec,
            area=area,
            income_per_capita=None if score_a is not None else income,
            score_a=score_a,
            deprived=deprived,
            members=members,
        )
        categories[res.category.value] += 1
        assessment = Assessment(household_id=household.pk, round=survey_round, assessed_by=user)
        assessment_result_apply(
            assessment,
            household=household,
            criteria_set=criteria_set,
            members=members,
            result=res,
            area=area,
            spec=spec,
            income_per_capita=income,
        )
        assessment.deprived = deprived  # the indicator links, written after the rows
        old = stored.get(household.pk) if household.pk is not None else None
        if old is None:
            result.assessments_created += 1
            assessed[code] = [None, assessment.category]
            creates.append(assessment)
        elif all(old[k] == getattr(assessment, k) for k in ASSESSMENT_COMPARED) and sorted(
            stored_codes.get(old["id"], [])
        ) == sorted(deprived):
            result.assessments_unchanged += 1
        else:
            result.assessments_updated += 1
            assessed[code] = [old["category"], assessment.category]
            assessment.id, assessment.version, assessment.updated_at = old["id"], old["version"] + 1, now
            updates.append(assessment)
    result.categories = dict(categories)
    result.households_unchanged = len(plan.existing) - len(result.households_updated)
    if write:
        Assessment.objects.bulk_create(creates, batch_size=2000)
        if updates:
            Assessment.objects.bulk_update(updates, ASSESSMENT_UPDATE_FIELDS, batch_size=1000)
            for chunk in chunks([a.id for a in updates]):
                through.objects.filter(assessment_id__in=chunk).delete()
        links = [through(assessment_id=a.pk, indicator_id=indicators[c].pk) for a in [*creates, *updates] for c in a.deprived]
        through.objects.bulk_create(links, batch_size=5000)
        if round_additional_sets(survey_round):
            # Every assessment of the file, changed or not: results under a standard added since stay complete.
            standard_results_refresh([a.pk for a in creates] + [old["id"] for old in stored.values()])
    return assessed


def _denominators_apply(plan: Plan, result: ImportResult, write: bool) -> None:
    survey_round = plan.round
    have = {
        d.commune_id: d
        for d in Denominator.objects.filter(
            round=survey_round, commune_id__in=[r.values["commune"].pk for r in plan.denominators]
        )
    }
    new_den, changed_den = [], []
    for row in plan.denominators:
        commune, total = row.values["commune"], row.values["total_households"]
        persons = row.values.get("total_persons")
        d = have.get(commune.pk)
        if d is not None and d.total_households == total and d.total_persons == persons:
            continue
        result.denominators_set.append((commune.code, d.total_households if d else None, total))
        if d is None:
            new_den.append(Denominator(round=survey_round, commune=commune, total_households=total, total_persons=persons))
        else:
            d.total_households, d.total_persons = total, persons
            changed_den.append(d)
    code_of = {c.pk: code for code, c in plan.communes.items()}
    result.areas_set = sorted((code_of[cid], old, new) for cid, (old, new) in plan.area_changes.items())
    if write:
        Denominator.objects.bulk_create(new_den)
        if changed_den:
            Denominator.objects.bulk_update(changed_den, ["total_households", "total_persons"])
        # Members replaced by the file are facts of this round only: other rounds keep their snapshots.
        for cid, (_old, new) in plan.area_changes.items():
            RoundArea.objects.update_or_create(round=survey_round, commune_id=cid, defaults={"area_type": new})


def _audit_households(
    *, actor, plan: Plan, households: dict[str, Household], result: ImportResult, assessed: dict, replaced: set, filename: str
) -> None:
    """One audit event per household the import changed (created, updated, members replaced, assessment created or
    changed), in one bulk insert, so each household's history and the change feed show the import."""
    created, updated = set(result.households_created), set(result.households_updated)
    items = []
    for code in plan.households:
        if not (code in created or code in updated or code in replaced or code in assessed):
            continue
        changes: dict = {"round": [None, plan.round.code]}
        if code in created:
            changes["household"] = [None, "created"]
        elif code in updated:
            changes["household"] = ["", "hamlet, head or address updated"]
        if code in replaced or code in created:
            changes["members"] = [None, len(plan.members.get(code, []))]
        if code in assessed:
            changes["category"] = assessed[code]
        items.append((households[code], changes))
    audit_many(actor=actor, action=AuditAction.HOUSEHOLD_IMPORTED, items=items, reason=filename)
