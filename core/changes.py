"""The change feed: what changed in the registry, in commit order, read from the audit trail.

Every write in Povreg goes through a service that records an `AuditEvent` inside its own transaction
(core/audit.py), so the trail is the one source of truth: the feed reads it and adds no triggers. Each event
records, when it is written, the unit it belongs to (`unit`: the commune of a household, assessment, application,
appeal or commune list; the province of a round) and the id of the transaction that wrote it (`xact`).

Commit order
------------
Row ids are handed out when a row is inserted, not when its transaction commits: a transaction that took id 7
may commit after one that took id 8. A reader paging "after id 8" would then never see 7. The feed pages in
commit order instead:

- On PostgreSQL, `xact` is the writing transaction's id (`pg_current_xact_id()`, the column's default). A reader
  returns only events whose transaction is older than the oldest transaction still running when its statement's
  snapshot was taken (`pg_snapshot_xmin(pg_current_snapshot())`, less other databases' transactions, see
  `CommittedBound`): every transaction below that bound has ended, so all of its events are visible now and none
  can appear later; every transaction still running, or starting later, has an id at or above it, so its events
  sort after everything returned. Results are ordered by (xact, id); the cursor is the last (xact, id) returned
  and the next page starts strictly after it. Nothing is skipped and nothing repeats, whatever commits meanwhile.
- SQLite lets one transaction write at a time (it holds the write lock from its first write, or its BEGIN
  IMMEDIATE, povreg/settings.py, to its commit), so ids are handed out in commit order; `xact` is 0 there and the
  id alone orders.

The price: a long write transaction in Povreg's database (a large import) holds the bound back, and with it the
events of transactions that started after it: the feed is late, never wrong. A reader must not read the feed
inside a transaction that has itself written audit events (the bound stops below its own; requests that read the
feed write none).

Scope (core.policy): household-level changes (households and their members, assessments, monthly-review
applications and appeals, and the decisions on them) only in the communes where the caller may read personal
data (`Action.VIEW`); list-level changes (commune lists' status and procedure steps, the chairman's recognition,
the province's decision on a round, a round's reclassification) in the communes and provinces where the caller
may read aggregates. The audit diff (`changes`, `reason`) only where the caller may read personal data.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models
from django.db.models import Q

from core.audit_actions import AuditAction
from core.models import AuditEvent
from core.policy import Action, can, communes_for

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
BIGINT_MAX = 2**63 - 1
# The cursor as the API documents it (OpenAPI pattern). Python's `$` also allows one final newline, as the schema's
# validators read it; the decoder takes the first 32 characters.
CURSOR_PATTERN = r"^[0-9a-f]{32}$"


class Kind(StrEnum):
    HOUSEHOLD = "household"
    MEMBER = "member"  # a household's members changed, nothing else of it
    ASSESSMENT = "assessment"
    APPLICATION = "application"  # monthly review (Form 04)
    APPEAL = "appeal"
    LIST = "list"  # a commune list's status and procedure steps
    DECISION = "decision"  # the chairman's recognition, the province's decision, a monthly or appeal decision
    ROUND = "round"  # a round recomputed as a whole (its assessments changed without events of their own)


# Where an audited object keeps the unit its changes belong to (`AuditEvent.unit`, written with the event).
UNIT_PATH = {
    "households.household": "commune_id",
    "surveys.assessment": "commune_id",
    "surveys.application": "commune_id",
    "surveys.appeal": "commune_id",
    "surveys.communelist": "commune_id",
    "surveys.hamletmeeting": "commune_list__commune_id",
    "surveys.publicposting": "commune_list__commune_id",
    "surveys.surveyround": "province_id",
}

# Household-level targets: personal data, read only where the caller may read it.
PERSONAL_TYPES = {
    "households.household": "household",
    "surveys.assessment": "assessment",
    "surveys.application": "application",
    "surveys.appeal": "appeal",
}
# List-level targets: no personal data in the item (the diff aside).
LIST_TYPES = {
    "surveys.communelist": "commune_list",
    "surveys.hamletmeeting": "hamlet_meeting",
    "surveys.publicposting": "public_posting",
}
# Round-level events (the unit is the round's province).
ROUND_ACTIONS = {AuditAction.ROUND_DECISION_RECORDED: Kind.DECISION, AuditAction.ROUND_RECLASSIFIED: Kind.ROUND}
DECISION_ACTIONS = {AuditAction.COMMUNE_LIST_RECOGNISED, AuditAction.APPLICATION_DECIDED, AuditAction.APPEAL_DECIDED}


# --- writing: the unit of each event -------------------------------------------------------------------------


def _walk(obj, path: str):
    """`obj`'s value at a `a__b` path, following foreign keys (None when a link is missing)."""
    value = obj
    for part in path.split("__"):
        try:
            value = getattr(value, part)
        except ObjectDoesNotExist:
            return None
        if value is None:
            return None
    return value


def units_of(targets: Sequence[models.Model]) -> list[int | None]:
    """The unit each audited object's change belongs to, read from the objects, or in one query per model for
    objects that do not carry it (the importer audits households built from their id and code only)."""
    units: list[int | None] = [None] * len(targets)
    missing: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for index, target in enumerate(targets):
        label = target._meta.label_lower
        path = UNIT_PATH.get(label)
        if path is None:
            units[index] = getattr(target, "commune_id", None)
            continue
        units[index] = _walk(target, path)
        if units[index] is None and target.pk is not None:
            missing[label][target.pk].append(index)
    for label, by_pk in missing.items():
        manager = apps.get_model(label)._default_manager
        pks = list(by_pk)
        for start in range(0, len(pks), 2000):
            for pk, unit in manager.filter(pk__in=pks[start : start + 2000]).values_list("pk", UNIT_PATH[label]):
                for index in by_pk[pk]:
                    units[index] = unit
    return units


# --- cursors ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in the feed: the (transaction, id) of the last change read. Opaque to callers."""

    xact: int
    id: int

    def encode(self) -> str:
        return f"{min(self.xact, BIGINT_MAX):016x}{min(self.id, BIGINT_MAX):016x}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        """Raises ValueError for anything but a cursor this module wrote (32 lower-case hex digits)."""
        if not isinstance(raw, str) or not re.match(CURSOR_PATTERN, raw):
            raise ValueError(raw)
        # A well-formed cursor past every change (e.g. made up) reads as "caught up", never as an error.
        return cls(min(int(raw[:16], 16), BIGINT_MAX), min(int(raw[16:32], 16), BIGINT_MAX))


START = Cursor(0, 0)


class CommittedBound(models.Func):
    """The lowest transaction id whose events a reader may not yet return (PostgreSQL): the oldest transaction of
    this database still running when the statement's snapshot was taken, else the snapshot's xmax; and never past
    the reader's own transaction, if it has one.

    It is the snapshot's xmin (`pg_snapshot_xmin`) less the transactions of other databases of the same server:
    those never write this database's audit trail, and a long one of theirs would otherwise hold this feed back.
    A running transaction is known to belong to another database when pg_stat_activity shows its backend there
    (a backend keeps its database for life); one not found there counts as this database's (the safe side)."""

    output_field = models.BigIntegerField()
    template = """(
        SELECT LEAST(
            COALESCE(MIN(running.xid::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint),
            COALESCE(pg_current_xact_id_if_assigned()::text::bigint, 9223372036854775807))
        FROM pg_snapshot_xip(pg_current_snapshot()) AS running(xid)
        WHERE NOT EXISTS (
            SELECT 1 FROM pg_stat_activity AS other
            WHERE other.backend_xid = xid(running.xid) AND other.datname IS NOT NULL
              AND other.datname <> current_database()))"""


def _committed(queryset):
    """Only events no running transaction can still add to (PostgreSQL; on SQLite every visible event is)."""
    if connection.vendor == "postgresql":
        return queryset.filter(xact__lt=CommittedBound())
    return queryset


class _After(models.Func):
    """(xact, id) > (the cursor's): a row comparison, so that PostgreSQL walks the (xact, id) index from the cursor."""

    output_field = models.BooleanField()

    def __init__(self, cursor: Cursor):
        super().__init__(models.F("xact"), models.F("id"), models.Value(cursor.xact), models.Value(cursor.id))

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        return f"({parts[0]}, {parts[1]}) > ({parts[2]}, {parts[3]})", params


def feed_head() -> Cursor:
    """The position after the last change committed so far (where a new subscriber starts)."""
    last = _committed(AuditEvent.objects.all()).order_by("-xact", "-id").values_list("xact", "id").first()
    return Cursor(*last) if last else START


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass
class Page:
    results: list[dict]
    next_cursor: str
    has_more: bool
    household_ids: set[int] = field(default_factory=set)  # households whose personal data the page shows


def _provinces_of(communes) -> Q:
    """Events of the provinces these communes are in (a commune's parent is its district, or its province)."""
    return Q(unit__in=communes.values("parent_id")) | Q(unit__in=communes.values("parent__parent_id"))


def _scope(user, *, list_only: bool) -> Q:
    readable = communes_for(user, Action.READ_AGGREGATES)
    scope = Q(target_type__in=LIST_TYPES, unit__in=readable.values("pk")) | (
        Q(action__in=ROUND_ACTIONS, target_type="surveys.surveyround") & _provinces_of(readable)
    )
    if not list_only:
        scope |= Q(target_type__in=PERSONAL_TYPES, unit__in=communes_for(user, Action.VIEW).values("pk"))
    return scope


def _kind(event: dict) -> Kind:
    action, target_type = event["action"], event["target_type"]
    if action in ROUND_ACTIONS:
        return ROUND_ACTIONS[action]
    if action in DECISION_ACTIONS:
        return Kind.DECISION
    if target_type == "households.household":
        only_members = action == AuditAction.HOUSEHOLD_UPDATED and set(event["changes"] or {}) == {"members"}
        return Kind.MEMBER if only_members else Kind.HOUSEHOLD
    if target_type in LIST_TYPES:
        return Kind.LIST
    return Kind(PERSONAL_TYPES[target_type])


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _step_list_id(event: dict) -> int | None:
    """The commune list of a hamlet meeting or public posting, from its event (a withdrawn step is deleted)."""
    old, new = (event["changes"] or {}).get("commune_list", [None, None])
    return _int(new) or _int(old)


class _Targets:
    """What the items of one page say about their targets, read in one query per kind of target."""

    def __init__(self, events: list[dict]):
        from households.models import AdminUnit, Household
        from surveys.models import Appeal, Application, Assessment, CommuneList, SurveyRound

        ids = defaultdict(set)
        for event in events:
            ids[event["target_type"]].add(_int(event["target_id"]))
            if event["target_type"] in ("surveys.hamletmeeting", "surveys.publicposting"):
                ids["surveys.communelist"].add(_step_list_id(event))
        ids = {label: {pk for pk in pks if pk is not None} for label, pks in ids.items()}

        def rows(model, label, *fields):
            wanted = ids.get(label)
            if not wanted:
                return {}
            return {row[0]: row[1:] for row in model.objects.filter(pk__in=wanted).values_list("pk", *fields)}

        self.units = dict(
            AdminUnit.objects.filter(pk__in={e["unit_id"] for e in events if e["unit_id"]}).values_list("pk", "code")
        )
        self.households = rows(Household, "households.household", "code")
        self.by_type = {
            "surveys.assessment": rows(Assessment, "surveys.assessment", "household_id", "household__code", "round__code"),
            "surveys.application": rows(Application, "surveys.application", "household_id", "household__code", "round__code"),
            "surveys.appeal": rows(Appeal, "surveys.appeal", "household_id", "household__code", "round__code"),
        }
        self.lists = rows(CommuneList, "surveys.communelist", "round__code", "revision")
        self.rounds = rows(SurveyRound, "surveys.surveyround", "code")

    def describe(self, event: dict) -> tuple[dict, int | None]:
        """The item's `target`, and the household whose personal data it concerns (if any)."""
        target_type, pk = event["target_type"], _int(event["target_id"])
        unit = self.units.get(event["unit_id"])
        target = {
            "type": PERSONAL_TYPES.get(target_type) or LIST_TYPES.get(target_type) or "round",
            "id": event["target_id"],
            "household": None,
            "commune": unit,
            "round": None,
            "revision": None,
        }
        household_id = None
        if target_type == "households.household":
            household_id = pk
            target["household"] = (self.households.get(pk) or (None,))[0]
            imported_round = (event["changes"] or {}).get("round")
            if event["action"] == "household.imported" and isinstance(imported_round, list) and len(imported_round) == 2:
                target["round"] = imported_round[1]
        elif target_type in self.by_type:
            household_id, target["household"], target["round"] = self.by_type[target_type].get(pk, (None, None, None))
        elif target_type in LIST_TYPES:
            list_id = pk if target_type == "surveys.communelist" else _step_list_id(event)
            target["round"], target["revision"] = self.lists.get(list_id, (None, None))
        else:  # a round: its province is the unit
            target["commune"] = None
            target["round"] = (self.rounds.get(pk) or (None,))[0]
        return target, household_id


def changes_since(user, *, since: Cursor | None = None, limit: int = DEFAULT_LIMIT, list_only: bool = False) -> Page:
    """The next `limit` changes after `since` that `user` may see, in commit order (see the module's docstring).

    `list_only`: list-level changes only, without diffs (an API token limited to aggregates)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    since = since or START
    queryset = _committed(AuditEvent.objects.filter(_scope(user, list_only=list_only)))
    fields = ("id", "xact", "created_at", "action", "target_type", "target_id", "unit_id", "changes", "reason")
    events = list(queryset.filter(_After(since)).order_by("xact", "id").values(*fields)[: limit + 1])
    has_more = len(events) > limit
    events = events[:limit]
    if not events:
        return Page(results=[], next_cursor=since.encode(), has_more=False)

    targets = _Targets(events)
    # The diff goes to callers who may read personal data where the change happened.
    units = {e["unit_id"] for e in events if e["unit_id"]}
    personal_units = (
        set() if list_only else set(communes_for(user, Action.VIEW).filter(pk__in=units).values_list("pk", flat=True))
    )
    if not list_only:
        from households.models import AdminUnit, Level

        for province in AdminUnit.objects.filter(pk__in=units, level=Level.PROVINCE):
            if can(user, Action.VIEW, province):
                personal_units.add(province.pk)

    results, household_ids = [], set()
    for event in events:
        target, household_id = targets.describe(event)
        personal = event["unit_id"] in personal_units
        if personal and household_id is not None:
            household_ids.add(household_id)
        results.append(
            {
                "cursor": Cursor(event["xact"], event["id"]).encode(),
                "time": event["created_at"],
                "kind": _kind(event).value,
                "action": event["action"],
                "target": target,
                "changes": event["changes"] if personal else None,
                "reason": event["reason"] if personal else None,
            }
        )
    return Page(results=results, next_cursor=results[-1]["cursor"], has_more=has_more, household_ids=household_ids)


def event_ids(cursors: Iterable[str]) -> list[int]:
    """The audit event ids behind item cursors (tests and troubleshooting)."""
    return [Cursor.decode(c).id for c in cursors]
