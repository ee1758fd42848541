"""Demo: Binh Duong (pre-2025 units) with hamlets, households and members, its approved rounds 2023 and 2024,
the households re-homed into Ho Chi Minh City (2025 units) and the open round HCM-2026; one user per role.

Deterministic (seeded) and idempotent. Bulk inserts for speed; categories come from the one
classification module, exactly as the assessment service would compute them.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.audit import audit
from core.audit_actions import AuditAction
from households.ethnicity import groups_by_code, match_code
from households.models import AdminUnit, Assignment, Hamlet, Household, Level, Member, Role, Structure
from households.rehoming import households_rehome
from households.search import household_search_key
from households.units import load_2025, load_legacy
from surveys import classification as cl
from surveys.demo_households import band_next, first_band, income_and_deprived, members_for
from surveys.demo_procedure import approve_round, progress_hcm
from surveys.models import Assessment, CriteriaSet, SurveyRound
from surveys.round_areas import areas_in_round
from surveys.rounds import round_create, round_standards_set
from surveys.services import criteria_spec

PROVINCE = "74"
DEMO_PASSWORD = "povreg-demo-2026"  # noqa: S105 (printed demo login)
HOUSEHOLDS_PER_COMMUNE = 40
HAMLET_PREFIX = {"urban": "Khu phố", "rural": "Ấp"}
# In the demo officer's commune the open round is left part-done, so the entry flow has work to show.
UNASSESSED_IN_OPEN_ROUND = 10
HOME_BANDS = {1: "poor", 2: "poor", 3: "poor", 4: "near_poor", 5: "near_poor", 6: "average"}


@dataclass
class DemoUser:
    username: str
    role: str
    units: list[tuple[str, str]]  # (structure, GSO code)
    note: str


def _legacy_communes(province: AdminUnit) -> list[AdminUnit]:
    return list(AdminUnit.objects.filter(parent__parent=province, level=Level.COMMUNE).select_related("parent").order_by("code"))


def _sole_successor(commune: AdminUnit) -> AdminUnit | None:
    successors = list(commune.successors.filter(structure=Structure.Y2025))
    return successors[0] if len(successors) == 1 else None


def home_commune(communes: list[AdminUnit]) -> AdminUnit:
    """The demo officer's old commune: the first one (by code) that became a single new commune."""
    return next(c for c in communes if _sole_successor(c) is not None)


def demo_users(province: AdminUnit) -> list[DemoUser]:
    """One user per role. Since 1 July 2025 the demo works in Ho Chi Minh City: the officer's commune is the
    new ward that took in the officer's old Binh Duong commune; department staff hold both the old province
    (its rounds stay readable) and the new one. The district officer keeps the old district (legacy rounds)."""
    communes = _legacy_communes(province)
    home = home_commune(communes)
    other = next(c for c in communes if c.parent_id != home.parent_id and _sole_successor(c) not in (None, _sole_successor(home)))
    new_home, new_other = _sole_successor(home), _sole_successor(other)
    new_province = province.successors.get(level=Level.PROVINCE)
    legacy, y2025 = Structure.LEGACY, Structure.Y2025
    return [
        DemoUser(
            "officer",
            Role.COMMUNE_OFFICER,
            [(y2025, new_home.code)],
            f"commune officer, {new_home.name}" + (f" (formerly {home.name})" if home.name != new_home.name else ""),
        ),
        DemoUser("officer2", Role.COMMUNE_OFFICER, [(y2025, new_other.code)], f"commune officer, {new_other.name}"),
        DemoUser("chairman", Role.COMMUNE_CHAIRMAN, [(y2025, new_home.code)], f"commune chairman, {new_home.name}"),
        DemoUser(
            "district",
            Role.DISTRICT_OFFICER,
            [(legacy, home.parent.code)],
            f"district officer, {home.parent.name} (districts ended on 30/06/2025: legacy rounds only)",
        ),
        DemoUser(
            "department",
            Role.DEPARTMENT_STAFF,
            [(y2025, new_province.code), (legacy, province.code)],
            f"department staff, {new_province.name} (and former {province.name})",
        ),
        DemoUser("api_reader", Role.API_READER, [(y2025, new_province.code), (legacy, province.code)], "API reader (rates only)"),
        DemoUser("admin", Role.ADMIN, [(y2025, new_province.code), (legacy, province.code)], "administrator (Django admin)"),
    ]


def _ensure_users(province: AdminUnit) -> list[DemoUser]:
    User = get_user_model()
    users = demo_users(province)
    for du in users:
        user, _ = User.objects.get_or_create(username=du.username)
        user.is_staff = du.role in (Role.DEPARTMENT_STAFF, Role.ADMIN)
        user.is_superuser = du.role == Role.ADMIN
        user.set_password(DEMO_PASSWORD)
        user.save()
        Assignment.objects.filter(user=user).delete()  # an older demo gave other units
        for structure, code in du.units:
            unit = AdminUnit.objects.get(structure=structure, code=code)
            Assignment.objects.get_or_create(user=user, unit=unit, role=du.role)
    return users


def _assess_bulk(
    survey_round: SurveyRound,
    households: list[Household],
    *,
    bands: dict,
    members_by_code: dict,
    rng: random.Random,
    spec: cl.CriteriaSpec,
    indicators: dict,
    evolve: bool,
    skip: set[str] = frozenset(),
) -> None:
    """Assessments of `households` in the round, classified by the one classification module, in bulk."""
    areas = areas_in_round(round=survey_round, commune_ids={h.commune_id for h in households})
    assessments, deprived_of = [], {}
    for household in households:
        code = household.code
        if code in skip:
            continue
        band = band_next(rng, bands[code]) if evolve else bands[code]
        bands[code] = band
        area = areas[household.commune_id]
        income, deprived = income_and_deprived(rng, spec, area, band)
        facts = [
            {
                **{
                    k: m[k]
                    for k in (
                        "able_to_work",
                        "social_protection",
                        "merit",
                        "disability",
                        "sex",
                        "birth_year",
                        "ethnicity",
                        "relation",
                    )
                },
                "ethnic_group": match_code(m["ethnicity"]),
            }
            for m in members_by_code[code]
        ]
        member_facts = [cl.MemberFacts(f["able_to_work"], f["social_protection"]) for f in facts]
        result = cl.classify(spec, area=area, income=income, deprived=deprived, members=member_facts)
        assessments.append(
            Assessment(
                household=household,
                round=survey_round,
                criteria_set=survey_round.criteria_set,
                commune_id=household.commune_id,
                hamlet_id=household.hamlet_id,
                area_type=area,
                income_per_capita=income,
                member_count=len(facts),
                able_to_work_count=sum(f["able_to_work"] for f in facts),
                social_protection_count=sum(f["social_protection"] for f in facts),
                members_snapshot=facts,
                category=result.category.value,
                group=result.group.value if result.group else "",
                deprived_count=result.deprived_count,
                explanation_vi=result.explanation_vi,
                explanation_en=result.explanation_en,
                low_income_workers=cl.low_income_workers(
                    spec, area=area, income=income, category=result.category, members=member_facts
                ),
            )
        )
        deprived_of[code] = deprived
    Assessment.objects.bulk_create(assessments, batch_size=1000)
    through = Assessment.deprived_indicators.through
    ids = dict(Assessment.objects.filter(round=survey_round).values_list("household__code", "id"))
    through.objects.bulk_create(
        [through(assessment_id=ids[code], indicator_id=indicators[c].pk) for code, codes in deprived_of.items() for c in codes],
        batch_size=5000,
    )


def _demo_mapping(province: AdminUnit) -> dict[tuple[str, str], str]:
    """A hamlet mapping for the split communes, as a department would draw it up: hamlets shared out
    over the commune's successors in turn (the demo's hamlets are invented, so is this mapping)."""
    mapping = {}
    for commune in _legacy_communes(province):
        successors = list(commune.successors.filter(structure=Structure.Y2025).order_by("code"))
        if len(successors) < 2:
            continue
        for i, hamlet in enumerate(commune.hamlets.order_by("name")):
            if i % 4 != 3:  # every fourth hamlet is left out: the default unit takes it, reported as an assumption
                mapping[(commune.code, " ".join(hamlet.name.split()).lower())] = successors[i % len(successors)].code
    return mapping


@transaction.atomic
def build_demo(*, households_per_commune: int = HOUSEHOLDS_PER_COMMUNE, seed: int = 74) -> dict:
    """Binh Duong 2023 and 2024 (legacy units, approved), its households re-homed into Ho Chi Minh City's
    communes of 1 July 2025, and the open round HCM-2026 with some communes submitted and approved."""
    rng = random.Random(seed)
    load_legacy(PROVINCE)
    load_2025(PROVINCE)
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code=PROVINCE)
    new_province = province.successors.get(level=Level.PROVINCE)
    users = _ensure_users(province)
    communes = _legacy_communes(province)
    demo_households = Household.objects.filter(code__regex=r"^\d{5}-\d{4}$")
    if demo_households.exists():
        return {"users": users, "created": False, "households": demo_households.count()}

    criteria = CriteriaSet.objects.get(code="VN-2022")
    spec = criteria_spec(criteria)
    indicators = {i.code: i for i in criteria.indicators.all()}
    rounds = []
    for year in (2023, 2024):
        rounds.append(
            SurveyRound.objects.filter(code=f"BD-{year}").first()
            or round_create(
                actor=None,
                code=f"BD-{year}",
                year=year,
                criteria_set=criteria,
                province=province,
                previous_round=rounds[-1] if rounds else None,
            )
        )

    hamlets = []
    for commune in communes:
        for n in range(1, rng.randint(3, 5) + 1):
            hamlets.append(Hamlet.build(commune_id=commune.pk, name=f"{HAMLET_PREFIX[commune.area_type]} {n}"))
    Hamlet.objects.bulk_create(hamlets)
    hamlets_by_commune: dict[int, list[Hamlet]] = {}
    for h in Hamlet.objects.filter(commune__in=communes):
        hamlets_by_commune.setdefault(h.commune_id, []).append(h)

    households, members_by_code, bands = [], {}, {}
    for commune in communes:
        for n in range(1, households_per_commune + 1):
            band = HOME_BANDS.get(n, first_band(rng)) if commune == home_commune(communes) else first_band(rng)
            profile = "elderly" if band == "poor" and rng.random() < 0.38 else "family"
            code = f"{commune.code}-{n:04d}"
            members = members_for(rng, profile, 2024)
            hamlet = rng.choice(hamlets_by_commune[commune.pk])
            households.append(
                Household(
                    code=code,
                    commune=commune,
                    hamlet=hamlet,
                    head_name=members[0]["full_name"],
                    address=f"{rng.randint(1, 300)} {hamlet.name}",
                )
            )
            members_by_code[code] = members
            bands[code] = band
    Household.objects.bulk_create(households, batch_size=1000)
    saved = {h.code: h for h in Household.objects.filter(commune__in=communes)}
    citizen = 0
    member_rows = []
    groups = groups_by_code()
    for code, members in members_by_code.items():
        for position, m in enumerate(members, start=1):
            citizen += 1
            member_rows.append(
                Member(
                    household=saved[code],
                    position=position,
                    citizen_id=f"0{PROVINCE}{citizen:09d}" if m["birth_year"] <= 2010 else "",
                    ethnic_group=groups[match_code(m["ethnicity"])],
                    **m,
                )
            )
    Member.objects.bulk_create(member_rows, batch_size=2000)
    # The folded text the register's search reads (tone marks and case ignored), as the services keep it.
    names: dict[int, list[tuple[str, str]]] = {}
    for m in member_rows:
        names.setdefault(m.household_id, []).append((m.full_name, m.citizen_id))
    for household in saved.values():
        household.search_key = household_search_key(
            code=household.code, head_name=household.head_name, members=names.get(household.pk, [])
        )
        household.member_count = len(names.get(household.pk, []))
    Household.objects.bulk_update(list(saved.values()), ["search_key", "member_count"], batch_size=1000)

    # Binh Duong's last two reviews before the merger, both approved (entries frozen).
    for survey_round in rounds:
        _assess_bulk(
            survey_round,
            list(saved.values()),
            bands=bands,
            members_by_code=members_by_code,
            rng=rng,
            spec=spec,
            indicators=indicators,
            evolve=survey_round is not rounds[0],
        )
        approve_round(survey_round, communes)
    SurveyRound.objects.filter(pk__in=[r.pk for r in rounds]).update(is_open=False)

    # 1 July 2025: the households move into Ho Chi Minh City's communes (by hamlet where a commune was split).
    households_rehome(actor=None, province=province, mapping=_demo_mapping(province))

    # The open review of 2026 under Decree 07 (in force to the end of 2026), following BD-2024.
    # Its deadline is the usual 14 December, or three weeks from the day the demo is built if that is later,
    # so the demo's open round is never overdue on the first day someone tries it.
    hcm = SurveyRound.objects.filter(code="HCM-2026").first() or round_create(
        actor=None,
        code="HCM-2026",
        year=2026,
        criteria_set=criteria,
        province=new_province,
        ends_on=max(datetime.date(2026, 12, 14), timezone.localdate() + datetime.timedelta(days=21)),
    )
    moved = list(Household.objects.filter(code__in=list(saved)).select_related("commune"))
    home = Household.objects.get(code=f"{home_commune(communes).code}-0001").commune
    in_home = sorted((h for h in moved if h.commune_id == home.pk), key=lambda h: h.code)
    skip = {h.code for h in in_home[-UNASSESSED_IN_OPEN_ROUND:]}
    _assess_bulk(
        hcm,
        moved,
        bands=bands,
        members_by_code=members_by_code,
        rng=rng,
        spec=spec,
        indicators=indicators,
        evolve=True,
        skip=skip,
    )
    # The city publishes its review under two standards (Decision 505/QĐ-UBND did so for 2025): the national one and
    # its own, per year. Its 2026 lines are not published in LAW.md's sources: the demo uses the 2025 ones.
    city = CriteriaSet.objects.filter(code="HCM-2025").first()
    if city is not None:
        round_standards_set(actor=None, round=hcm, additional_sets=[city])
    progress_hcm(hcm, home=home, rng=rng)
    audit(actor=None, action=AuditAction.DEMO_LOADED, target=new_province, changes={"households": [None, len(saved)]})
    return {"users": users, "created": True, "households": len(saved)}
