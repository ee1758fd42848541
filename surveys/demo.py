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
from surveys.approval.freeze import frozen_counts, list_entries_freeze
from surveys.models import Assessment, CommuneList, CriteriaSet, HamletMeeting, ListStatus, PublicPosting, SurveyRound
from surveys.round_areas import areas_in_round
from surveys.rounds import round_create, round_standards_set
from surveys.services import criteria_spec

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
    units: list[tuple[str, str]]  # (structure, GSO code)
    note: str


def _name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    return f"{surname or rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


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
        DemoUser("officer", Role.COMMUNE_OFFICER, [(y2025, new_home.code)], f"commune officer, {new_home.name}" + (f" (formerly {home.name})" if home.name != new_home.name else "")),
        DemoUser("officer2", Role.COMMUNE_OFFICER, [(y2025, new_other.code)], f"commune officer, {new_other.name}"),
        DemoUser("chairman", Role.COMMUNE_CHAIRMAN, [(y2025, new_home.code)], f"commune chairman, {new_home.name}"),
        DemoUser("district", Role.DISTRICT_OFFICER, [(legacy, home.parent.code)],
                 f"district officer, {home.parent.name} (districts ended on 30/06/2025: legacy rounds only)"),
        DemoUser("department", Role.DEPARTMENT_STAFF, [(y2025, new_province.code), (legacy, province.code)],
                 f"department staff, {new_province.name} (and former {province.name})"),
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


def _assess_bulk(survey_round: SurveyRound, households: list[Household], *, bands: dict, members_by_code: dict,
                 rng: random.Random, spec: cl.CriteriaSpec, indicators: dict, evolve: bool, skip: set[str] = frozenset()) -> None:
    """Assessments of `households` in the round, classified by the one classification module, in bulk."""
    areas = areas_in_round(round=survey_round, commune_ids={h.commune_id for h in households})
    assessments, deprived_of = [], {}
    for household in households:
        code = household.code
        if code in skip:
            continue
        band = _band(rng, bands[code]) if evolve else bands[code]
        bands[code] = band
        area = areas[household.commune_id]
        income, deprived = _income_and_deprived(rng, spec, area, band)
        facts = [
            {**{k: m[k] for k in ("able_to_work", "social_protection", "merit", "disability", "sex", "birth_year", "ethnicity", "relation")},
             "ethnic_group": match_code(m["ethnicity"])}
            for m in members_by_code[code]
        ]
        member_facts = [cl.MemberFacts(f["able_to_work"], f["social_protection"]) for f in facts]
        result = cl.classify(spec, area=area, income=income, deprived=deprived, members=member_facts)
        assessments.append(Assessment(
            household=household, round=survey_round, criteria_set=survey_round.criteria_set, commune_id=household.commune_id,
            hamlet_id=household.hamlet_id, area_type=area, income_per_capita=income,
            member_count=len(facts), able_to_work_count=sum(f["able_to_work"] for f in facts),
            social_protection_count=sum(f["social_protection"] for f in facts), members_snapshot=facts,
            category=result.category.value, group=result.group.value if result.group else "",
            deprived_count=result.deprived_count, explanation_vi=result.explanation_vi, explanation_en=result.explanation_en,
            low_income_workers=cl.low_income_workers(spec, area=area, income=income, category=result.category, members=member_facts),
        ))
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
            or round_create(actor=None, code=f"BD-{year}", year=year, criteria_set=criteria, province=province,
                            previous_round=rounds[-1] if rounds else None)
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
            band = HOME_BANDS.get(n, _first_band(rng)) if commune == home_commune(communes) else _first_band(rng)
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
    groups = groups_by_code()
    for code, members in members_by_code.items():
        for position, m in enumerate(members, start=1):
            citizen += 1
            member_rows.append(Member(household=saved[code], position=position, citizen_id=f"0{PROVINCE}{citizen:09d}" if m["birth_year"] <= 2010 else "",
                                      ethnic_group=groups[match_code(m["ethnicity"])], **m))
    Member.objects.bulk_create(member_rows, batch_size=2000)
    # The folded text the register's search reads (tone marks and case ignored), as the services keep it.
    names: dict[int, list[tuple[str, str]]] = {}
    for m in member_rows:
        names.setdefault(m.household_id, []).append((m.full_name, m.citizen_id))
    for household in saved.values():
        household.search_key = household_search_key(code=household.code, head_name=household.head_name, members=names.get(household.pk, []))
    Household.objects.bulk_update(list(saved.values()), ["search_key"], batch_size=1000)

    # Binh Duong's last two reviews before the merger, both approved (entries frozen).
    for survey_round in rounds:
        _assess_bulk(survey_round, list(saved.values()), bands=bands, members_by_code=members_by_code, rng=rng, spec=spec,
                     indicators=indicators, evolve=survey_round is not rounds[0])
        _approve_round(survey_round, communes)
    SurveyRound.objects.filter(pk__in=[r.pk for r in rounds]).update(is_open=False)

    # 1 July 2025: the households move into Ho Chi Minh City's communes (by hamlet where a commune was split).
    households_rehome(actor=None, province=province, mapping=_demo_mapping(province))

    # The open review of 2026 under Decree 07 (in force to the end of 2026), following BD-2024.
    # Its deadline is the usual 14 December, or three weeks from the day the demo is built if that is later,
    # so the demo's open round is never overdue on the first day someone tries it.
    hcm = SurveyRound.objects.filter(code="HCM-2026").first() or round_create(
        actor=None, code="HCM-2026", year=2026, criteria_set=criteria, province=new_province,
        ends_on=max(datetime.date(2026, 12, 14), timezone.localdate() + datetime.timedelta(days=21)),
    )
    moved = list(Household.objects.filter(code__in=list(saved)).select_related("commune"))
    home = Household.objects.get(code=f"{home_commune(communes).code}-0001").commune
    in_home = sorted((h for h in moved if h.commune_id == home.pk), key=lambda h: h.code)
    skip = {h.code for h in in_home[-UNASSESSED_IN_OPEN_ROUND:]}
    _assess_bulk(hcm, moved, bands=bands, members_by_code=members_by_code, rng=rng, spec=spec, indicators=indicators,
                 evolve=True, skip=skip)
    # The city publishes its review under two standards (Decision 505/QĐ-UBND did so for 2025): the national one and
    # its own, per year. Its 2026 lines are not published in LAW.md's sources: the demo uses the 2025 ones.
    city = CriteriaSet.objects.filter(code="HCM-2025").first()
    if city is not None:
        round_standards_set(actor=None, round=hcm, additional_sets=[city])
    _progress_hcm(hcm, home=home, rng=rng)
    audit(actor=None, action=AuditAction.DEMO_LOADED, target=new_province, changes={"households": [None, len(saved)]})
    return {"users": users, "created": True, "households": len(saved)}


def _freeze(survey_round: SurveyRound, communes: list[AdminUnit], *, status: str, when: datetime.datetime) -> list[CommuneList]:
    """Lists of the communes in `status`; approved ones with their counts and entries frozen."""
    approved = status == ListStatus.APPROVED
    frozen = frozen_counts(round=survey_round, commune_ids=[c.pk for c in communes]) if approved else {}
    lists = CommuneList.objects.bulk_create(
        [
            CommuneList(
                round=survey_round, commune=c, status=status, submitted_at=when, approved_at=when if approved else None,
                # The chairman's recognition decision, dated the day before the list went up.
                recognition_number=f"{100 + i}/QĐ-UBND", recognition_date=timezone.localtime(when).date() - datetime.timedelta(days=1),
                recognition_signer="Chủ tịch UBND (demo)",
                **frozen.get(c.pk, {}),
            )
            for i, c in enumerate(communes)
        ]
    )
    if approved:
        list_entries_freeze(lists)
    return lists


def _approve_round(survey_round: SurveyRound, communes: list[AdminUnit]) -> None:
    """A round's lists stand approved, with their counts and entries frozen, as after a finished review."""
    when = min(timezone.make_aware(datetime.datetime(survey_round.year, 12, 14, 10, 0)), timezone.now())
    _freeze(survey_round, communes, status=ListStatus.APPROVED, when=when)


def _progress_hcm(hcm: SurveyRound, *, home: AdminUnit, rng: random.Random) -> None:
    """HCM-2026 in December: a few communes approved, a few submitted (meetings and posting recorded), the
    officer's commune still at work."""
    with_households = list(
        AdminUnit.objects.filter(pk__in=Assessment.objects.filter(round=hcm).values("commune_id")).exclude(pk=home.pk).order_by("code")
    )
    approved, submitted = with_households[:3], with_households[3:8]
    now = timezone.now()
    _freeze(hcm, approved, status=ListStatus.APPROVED, when=now - datetime.timedelta(days=3))
    lists = _freeze(hcm, submitted, status=ListStatus.SUBMITTED, when=now - datetime.timedelta(days=1))
    meetings, postings = [], []
    held = timezone.localdate() - datetime.timedelta(days=21)
    for commune_list in lists:
        hamlet_ids = Assessment.objects.filter(round=hcm, commune=commune_list.commune).exclude(hamlet=None).values_list("hamlet_id", flat=True).distinct()
        for hamlet_id in hamlet_ids:
            attendees = rng.randint(25, 60)
            meetings.append(HamletMeeting(commune_list=commune_list, hamlet_id=hamlet_id, held_on=held, attendees=attendees,
                                          agreeing=attendees - rng.randint(0, 5), minutes_note="Biên bản họp dân (demo)"))
        postings.append(PublicPosting(commune_list=commune_list, starts_on=held + datetime.timedelta(days=1),
                                      ends_on=held + datetime.timedelta(days=10), place="Trụ sở UBND và nhà văn hóa khu phố"))
    HamletMeeting.objects.bulk_create(meetings)
    PublicPosting.objects.bulk_create(postings)
