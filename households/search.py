"""Folding Vietnamese text for search and comparison: "Đặng Minh Long" and "dang minh long" are the same words.

Plain functions, no ORM: the household service, the importer and the duplicate check fold alike, and the
register's search (`HouseholdFilterSet.filter_q`) matches the folded query against `Household.search_key`,
so it ignores tone marks and case on SQLite and PostgreSQL without a database extension.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Neither đ nor Đ decomposes under NFD: they are letters of their own, folded to d by hand.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Lower case, without diacritics (tone marks, circumflex, breve, horn; đ → d), spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())


def household_search_key(*, code: str, head_name: str, members: Iterable[tuple[str, str]] = ()) -> str:
    """The folded text a household is found by: its code, its head's name, its members' names and citizen IDs.
    `members` holds (full name, citizen ID) pairs."""
    parts = [code, head_name]
    for full_name, citizen_id in members:
        parts += [full_name, citizen_id]
    return " | ".join(folded for folded in dict.fromkeys(fold(p) for p in parts) if folded)


def search_terms(query: str) -> list[str]:
    """The words of a search box, folded: each must occur in the search key."""
    return fold(query).split()
