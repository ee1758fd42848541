"""Writes of the duplicate review: a province's scan (fills the queue) and a reviewer's decision. Atomic,
permission-checked, audited."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.audit_actions import AuditAction
from core.policy import Action, can
from dedupe import blocking, matching
from dedupe.models import CandidateStatus, DuplicateCandidate, DuplicateScan
from dedupe.selectors import neighbour_map, province_communes
from households.models import AdminUnit, Household, HouseholdStatus, Level, Member, Relation
from households.services import household_set_status

Progress = Callable[[str, int], None]
CHUNK = 20_000


def _matches_json(pair: matching.PairScore, household_a: int) -> list[dict]:
    out = []
    for m in pair.matches:
        a, b = (m.a, m.b) if m.a.household_id == household_a else (m.b, m.a)
        out.append(
            {
                "a": a.member_id,
                "b": b.member_id,
                "a_name": a.name,
                "b_name": b.name,
                "birth_year": a.birth_year,
                "score": m.score,
                "reasons": list(m.reasons),
            }
        )
    return out


def find_duplicates(
    *, province: AdminUnit, progress: Progress | None = None
) -> tuple[dict[tuple[int, int], matching.PairScore], dict]:
    """The household pairs of `province` (its active households) that score QUEUE_MIN or more, and the scan's
    figures. Reads members ordered by birth year and pairs one year at a time: memory holds one year's people."""
    near = neighbour_map(province)
    communes = province_communes(province)
    members = Member.objects.filter(household__commune__in=communes, household__status=HouseholdStatus.ACTIVE)
    total = members.count()
    rows = (
        members.order_by("birth_year")
        .values_list("id", "household_id", "household__commune_id", "full_name", "birth_year", "sex", "citizen_id", "relation")
        .iterator(chunk_size=CHUNK)
    )
    stats = blocking.BlockStats()
    by_pair: dict[tuple[int, int], list[matching.MemberMatch]] = defaultdict(list)
    name_counts: Counter[str] = Counter()
    year_counts: Counter[int] = Counter()
    commune_counts: Counter[int] = Counter()
    household_sizes: Counter[int] = Counter()
    year, batch, read = None, [], 0

    def pair_year() -> None:
        for match in blocking.year_pairs(batch, near, stats):
            key = tuple(sorted((match.a.household_id, match.b.household_id)))
            by_pair[key].append(match)

    for member_id, household_id, commune_id, name, birth_year, sex, citizen_id, relation in rows:
        if birth_year != year:
            pair_year()
            if progress and total:
                progress("reading", min(90, 90 * read // total))
            year, batch = birth_year, []
        person = matching.Person(
            member_id, household_id, commune_id, name, birth_year, sex, citizen_id or "", relation == Relation.HEAD
        )
        batch.append(person)
        name_counts[person.key.folded] += 1
        year_counts[birth_year] += 1
        commune_counts[commune_id] += 1
        household_sizes[household_id] += 1
        read += 1
    pair_year()
    around = {c: sum(commune_counts[d] for d in near.get(c, (c,))) for c in commune_counts}
    found: dict[tuple[int, int], matching.PairScore] = {}
    for key, matches in by_pair.items():
        best = max(matches, key=lambda m: m.score)
        # Others of the name than these two (a rare name, found only here, expects nobody by chance).
        others = name_counts[best.a.key.folded] - (2 if best.b.key.folded == best.a.key.folded else 1)
        expected = blocking.expected_homonyms(
            others=others,
            year_share=year_counts[best.a.birth_year] / read,
            neighbourhood_share=around.get(best.a.commune_id, 0) / read,
        )
        pair = matching.household_score(
            matches, expected_homonyms=expected, sizes=(household_sizes[key[0]], household_sizes[key[1]])
        )
        if pair.score >= matching.QUEUE_MIN:
            found[key] = pair
    figures = {
        "members": read,
        "pairs_compared": stats.compared,
        "blocks": stats.blocks,
        "member_pairs": sum(map(len, by_pair.values())),
    }
    return found, figures


def _require_scan(actor, province: AdminUnit) -> None:
    if actor is not None and not can(actor, Action.REVIEW_DUPLICATES, province):
        raise PermissionDenied(_("You cannot scan %(unit)s for duplicates.") % {"unit": province.name})


def duplicates_scan(*, province: AdminUnit, actor=None, progress: Progress | None = None) -> DuplicateScan:
    """Scan a province's active households for possible duplicates and bring the review queue up to date: new
    pairs are added, open ones rescored, open ones no longer found removed; decided pairs are left as decided
    (never proposed again). `actor` None: the management command."""
    if province.level != Level.PROVINCE:
        raise ValidationError({"province": _("Choose a province.")})
    _require_scan(actor, province)
    started, started_at = time.perf_counter(), timezone.now()
    found, figures = find_duplicates(province=province, progress=progress)
    if progress:
        progress("writing", 92)
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (row.household_a_id, row.household_b_id): row
            for row in DuplicateCandidate.objects.select_for_update().filter(household_a__commune__in=province_communes(province))
        }
        new_rows, updated = [], []
        for (a, b), pair in found.items():
            row = existing.get((a, b))
            values = {
                "score": pair.score,
                "reasons": list(pair.reasons),
                "matches": _matches_json(pair, a),
                "expected_homonyms": round(pair.expected_homonyms, 4),
            }
            if row is None:
                new_rows.append(DuplicateCandidate(household_a_id=a, household_b_id=b, seen_at=now, **values))
            elif row.status == CandidateStatus.OPEN:
                for name, value in values.items():
                    setattr(row, name, value)
                row.seen_at = now
                updated.append(row)
        DuplicateCandidate.objects.bulk_create(new_rows, batch_size=2000, ignore_conflicts=True)
        DuplicateCandidate.objects.bulk_update(
            updated, ["score", "reasons", "matches", "expected_homonyms", "seen_at"], batch_size=2000
        )
        stale = [row.pk for key, row in existing.items() if key not in found and row.status == CandidateStatus.OPEN]
        DuplicateCandidate.objects.filter(pk__in=stale, status=CandidateStatus.OPEN).delete()
        scan = DuplicateScan.objects.create(
            province=province,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            started_at=started_at,
            finished_at=timezone.now(),
            members=figures["members"],
            pairs_compared=figures["pairs_compared"],
            candidates=len(found),
            new=len(new_rows),
            removed=len(stale),
            seconds=round(time.perf_counter() - started, 3),
        )
        audit(
            actor=actor,
            action=AuditAction.DUPLICATES_SCANNED,
            target=province,
            changes={
                "members": [None, scan.members],
                "pairs_compared": [None, scan.pairs_compared],
                "candidates": [None, scan.candidates],
                "new": [None, scan.new],
                "removed": [None, scan.removed],
            },
        )
    return scan


def can_review(user, candidate: DuplicateCandidate) -> bool:
    """Both households' communes are the user's to review (the access policy's review_duplicates)."""
    return can(user, Action.REVIEW_DUPLICATES, candidate.household_a.commune) and can(
        user, Action.REVIEW_DUPLICATES, candidate.household_b.commune
    )


def can_merge(user, candidate: DuplicateCandidate, merged: Household) -> bool:
    """Merging changes the household merged away: the access policy's edit right over its commune."""
    return can(user, Action.EDIT, merged.commune)


@transaction.atomic
def duplicate_decide(
    *, actor, candidate: DuplicateCandidate, decision: str, keep: Household | None = None, note: str = ""
) -> DuplicateCandidate:
    """Decide a possible duplicate: "different" (never proposed again) or "same" (the other household is marked
    merged into `keep` through households.services.household_set_status). A reviewer who may not change the
    households records "same" and the merge waits for one who may: deciding "same" again completes it."""
    locked = (
        DuplicateCandidate.objects.select_for_update()
        .select_related("household_a__commune", "household_b__commune")
        .get(pk=candidate.pk)
    )
    if not can_review(actor, locked):
        raise PermissionDenied(_("You cannot review duplicates of these communes."))
    note = (note or "").strip()
    before = {"status": locked.status, "kept": locked.kept_id, "merged": locked.merged}
    if decision == CandidateStatus.DIFFERENT:
        if locked.status != CandidateStatus.OPEN:
            raise ValidationError({"decision": _("This pair has already been decided.")})
        locked.status = CandidateStatus.DIFFERENT
    elif decision == CandidateStatus.SAME:
        if locked.status == CandidateStatus.DIFFERENT or locked.merged:
            raise ValidationError({"decision": _("This pair has already been decided.")})
        keep = keep or locked.kept
        pair = {locked.household_a_id: locked.household_a, locked.household_b_id: locked.household_b}
        if keep is None or keep.pk not in pair:
            raise ValidationError({"keep": _("Choose the household to keep (the other is merged into it).")})
        kept = pair[keep.pk]
        merged = locked.household_b if kept.pk == locked.household_a_id else locked.household_a
        for household in (kept, merged):
            if Household.objects.filter(pk=household.pk).values_list("status", flat=True).get() != HouseholdStatus.ACTIVE:
                raise ValidationError(
                    {"keep": _("Household %(code)s is no longer active; nothing to merge.") % {"code": household.code}}
                )
        locked.status, locked.kept = CandidateStatus.SAME, kept
        if can_merge(actor, locked, merged):
            reason = _("Registered twice: the same household as %(code)s (duplicate review %(id)s).") % {
                "code": kept.code,
                "id": locked.pk,
            }
            household_set_status(
                actor=actor, household=merged, status=HouseholdStatus.MERGED, merged_into=kept, reason=f"{reason} {note}".strip()
            )
            locked.merged = True
        elif before["status"] == CandidateStatus.SAME:
            raise PermissionDenied(_("Only someone who may change household %(code)s can merge it.") % {"code": merged.code})
    else:
        raise ValidationError({"decision": _("Choose “same household” or “different people”.")})
    if before["status"] == CandidateStatus.OPEN:
        locked.decided_by, locked.decided_at = actor, timezone.now()
    if note:
        locked.note = f"{locked.note}\n{note}".strip() if locked.note else note
    locked.save()
    after = {"status": locked.status, "kept": locked.kept_id, "merged": locked.merged}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit(
        actor=actor,
        action=AuditAction.DUPLICATE_MERGED if before["status"] == CandidateStatus.SAME else "duplicate.decided",
        target=locked,
        changes=changes,
        reason=note,
    )
    return locked
