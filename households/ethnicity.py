"""Ethnic groups: reading a name or a code, and the one definition of an ethnic-minority household.

Every entry path (the household form, the API, the survey import) reads a member's ethnicity with `resolve`;
the approval's frozen entries (`surveys.approval.entry_facts`) and the live breakdown SQL (`surveys.reports`) ask
`head_ethnic_minority` / `minority_sql`. Nothing else decides who counts as an ethnic minority.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from households.ethnicity_data import ETHNIC_GROUPS
from households.search import fold

KINH_CODE = "01"

# LAW.md "Report columns": the definition of an ethnic-minority household is unverified; common practice (and a
# third-party national implementation) uses the head of household's ethnicity. Shown in the reports' notes.
MINORITY_DEFINITION = _(
    "Ethnic minority household (DTTS): the head of household belongs to an ethnic group other than Kinh (GSO code "
    "other than 01). A head whose ethnicity could not be read as one of the 54 groups is not counted (see the "
    "data-quality page). Common practice, not verified in a legal text."
)

_PREFIXES = ("nguoi ", "dan toc ", "dt ")
_BRACKETS = re.compile(r"\([^)]*\)")
_NOT_LETTERS = re.compile(r"[^a-z0-9]+")


def ethnic_key(text: str | None) -> str:
    """The matching key of a name: folded (no tone marks, đ → d, lower case), without a bracketed part or a leading
    "người"/"dân tộc", letters and digits only: "Người Kinh", "KINH" and "kinh" share the key "kinh"."""
    folded = _BRACKETS.sub(" ", fold(text))
    folded = " ".join(_NOT_LETTERS.sub(" ", folded).split())
    stripped = True
    while stripped:
        stripped = False
        for prefix in _PREFIXES:
            if folded.startswith(prefix):
                folded, stripped = folded[len(prefix) :], True
    return folded.replace(" ", "")


@cache
def _codes_by_key() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name_vi, name_en, aliases in ETHNIC_GROUPS:
        for name in (name_vi, name_en, *aliases):
            key = ethnic_key(name)
            if table.setdefault(key, code) != code:
                raise ValueError(f"The ethnic name {name!r} is ambiguous ({table[key]} and {code}).")
    return table


def match_code(text: str | None) -> str | None:
    """The GSO code a name or code stands for ("05", "5", "Khmer", "Khơ-me", "người Khơ me"), or None."""
    raw = " ".join(str(text or "").split())
    if not raw:
        return None
    if raw.isdigit():
        code = raw.zfill(2)
        return code if code in CODES else None
    return _codes_by_key().get(ethnic_key(raw))


CODES = frozenset(code for code, *_rest in ETHNIC_GROUPS)
NAMES_VI = {code: name_vi for code, name_vi, _en, _aliases in ETHNIC_GROUPS}


def is_ethnic_minority(code: str | None) -> bool:
    """The one rule: a known group other than Kinh. An unknown group (None) is not counted."""
    return code is not None and code != KINH_CODE


def member_code(member: Mapping) -> str | None:
    """The group code of a member's facts (an assessment's `members_snapshot` item): its "ethnic_group" when it has
    one, else its free text read by `match_code` (snapshots made before groups were coded keep their text)."""
    return member.get("ethnic_group") or match_code(member.get("ethnicity"))


def head_ethnic_minority(members: Iterable[Mapping]) -> bool:
    """An ethnic-minority household: its head's group is not Kinh (MINORITY_DEFINITION)."""
    return any(is_ethnic_minority(member_code(m)) for m in members if m.get("relation") == "head")


def _compact_sql(expression: str) -> str:
    # Lower case, without "người "/"dân tộc " and without spaces, hyphens and apostrophes, as `_spellings` are.
    out = f"lower(trim({expression}))"
    for remove in ("người ", "nguoi ", "dân tộc ", "dan toc ", "-", "'", "’", " "):
        out = "replace({}, '{}', '')".format(out, remove.replace("'", "''"))
    return out


@cache
def _minority_spellings() -> tuple[str, ...]:
    """Every name of a group other than Kinh, compacted as `_compact_sql` compacts (with and without tone marks)."""
    spellings = set()
    for code, name_vi, name_en, aliases in ETHNIC_GROUPS:
        if not is_ethnic_minority(code):
            continue
        for name in (name_vi, name_en, *aliases):
            for form in (name.lower(), fold(name)):
                spellings.add(re.sub(r"[\s\-'’]+", "", _BRACKETS.sub("", form)))
    assert all("%" not in s and "'" not in s for s in spellings)
    return tuple(sorted(spellings))


def minority_sql(code: str, text: str) -> str:
    """SQL true when a snapshot member (its `code` and `text` accessors) is of an ethnic minority: the coded group
    when there is one, else the legacy free text compared with the groups' names (lower case as the database folds
    it: upper-case letters with tone marks are folded by PostgreSQL, not by SQLite)."""
    names = ", ".join(f"'{s}'" for s in _minority_spellings())
    return f"(({code} IS NOT NULL AND {code} <> '{KINH_CODE}') OR ({code} IS NULL AND {_compact_sql(text)} IN ({names})))"


def resolve(text: str | None, *, default_kinh: bool = False):
    """The EthnicGroup a name or code stands for; a ValidationError (code "unknown") naming what is accepted
    otherwise. Empty is Kinh only with `default_kinh` (the import's documented default)."""
    from households.models import EthnicGroup

    raw = " ".join(str(text or "").split())
    if not raw and default_kinh:
        raw = KINH_CODE
    code = match_code(raw)
    group = EthnicGroup.objects.filter(code=code).first() if code else None
    if group is None:
        if not raw:
            raise ValidationError(gettext("Choose the member's ethnic group."), code="required")
        raise ValidationError(
            gettext(
                "Unknown ethnic group “%(value)s”: give one of the 54 groups by its Vietnamese name or its GSO code "
                "(01 Kinh … 54 Rơ Măm)."
            )
            % {"value": raw[:40]},
            code="unknown",
        )
    return group


def install_groups() -> int:
    """Load the 54 groups where they are missing (what the migration does; tests put them back after a flush)."""
    from households.ethnicity_data import install
    from households.models import EthnicGroup

    return install(EthnicGroup, ethnic_key)


def groups_by_code() -> dict:
    """Every EthnicGroup by its code (one query)."""
    from households.models import EthnicGroup

    return {g.code: g for g in EthnicGroup.objects.all()}
