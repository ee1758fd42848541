"""The OpenAPI examples of the surveys API, in one place (the views' schema decorators refer to them)."""

ASSESSMENT_READ_EXAMPLE = {
    "round": "BD-2024",
    "household": "25747-0001",
    "head_name": "Nguyễn Văn Hùng",
    "criteria_set": "VN-2022",
    "commune": "25747",
    "hamlet": "Khu phố 1",
    "area_type": "urban",
    "income_per_capita": 1800000,
    "deprived": ["HEALTH_INSURANCE", "WATER", "LATRINE"],
    "member_count": 4,
    "able_to_work_count": 2,
    "social_protection_count": 0,
    "category": "poor",
    "group": "poverty_reduction",
    "deprived_count": 3,
    "explanation": "Thu nhập 1.800.000 ≤ chuẩn 2.000.000 (thành thị) và thiếu hụt 3 chỉ số ≥ 3: hộ nghèo.",
    "explanation_vi": "Thu nhập 1.800.000 ≤ chuẩn 2.000.000 (thành thị) và thiếu hụt 3 chỉ số ≥ 3: hộ nghèo.",
    "explanation_en": "Income 1,800,000 ≤ line 2,000,000 (urban) and 3 deprivations ≥ 3: poor.",
    "version": 1,
    "created_at": "2024-09-20T09:00:00+07:00",
    "updated_at": "2024-09-20T09:00:00+07:00",
}
ASSESSMENT_EXAMPLE = {
    "round": "BD-2024",
    "household": "25747-000123",
    "income_per_capita": 1200000,
    "deprived": ["WATER", "LATRINE", "HEALTH_INSURANCE"],
}
