"""The shipped criteria sets as plain data (see ../shared/LAW.md for sources and certainty).

Loaded by a data migration; department staff edit them afterwards in the admin. Where the legal text
is uncertain the set's `notes` say so rather than invent.
"""

from __future__ import annotations

import datetime

D = datetime.date

# (code, dimension, name_vi, name_en, threshold_vi, threshold_en)
INDICATORS_59_2015 = [
    (
        "HEALTH_ACCESS",
        "health",
        "Tiếp cận dịch vụ y tế",
        "Access to medical services",
        "Có người bị ốm đau nhưng không đi khám chữa bệnh",
        "A member was ill and did not seek treatment",
    ),
    (
        "HEALTH_INSURANCE",
        "health",
        "Bảo hiểm y tế",
        "Health insurance",
        "Có thành viên từ 6 tuổi trở lên không có bảo hiểm y tế",
        "A member aged 6 or over has no health insurance",
    ),
    (
        "ADULT_EDUCATION",
        "education",
        "Trình độ giáo dục của người lớn",
        "Adults' education",
        "Có thành viên từ 15 tuổi trở lên, sinh từ năm 1986 trở lại đây, chưa tốt nghiệp THCS và không đi học",
        "A member aged 15+ born 1986 or later lacks lower-secondary education and is not in school",
    ),
    (
        "CHILD_SCHOOLING",
        "education",
        "Tình trạng đi học của trẻ em",
        "Children's school attendance",
        "Có trẻ em từ 5 đến dưới 15 tuổi không đi học",
        "A child aged 5 to under 15 is not in school",
    ),
    (
        "HOUSING_QUALITY",
        "housing",
        "Chất lượng nhà ở",
        "Housing quality",
        "Sống trong nhà thiếu kiên cố hoặc nhà đơn sơ",
        "Lives in a non-durable or makeshift house",
    ),
    (
        "HOUSING_AREA",
        "housing",
        "Diện tích nhà ở bình quân đầu người",
        "Floor area per person",
        "Diện tích nhà ở bình quân đầu người dưới 8 m²",
        "Under 8 m² of floor area per person",
    ),
    (
        "WATER",
        "water_sanitation",
        "Nguồn nước sinh hoạt",
        "Drinking water",
        "Không được tiếp cận nguồn nước hợp vệ sinh",
        "No access to a hygienic water source",
    ),
    (
        "LATRINE",
        "water_sanitation",
        "Hố xí/nhà tiêu hợp vệ sinh",
        "Hygienic latrine",
        "Không sử dụng hố xí/nhà tiêu hợp vệ sinh",
        "Does not use a hygienic latrine",
    ),
    (
        "TELECOM",
        "information",
        "Sử dụng dịch vụ viễn thông",
        "Telecom services",
        "Không có thành viên nào sử dụng thuê bao điện thoại hoặc internet",
        "No member uses a phone subscription or the internet",
    ),
    (
        "INFO_ASSETS",
        "information",
        "Tài sản phục vụ tiếp cận thông tin",
        "Information assets",
        "Không có tài sản nào trong số ti vi, radio, máy tính và không nghe được hệ thống loa truyền thanh xã/thôn",
        "No TV, radio or computer, and cannot hear the commune or village loudspeaker",
    ),
]

INDICATORS_07_2021 = [
    (
        "EMPLOYMENT",
        "employment",
        "Việc làm",
        "Employment",
        "Có ít nhất một người trong độ tuổi lao động thất nghiệp hoặc làm công ăn lương không có hợp đồng lao động",
        "A working-age member is unemployed, or works for wages without a labour contract",
    ),
    (
        "DEPENDANTS",
        "employment",
        "Người phụ thuộc trong hộ gia đình",
        "Dependants",
        "Tỷ lệ người phụ thuộc trong tổng số nhân khẩu lớn hơn 50%",
        "Dependants make up more than 50% of members",
    ),
    (
        "NUTRITION",
        "health",
        "Dinh dưỡng",
        "Nutrition",
        "Có ít nhất một trẻ em dưới 16 tuổi bị suy dinh dưỡng thấp còi hoặc nhẹ cân",
        "A child under 16 is stunted or underweight",
    ),
    (
        "HEALTH_INSURANCE",
        "health",
        "Bảo hiểm y tế",
        "Health insurance",
        "Có ít nhất một người từ đủ 6 tuổi trở lên không có bảo hiểm y tế",
        "A member aged 6 or over has no health insurance",
    ),
    (
        "ADULT_EDUCATION",
        "education",
        "Trình độ giáo dục của người lớn",
        "Adults' education",
        "Có ít nhất một người từ 16 đến 30 tuổi không tham gia các khóa đào tạo hoặc không có bằng cấp, chứng chỉ giáo dục đào tạo",
        "A member aged 16–30 lacks the schooling or training expected for their age",
    ),
    (
        "CHILD_SCHOOLING",
        "education",
        "Tình trạng đi học của trẻ em",
        "Children's schooling",
        "Có ít nhất một trẻ em từ 3 tuổi đến dưới 16 tuổi không được học đúng bậc, cấp học phù hợp với độ tuổi",
        "A child aged 3 to under 16 is not at the school level for their age",
    ),
    (
        "HOUSING_QUALITY",
        "housing",
        "Chất lượng nhà ở",
        "Housing quality",
        "Hộ gia đình đang sống trong ngôi nhà thiếu kiên cố hoặc đơn sơ (ít nhất hai trong ba kết cấu tường, cột, mái làm bằng vật liệu không bền chắc)",
        "At least two of walls, columns, roof are of non-durable material",
    ),
    (
        "HOUSING_AREA",
        "housing",
        "Diện tích nhà ở bình quân đầu người",
        "Floor area per person",
        "Diện tích nhà ở bình quân đầu người nhỏ hơn 8 m²",
        "Under 8 m² of floor area per person",
    ),
    (
        "WATER",
        "water_sanitation",
        "Nguồn nước sinh hoạt",
        "Domestic water",
        "Hộ gia đình không được tiếp cận nguồn nước sạch (nước máy, giếng khoan/giếng đào được bảo vệ, nước mưa, nước đóng chai…)",
        "No clean water source (tap, protected well, rain, bottled)",
    ),
    (
        "LATRINE",
        "water_sanitation",
        "Nhà tiêu hợp vệ sinh",
        "Hygienic latrine",
        "Hộ gia đình không sử dụng nhà tiêu hợp vệ sinh",
        "Does not use a hygienic latrine",
    ),
    (
        "TELECOM",
        "information",
        "Sử dụng dịch vụ viễn thông",
        "Telecom services",
        "Không có thành viên nào sử dụng dịch vụ internet",
        "No member uses internet services",
    ),
    (
        "INFO_MEANS",
        "information",
        "Phương tiện phục vụ tiếp cận thông tin",
        "Means of information",
        "Hộ gia đình không có phương tiện nào trong số ti vi, radio, máy tính, điện thoại thông minh",
        "No device to access information (TV, radio, computer, smartphone)",
    ),
]

_WASTE = (
    "WASTE",
    "water_sanitation",
    "Thu gom, xử lý rác thải sinh hoạt",
    "Household waste handling",
    "Hộ gia đình không được thu gom hoặc không xử lý rác thải sinh hoạt hợp vệ sinh (ngưỡng chưa xác minh)",
    "Household waste is not collected or handled hygienically (threshold unverified)",
)
_DIGITAL = (
    "TELECOM",
    "information",
    "Sử dụng dịch vụ viễn thông, dịch vụ số",
    "Telecom and digital services",
    "Không có thành viên nào sử dụng dịch vụ internet hoặc dịch vụ số (ngưỡng chưa xác minh)",
    "No member uses internet or digital services (threshold unverified)",
)
INDICATORS_351_2025 = [i for i in INDICATORS_07_2021 if i[0] not in {"INFO_MEANS", "TELECOM"}] + [_DIGITAL, _WASTE]


def _national_rules(poor_line: int, average_upto: int | None):
    """Decree 07 / Decree 351 shape: under the line, ≥ 3 deprivations is poor, fewer is near-poor."""
    rules = [
        {"category": "poor", "income_upto": poor_line, "min_deprived": 3},
        {"category": "near_poor", "income_upto": poor_line, "max_deprived": 2},
    ]
    if average_upto is not None:
        rules.append({"category": "average", "income_above": poor_line, "income_upto": average_upto})
    return rules


def _rules_59(poor_line: int, near_line: int, average_upto: int):
    return [
        {"category": "poor", "income_upto": poor_line},
        {"category": "poor", "income_above": poor_line, "income_upto": near_line, "min_deprived": 3},
        {"category": "near_poor", "income_above": poor_line, "income_upto": near_line, "max_deprived": 2},
        {"category": "average", "income_above": near_line, "income_upto": average_upto},
    ]


# Circular 07/2021/TT-BLĐTBXH's scoring as LAW.md states it (marks as there).
SCORE_NOTE_07 = (
    "Score scale (Circular 07/2021/TT-BLĐTBXH, confirmed): score A line 140 points rural / 175 urban; score B = 10 points "
    "per deprived indicator; poor when A ≤ line and B ≥ 30, near-poor when A ≤ line and B < 30. The per-item points of "
    "score A (annexes III–IV) are not verified: score A is taken as entered. Above the line a score gives no "
    "average-living-standard band (unverified in points): such a household is recorded as not poor; enter its income "
    "instead where the average band matters. Circular 02/2022 amendments not read."
)

# Decree 30/2025/NĐ-CP (amending Decree 07) as LAW.md states it (marks as there).
LOW_INCOME_NOTE_30 = (
    "Low-income workers (Decree 30/2025/NĐ-CP, secondary: VnEconomy 25 Feb 2025): workers of a household that is neither "
    "poor nor near-poor, with income per person ≤ 2,250,000 rural / ≤ 3,000,000 urban a month, are counted apart. "
    "Povreg counts the household's members able to work as its workers (the decree's definition of a worker is not "
    "verified) and only for a household whose income was entered (a score A says nothing of it). Whether it continues "
    "after 2026: unverified."
)

CRITERIA_SETS = [
    {
        "code": "VN-2016",
        "name_vi": "Chuẩn nghèo tiếp cận đa chiều giai đoạn 2016–2020",
        "name_en": "Multidimensional poverty standard 2016–2020",
        "legal_basis": "Quyết định 59/2015/QĐ-TTg",
        "valid_from": D(2016, 1, 1),
        "valid_to": D(2021, 12, 31),
        "notes": (
            "Poor rule confirmed (Art. 2). Near-poor wording unverified (structure certain). "
            "Medium-living-standard band unverified. Indicator names secondary, thresholds unverified. "
            "Extended to 2021."
        ),
        "indicators": INDICATORS_59_2015,
        "rules": {"rural": _rules_59(700_000, 1_000_000, 1_500_000), "urban": _rules_59(900_000, 1_300_000, 1_950_000)},
    },
    {
        "code": "VN-2022",
        "name_vi": "Chuẩn nghèo đa chiều giai đoạn 2022–2025",
        "name_en": "Multidimensional poverty standard 2022–2025",
        "legal_basis": "Nghị định 07/2021/NĐ-CP",
        "valid_from": D(2022, 1, 1),
        "valid_to": D(2026, 12, 31),
        "notes": (
            "Lines and poor/near-poor rules confirmed (Art. 3(2)); no income-only route to poor. "
            "Average-living-standard band secondary. Indicator names secondary; thresholds partly unverified. "
            "Applies through 31 Dec 2026 (Decree 351/2025). Effect of Decree 30/2025 amendments not checked. "
            + SCORE_NOTE_07
            + " "
            + LOW_INCOME_NOTE_30
        ),
        "score": {"score_line_rural": 140, "score_line_urban": 175, "score_points_per_indicator": 10, "score_poor_min_b": 30},
        "fields": {"low_income_line_rural": 2_250_000, "low_income_line_urban": 3_000_000},
        "indicators": INDICATORS_07_2021,
        "rules": {"rural": _national_rules(1_500_000, 2_250_000), "urban": _national_rules(2_000_000, 3_000_000)},
    },
    {
        "code": "VN-2027",
        "name_vi": "Chuẩn nghèo đa chiều giai đoạn 2027–2030",
        "name_en": "Multidimensional poverty standard 2027–2030",
        "legal_basis": "Nghị định 351/2025/NĐ-CP",
        "valid_from": D(2027, 1, 1),
        "valid_to": D(2030, 12, 31),
        "notes": (
            "Lines and rules confirmed (2,200,000 rural / 2,800,000 urban; ≥ 3 deprivations). "
            "Indicator list secondary (means of information removed; digital services and household waste added); "
            "exact thresholds unverified. No average band shipped: unverified. "
            "The September 2025 draft's two-tier income rule is not implemented (not in the final decree)."
        ),
        "indicators": INDICATORS_351_2025,
        "rules": {"rural": _national_rules(2_200_000, None), "urban": _national_rules(2_800_000, None)},
    },
    {
        "code": "BD-2016",
        "name_vi": "Chuẩn nghèo tỉnh Bình Dương giai đoạn 2016–2020",
        "name_en": "Binh Duong provincial poverty standard 2016–2020",
        "legal_basis": "Nghị quyết 47/2015/NQ-HĐND8 (gia hạn năm 2021)",
        "valid_from": D(2016, 1, 1),
        "valid_to": D(2021, 12, 31),
        "notes": (
            "Lines confirmed: poor 'dưới 1.200.000' rural / 'dưới 1.400.000' urban; near-poor 'dưới 1.600.000' / "
            "'dưới 1.800.000' (strict bounds). Its deprivation part is not published in the summaries: "
            "shipped income-only; the national 2016 indicators are recorded for reporting but do not change the "
            "category. The 2018 revision mentioned by the department is not found."
        ),
        "indicators": INDICATORS_59_2015,
        "rules": {
            "rural": [
                {"category": "poor", "income_upto": 1_200_000, "upto_inclusive": False},
                {"category": "near_poor", "income_upto": 1_600_000, "upto_inclusive": False},
            ],
            "urban": [
                {"category": "poor", "income_upto": 1_400_000, "upto_inclusive": False},
                {"category": "near_poor", "income_upto": 1_800_000, "upto_inclusive": False},
            ],
        },
    },
]


# Ho Chi Minh City's own standard of its 2025 review, as LAW.md states it (secondary: VietnamPlus, Jan 2026).
HCM_2025 = {
    "code": "HCM-2025",
    "name_vi": "Chuẩn nghèo riêng của Thành phố Hồ Chí Minh năm 2025",
    "name_en": "Ho Chi Minh City's own poverty standard, 2025",
    "legal_basis": "Chuẩn nghèo của TP. Hồ Chí Minh (văn bản ban hành chưa xác minh; kết quả: Quyết định 505/QĐ-UBND)",
    "valid_from": D(2025, 1, 1),
    "valid_to": D(2025, 12, 31),
    "notes": (
        "Lines secondary (VietnamPlus, Jan 2026): poor ≤ 46,000,000 đồng per person per year, near-poor > 46,000,000 to "
        "≤ 54,000,000, in the city's 2025 review; stored per year as published (46,000,000 / 12 is not a whole number "
        "of đồng), compared with 12 × the monthly income entered. Same lines for urban and rural areas: LAW.md gives "
        "one pair (unverified whether the city distinguishes). Its deprivation part is not published in the summaries: "
        "shipped income-only; Decree 07's indicators are recorded but do not change the category (unverified). The "
        "act that set the lines, and the city's lines for 2026: unverified; staff extend the validity in the admin "
        "when the city publishes them. Used as an additional standard of a round beside the national one "
        "(Decision 505/QĐ-UBND published both from one review). The older monthly line of 3,000,000 (Resolution "
        "15/NQ-HĐND, 2024) is superseded and not shipped."
    ),
    "fields": {"income_period": "year"},
    "indicators": INDICATORS_07_2021,
    "rules": {
        area: [
            {"category": "poor", "income_upto": 46_000_000},
            {"category": "near_poor", "income_above": 46_000_000, "income_upto": 54_000_000},
        ]
        for area in ("rural", "urban")
    },
}
CRITERIA_SETS.append(HCM_2025)


def install(CriteriaSet, Indicator, Rule, codes=None) -> None:
    """Create the shipped sets (those of `codes`, or all) that are missing; never overwrites what staff edited."""
    for data in CRITERIA_SETS:
        if codes is not None and data["code"] not in codes:
            continue
        fields = {k: data[k] for k in ("name_vi", "name_en", "legal_basis", "valid_from", "valid_to", "notes")}
        # (Migrations call this with the model as it stood then: only the columns it had.)
        known = {f.name for f in CriteriaSet._meta.get_fields()}
        fields.update({k: v for k, v in {**data.get("score", {}), **data.get("fields", {})}.items() if k in known})
        cs, created = CriteriaSet.objects.get_or_create(code=data["code"], defaults=fields)
        if not created:
            continue
        Indicator.objects.bulk_create(
            Indicator(criteria_set=cs, code=c, dimension=d, name_vi=nv, name_en=ne, threshold_vi=tv, threshold_en=te, position=i)
            for i, (c, d, nv, ne, tv, te) in enumerate(data["indicators"], start=1)
        )
        Rule.objects.bulk_create(
            Rule(criteria_set=cs, area_type=area, position=i, **rule)
            for area, rules in data["rules"].items()
            for i, rule in enumerate(rules, start=1)
        )
