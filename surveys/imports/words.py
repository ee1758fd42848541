"""The words a workbook may use for a relation, an area type or a sex, as typed in Vietnamese offices."""

from __future__ import annotations

RELATION_WORDS = {
    "chủ hộ": "head",
    "vợ": "spouse",
    "chồng": "spouse",
    "vợ/chồng": "spouse",
    "con": "child",
    "cha": "parent",
    "mẹ": "parent",
    "bố": "parent",
    "cha/mẹ": "parent",
    "cháu": "grandchild",
    "ông": "grandparent",
    "bà": "grandparent",
    "ông/bà": "grandparent",
    "anh": "sibling",
    "chị": "sibling",
    "em": "sibling",
    "anh/chị/em": "sibling",
    "con dâu": "child_in_law",
    "con rể": "child_in_law",
    "khác": "other",
}


AREA_WORDS = {
    "urban": "urban",
    "rural": "rural",
    "thành thị": "urban",
    "nông thôn": "rural",
    "thanh thi": "urban",
    "nong thon": "rural",
}


SEX_WORDS = {"m": "M", "f": "F", "nam": "M", "nữ": "F", "nu": "F"}
