"""The demo's made-up households: members by profile, incomes and deprivations by band, bands that drift between rounds."""

from __future__ import annotations

import random

from surveys import classification as cl

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô", "Dương"]


MIDDLE = {"M": ["Văn", "Minh", "Quốc", "Hữu", "Đức"], "F": ["Thị", "Ngọc", "Thu", "Mỹ", "Kim"]}


GIVEN = {
    "M": ["Hùng", "Dũng", "Nam", "Tuấn", "Phúc", "Long", "Sơn", "Tài", "Bình", "Khang"],
    "F": ["Lan", "Hoa", "Mai", "Hương", "Trang", "Linh", "Thảo", "Nhung", "Yến", "Vy"],
}


def _name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    return f"{surname or rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def members_for(rng: random.Random, profile: str, year_now: int) -> list[dict]:
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
                "sex": s,
                "birth_year": year_now - age,
                "relation": relation,
                "ethnicity": "Kinh" if rng.random() < 0.96 else rng.choice(["Khmer", "Hoa", "Tày", "Nùng"]),
                "able_to_work": 16 <= age < 70 and (profile != "elderly"),
                "social_protection": old or (profile == "elderly" and rng.random() < 0.7),
                "merit": rng.random() < 0.02,
                "disability": rng.random() < 0.03,
            }
        )
    return out


def income_and_deprived(rng: random.Random, spec: cl.CriteriaSpec, area: str, band: str) -> tuple[int, list[str]]:
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


def band_next(rng: random.Random, previous: str | None) -> str:
    if previous in ("poor", "near_poor"):
        roll = rng.random()
        if previous == "poor":
            return "poor" if roll < 0.7 else ("near_poor" if roll < 0.9 else "average")
        return "near_poor" if roll < 0.65 else ("poor" if roll < 0.75 else "average")
    roll = rng.random()
    return "poor" if roll < 0.0035 else "near_poor" if roll < 0.0075 else "average" if roll < 0.035 else "not_poor"


def first_band(rng: random.Random) -> str:
    roll = rng.random()
    return "poor" if roll < 0.011 else "near_poor" if roll < 0.021 else "average" if roll < 0.05 else "not_poor"
