"""Demo province: Binh Duong (pre-2025 units), hamlets, households with members, two rounds, one user per role.

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
from households.models import AdminUnit, Assignment, Hamlet, Household, Level, Member, Role, Structure
from households.units import load_legacy
from surveys import classification as cl
from surveys.models import Assessment, CommuneList, CriteriaSet, ListStatus, SurveyRound
from surveys.selectors import denominators_for, live_commune_counts, persons_denominators_for
from surveys.services import criteria_spec, round_create

PROVINCE = "74"
DEMO_PASSWORD = "povreg-demo-2026"  # noqa: S105 (printed demo login)
HOUSEHOLDS_PER_COMMUNE = 40
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô", "Dương"]
MIDDLE = {"M": ["Văn", "Minh", "Quốc", "Hữu", "Đức"], "F": ["Thị", "Ngọc", "Thu", "Mỹ", "Kim"]}
GIVEN = {"M": ["Hùng", "Dũng", "Nam", "Tuấn", "Phúc", "Long", "Sơn", "Tài", "Bình", "Khang"],
         "F": ["Lan", "Hoa", "Mai", "Hương", "Trang", "Linh", "Thảo", "Nhung", "Yến", "Vy"]}
HAMLET_PREFIX = {"urban": "Khu phố", "rural": "Ấp"}
# In the demo officer's commune the open round is left part-done, so the entry flow has work to show.
UNASSESSED_IN_OPEN_ROUND = 10
HOME_BANDS = {1: "poor", 2: "poor", 3: "poor", 4: "near_poor", 5: "near_poor", 6: "average"}


@dataclass
class DemoUser:
    username: str
    role: str
    unit_code: str
    note: str


def _name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    return f"{surname or rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def demo_users(province: AdminUnit) -> list[DemoUser]:
    communes = list(AdminUnit.objects.filter(parent__parent=province, level=Level.COMMUNE).select_related("parent").order_by("code"))
    home = communes[0]
    other = next(c for c in communes if c.parent_id != home.parent_id)
    return [
        DemoUser("officer", Role.COMMUNE_OFFICER, home.code, f"commune officer, {home.name}"),
        DemoUser("officer2", Role.COMMUNE_OFFICER, other.code, f"commune officer, {other.name}"),
        DemoUser("chairman", Role.COMMUNE_CHAIRMAN, home.code, f"commune chairman, {home.name}"),
        DemoUser("district", Role.DISTRICT_OFFICER, home.parent.code, f"district officer, {home.parent.name}"),
        DemoUser("department", Role.DEPARTMENT_STAFF, province.code, f"department staff, {province.name}"),
        DemoUser("api_reader", Role.API_READER, province.code, "API reader (rates only)"),
        DemoUser("admin", Role.ADMIN, province.code, "administrator (Django admin)"),
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
        unit = AdminUnit.objects.get(structure=Structure.LEGACY, code=du.unit_code)
        Assignment.objects.get_or_create(user=user, unit=unit, role=du.role)
    return users


def _members(rng: random.Random, profile: str, year_now: int) -> list[dict]:
    sex = rng.choice("MF")
    surname = rng.choice(SURNAMES)
    if profile == "elderly":
        head_age = rng.randint(68, 90)
        people = [("head", sex, head_age)]
        if rng.random() < 0.4:
            people.append(("spouse", "F" if sex == "M" else "M", head_age - rng.randint(0, 5)))
    else:
        head_age = rng.randint(28, 62)
        people = [("head", sex, head_age)]
        if rng.random() < 0.8:
            people.append(("spouse", "F" if sex == "M" else "M", head_age + rng.randint(-5, 5)))
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            people.append(("child", rng.choice("MF"), rng.randint(0, max(1, head_age - 20))))
        if rng.random() < 0.2:
            people.append(("parent", rng.choice("MF"), head_age + rng.randint(22, 30)))
    out = []
    for relation, s, age in people:
        old = age >= 75
        out.append(
            {
                "full_name": _name(rng, s, surname if relation in ("head", "child") else None),
                "sex": s, "birth_year": year_now - age, "relation": relation,
                "ethnicity": "Kinh" if rng.random() < 0.96 else rng.choice(["Khmer", "Hoa", "Tày", "Nùng"]),
                "able_to_work": 16 <= age < 70 and (profile != "elderly"),
                "social_protection": old or (profile == "elderly" and rng.random() < 0.7),
                "merit": rng.random() < 0.02, "disability": rng.random() < 0.03,
            }
        )
    return out


def _income_and_deprived(rng: random.Random, spec: cl.CriteriaSpec, area: str, band: str) -> tuple[int, list[str]]:
    poor_rule = spec.rules[area][0]
    line = poor_rule.income_upto or 1_500_000
    codes = [i.code for i in spec.indicators]
    if band == "poor":
        return rng.randrange(line // 2, line, 10_000), rng.sample(codes, rng.randint(3, 5))
    if band == "near_poor":
        return rng.randrange(line // 2, line, 10_000), rng.sample(codes, rng.randint(0, 2))
    if band == "average":
        return rng.randrange(line + 10_000, int(line * 1.45), 10_000), rng.sample(codes, rng.randint(0, 2))
    return int(line * rng.uniform(1.6, 6.0)) // 10_000 * 10_000, rng.sample(codes, rng.choice([0, 0, 0, 1]))


def _band(rng: random.Random, previous: str | None) -> str:
    if previous in ("poor", "near_poor"):
        roll = rng.random()
        if previous == "poor":
            return "poor" if roll < 0.7 else ("near_poor" if roll < 0.9 else "average")
        return "near_poor" if roll < 0.65 else ("poor" if roll < 0.75 else "average")
    roll = rng.random()
    return "poor" if roll < 0.0035 else "near_poor" if roll < 0.0075 else "average" if roll < 0.035 else "not_poor"


def _first_band(rng: random.Random) -> str:
    roll = rng.random()
    return "poor" if roll < 0.011 else "near_poor" if roll < 0.021 else "average" if roll < 0.05 else "not_poor"


@transaction.atomic
def build_demo(*, households_per_commune: int = HOUSEHOLDS_PER_COMMUNE, seed: int = 74) -> dict:
    rng = random.Random(seed)
    load_legacy(PROVINCE)
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code=PROVINCE)
    users = _ensure_users(province)
    communes = list(AdminUnit.objects.filter(parent__parent=province, level=Level.COMMUNE).order_by("code"))
    if Household.objects.filter(commune__in=communes).exists():
        return {"users": users, "created": False, "households": Household.objects.filter(commune__in=communes).count()}

    criteria = CriteriaSet.objects.get(code="VN-2022")
    spec = criteria_spec(criteria)
    rounds = []
    for year in (2023, 2024):
        rounds.append(
            SurveyRound.objects.filter(code=f"BD-{year}").first()
            or round_create(actor=None, code=f"BD-{year}", year=year, criteria_set=criteria, province=province,
                            previous_round=rounds[-1] if rounds else None)
        )
    rounds[0].is_open = False
    rounds[0].save(update_fields=["is_open"])

    hamlets = []
    for commune in communes:
        for n in range(1, rng.randint(3, 5) + 1):
            hamlets.append(Hamlet(commune=commune, name=f"{HAMLET_PREFIX[commune.area_type]} {n}"))
    Hamlet.objects.bulk_create(hamlets)
    hamlets_by_commune: dict[int, list[Hamlet]] = {}
    for h in Hamlet.objects.filter(commune__in=communes):
        hamlets_by_commune.setdefault(h.commune_id, []).append(h)

    indicators = {i.code: i for i in criteria.indicators.all()}
    households, members_by_code, bands = [], {}, {}
    serial = 0
    for commune in communes:
        for n in range(1, households_per_commune + 1):
            serial += 1
            band = HOME_BANDS.get(n, _first_band(rng)) if commune == communes[0] else _first_band(rng)
            profile = "elderly" if band == "poor" and rng.random() < 0.38 else "family"
            code = f"{commune.code}-{n:04d}"
            members = _members(rng, profile, 2024)
            hamlet = rng.choice(hamlets_by_commune[commune.pk])
            households.append(Household(code=code, commune=commune, hamlet=hamlet, head_name=members[0]["full_name"],
                                        address=f"{rng.randint(1, 300)} {hamlet.name}"))
            members_by_code[code] = members
            bands[code] = band
    Household.objects.bulk_create(households, batch_size=1000)
    saved = {h.code: h for h in Household.objects.filter(commune__in=communes)}
    citizen = 0
    member_rows = []
    for code, members in members_by_code.items():
        for position, m in enumerate(members, start=1):
            citizen += 1
            member_rows.append(Member(household=saved[code], position=position, citizen_id=f"0{PROVINCE}{citizen:09d}" if m["birth_year"] <= 2010 else "", **m))
    Member.objects.bulk_create(member_rows, batch_size=2000)

    for survey_round in rounds:
        assessments, deprived_of = [], {}
        open_round = survey_round is rounds[-1]
        skip = {h.code for h in sorted((h for h in saved.values() if h.commune_id == communes[0].pk), key=lambda h: h.code)[-UNASSESSED_IN_OPEN_ROUND:]}
        for code, household in saved.items():
            if open_round and code in skip:
                continue
            band = bands[code] if survey_round is rounds[0] else _band(rng, bands[code])
            bands[code] = band
            area = household.commune.area_type if hasattr(household, "commune") else "urban"
            income, deprived = _income_and_deprived(rng, spec, area, band)
            facts = [{"able_to_work": m["able_to_work"], "social_protection": m["social_protection"]} for m in members_by_code[code]]
            result = cl.classify(spec, area=area, income=income, deprived=deprived,
                                 members=[cl.MemberFacts(f["able_to_work"], f["social_protection"]) for f in facts])
            a = Assessment(
                household=household, round=survey_round, criteria_set=criteria, commune_id=household.commune_id,
                hamlet_id=household.hamlet_id, area_type=area, income_per_capita=income,
                member_count=len(facts), able_to_work_count=sum(f["able_to_work"] for f in facts),
                social_protection_count=sum(f["social_protection"] for f in facts), members_snapshot=facts,
                category=result.category.value, group=result.group.value if result.group else "",
                deprived_count=result.deprived_count, explanation_vi=result.explanation_vi, explanation_en=result.explanation_en,
            )
            assessments.append(a)
            deprived_of[code] = deprived
        Assessment.objects.bulk_create(assessments, batch_size=1000)
        through = Assessment.deprived_indicators.through
        ids = dict(Assessment.objects.filter(round=survey_round).values_list("household__code", "id"))
        through.objects.bulk_create(
            [through(assessment_id=ids[code], indicator_id=indicators[c].pk) for code, codes in deprived_of.items() for c in codes],
            batch_size=5000,
        )
    _approve_round(rounds[0], communes)
    audit(actor=None, action="demo.loaded", target=province, changes={"households": [None, len(saved)]})
    return {"users": users, "created": True, "households": len(saved)}


def _approve_round(survey_round: SurveyRound, communes: list[AdminUnit]) -> None:
    """The earlier round's lists stand approved, with their counts frozen, as after a finished review."""
    ids = [c.pk for c in communes]
    counts = live_commune_counts(round=survey_round, commune_ids=ids)
    denominators = denominators_for(round=survey_round, commune_ids=ids)
    persons = persons_denominators_for(round=survey_round, commune_ids=ids)
    now = timezone.now()
    approved_at = timezone.make_aware(datetime.datetime(survey_round.year, 12, 14, 10, 0))
    CommuneList.objects.bulk_create(
        [
            CommuneList(
                round=survey_round, commune=c, status=ListStatus.APPROVED, approved_at=min(approved_at, now),
                total_households=denominators.get(c.pk, 0), total_persons=persons.get(c.pk, 0),
                **{f: counts.get(c.pk, {}).get(f, 0) for f in ("poor", "poverty_reduction", "social_protection", "near_poor", "poor_persons", "near_poor_persons")},
            )
            for c in communes
        ]
    )
