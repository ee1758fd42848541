"""Reading the audit trail: the history of one object, as far as the reader may see that object, described the way
people read it (labels and names from `core.audit_labels`), paged, with downloads collapsed per day and user."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import models
from django.db.models import BigIntegerField, Case, CharField, Count, DateField, F, Q, Value, When, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.audit_labels import (
    ACTION_LABELS,
    EMPTY,
    EXPORT_PREFIX,
    ROWS,
    action_label,
    change_order,
    downloads_label,
    label_text,
    model_of,
    references,
    spec_for,
)
from core.audit_values import ChangeLine, local_time, readable_dates, row_lines, show
from core.models import AuditEvent

__all__ = ["ACTION_LABELS", "HISTORY_LIMIT", "HISTORY_PAGE_SIZE", "HistoryPage", "audit_events_for", "history_page"]

HISTORY_LIMIT = 200
HISTORY_PAGE_SIZE = 20
MAX_HISTORY_PAGE = 10_000


def _targets(label: str, ids) -> Q:
    return Q(target_type=label, target_id__in=[str(i) for i in ids])


def _visible(obj, user) -> bool:
    manager = type(obj)._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user).filter(pk=obj.pk).exists()
    # Objects without personal data (criteria sets, rounds): department staff and administrators.
    from households.permissions import is_staff_of_province

    return is_staff_of_province(user)


def _related_targets(obj) -> Q:
    """The object itself, plus what belongs to its story: a list's other revisions, procedure steps and
    appeals; a household's assessments and appeals; an assessment's appeals."""
    from households.models import Household
    from surveys.models import Appeal, Assessment, CommuneList, HamletMeeting, PublicPosting

    where = _targets(obj._meta.label_lower, [obj.pk])
    if isinstance(obj, CommuneList):
        revisions = list(
            CommuneList.objects.filter(round_id=obj.round_id, commune_id=obj.commune_id).values_list("pk", flat=True)
        )
        where |= _targets(CommuneList._meta.label_lower, revisions)
        where |= _targets(
            HamletMeeting._meta.label_lower,
            HamletMeeting.objects.filter(commune_list_id__in=revisions).values_list("pk", flat=True),
        )
        where |= _targets(
            PublicPosting._meta.label_lower,
            PublicPosting.objects.filter(commune_list_id__in=revisions).values_list("pk", flat=True),
        )
        where |= _targets(
            Appeal._meta.label_lower,
            Appeal.objects.filter(round_id=obj.round_id, commune_id=obj.commune_id).values_list("pk", flat=True),
        )
    elif isinstance(obj, Household):
        where |= _targets(Assessment._meta.label_lower, Assessment.objects.filter(household=obj).values_list("pk", flat=True))
        where |= _targets(Appeal._meta.label_lower, Appeal.objects.filter(household=obj).values_list("pk", flat=True))
    elif isinstance(obj, Assessment):
        where |= _targets(Appeal._meta.label_lower, Appeal.objects.filter(assessment=obj).values_list("pk", flat=True))
    return where


def audit_events_for(obj, user, *, limit: int = HISTORY_LIMIT) -> list[AuditEvent]:
    """The newest audit events of `obj` and what belongs to it, or nothing when `user` may not see `obj`.

    Each event is described for display (see `describe_events`); the history panel reads `history_page` instead,
    which pages and collapses downloads.
    """
    if obj is None or obj.pk is None or not _visible(obj, user):
        return []
    events = list(AuditEvent.objects.filter(_related_targets(obj)).order_by("-created_at", "-id")[:limit])
    describe_events(events, known=[obj])
    return events


class HistoryPage(list):
    """One page of a history panel, newest first: audit events, downloads collapsed to one row per day and user."""

    def __init__(self, rows: Iterable = (), *, number: int = 1, pages: int = 1, has_next: bool = False):
        super().__init__(rows)
        self.number, self.pages, self.has_next = number, max(pages, number), has_next
        self.has_previous = number > 1
        self.has_other_pages = self.has_next or self.has_previous
        self.next_page_number, self.previous_page_number = number + 1, number - 1


def _page_number(page) -> int:
    try:
        number = int(str(page or "1").strip())
    except ValueError:
        return 1
    return min(max(number, 1), MAX_HISTORY_PAGE)


def _collapsed(where: Q):
    """Events of `where`, newest first, one row per event except downloads: the newest download of each (local)
    day and user stands for them all, with `times` the number of downloads it stands for."""
    export = Q(action__startswith=EXPORT_PREFIX)
    group = [
        Case(When(export, then=Value(None)), default=F("id"), output_field=BigIntegerField()),
        Case(
            When(export, then=TruncDate("created_at", tzinfo=timezone.get_current_timezone())),
            default=Value(None),
            output_field=DateField(),
        ),
        Case(When(export, then=F("actor_username")), default=Value(None), output_field=CharField()),
    ]
    return (
        AuditEvent.objects.filter(where)
        .annotate(
            times=Window(Count("id"), partition_by=group),
            newest_of_group=Window(RowNumber(), partition_by=group, order_by=[F("created_at").desc(), F("id").desc()]),
        )
        .filter(newest_of_group=1)
        .order_by("-created_at", "-id")
    )


def history_page(obj, user, *, page=1, per_page: int = HISTORY_PAGE_SIZE) -> HistoryPage:
    """Page `page` (from 1) of the history of `obj` and what belongs to it, as `user` may see it: events newest
    first and described for display, downloads collapsed to one row per day and user; empty when `user` may not
    see `obj`. Pass it as `events` to templates/core/history.html."""
    number = _page_number(page)
    if obj is None or obj.pk is None or not _visible(obj, user):
        return HistoryPage()
    where = _related_targets(obj)
    rows = _collapsed(where)
    found = list(rows[(number - 1) * per_page : number * per_page + 1])
    if not found and number > 1:  # past the end (an old link): the newest page
        number, found = 1, list(rows[: per_page + 1])
    has_next = len(found) > per_page
    found = found[:per_page]
    pages = math.ceil(rows.count() / per_page) if has_next or number > 1 else 1
    downloads = [e for e in found if e.action.startswith(EXPORT_PREFIX)]
    _describe_downloads(where, downloads)
    describe_events([e for e in found if not e.action.startswith(EXPORT_PREFIX)], known=[obj])
    return HistoryPage(found, number=number, pages=pages, has_next=has_next)


def _describe_downloads(where: Q, rows: list[AuditEvent]) -> None:
    """Label each collapsed download row ("Downloaded 3 times") with what was downloaded how often."""
    if not rows:
        return
    tz = timezone.get_current_timezone()
    kinds: dict[tuple, dict[str, int]] = defaultdict(dict)
    counted = (
        AuditEvent.objects.filter(where, action__startswith=EXPORT_PREFIX, actor_username__in={e.actor_username for e in rows})
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .filter(day__in={timezone.localtime(e.created_at, tz).date() for e in rows})
        .values_list("day", "actor_username", "action")
        .annotate(n=Count("id"))
        .order_by("day", "action")
    )
    for day, username, action, n in counted:
        kinds[(day, username)][action] = n
    for event in rows:
        times = getattr(event, "times", 1)
        event.downloads = times
        event.action_label = downloads_label(times)
        by_kind = kinds.get((timezone.localtime(event.created_at, tz).date(), event.actor_username), {event.action: times})
        event.download_kinds = [(action_label(action), n) for action, n in by_kind.items()]
        _describe_common(event)
        event.change_lines, event.change_lines_more = [], []
        event.when = timezone.localtime(event.created_at, tz).strftime("%d/%m/%Y")
        event.target_label = ""


# --- describing events ---------------------------------------------------------------------------------------

SHOWN_CHANGES = 5  # more than this: the first few, the rest behind "n more changes"


def _describe_common(event: AuditEvent) -> None:
    event.action_label = getattr(event, "action_label", None) or action_label(event.action)
    event.when = local_time(event.created_at)
    event.actor_label = (
        gettext("system") if event.actor_id is None and event.actor_username in ("", "system") else event.actor_username
    )
    event.target_label = readable_dates(event.target_repr)
    event.downloads = getattr(event, "downloads", None)


def describe_events(events: list[AuditEvent], *, known: Iterable[models.Model] = ()) -> None:
    """Give each event what the history panel shows: `action_label`, `when` (local dd/mm/yyyy HH:MM), `actor_label`,
    `target_label` and `change_lines` (label, before, after) with field labels, choice labels, Yes/No, dates and
    the names of referenced rows (one query per kind of row; `known` objects and what they hold need none)."""
    plans, wanted = [], defaultdict(set)
    for event in events:
        model = model_of(event.target_type)
        items = []
        for key, pair in sorted((event.changes or {}).items(), key=lambda item: change_order(model, item[0])):
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            spec = spec_for(model, event.action, key, admin=event.reason == "admin")
            items.append((spec, before, after))
            for value in (before, after):
                for kind, ref in references(spec, value):
                    wanted[kind].add(ref)
        plans.append((event, items))
    names = _names(wanted, known)
    for event, items in plans:
        # A creation (no value before) shows the new values only.
        created = all(before in (None, "", []) for _spec, before, _after in items)
        lines: list[ChangeLine] = []
        for spec, before, after in items:
            if spec.kind == ROWS and any(isinstance(v, dict) for side in (before, after) if isinstance(side, list) for v in side):
                lines.extend(row_lines(spec, before, after, names))
                continue
            shown_before, shown_after = show(spec, before, names), show(spec, after, names)
            if shown_before or shown_after:
                lines.append(ChangeLine(label_text(spec, names), "" if created else shown_before or EMPTY, shown_after))
        _describe_common(event)
        cut = len(lines) if len(lines) <= SHOWN_CHANGES else SHOWN_CHANGES - 1
        event.change_lines, event.change_lines_more = lines[:cut], lines[cut:]


# How a referenced row is named: a field of it (units, hamlets, households, users, rounds, criteria sets).
_NAME_FIELDS = {
    "households.adminunit": "name",
    "households.hamlet": "name",
    "households.household": "code",
    "surveys.surveyround": "code",
    "surveys.criteriaset": "code",
    "surveys.indicator": "code",
    settings.AUTH_USER_MODEL.lower(): "username",
}


def _held(objects: Iterable[models.Model], depth: int = 2) -> Iterator[models.Model]:
    """The objects and the related rows already loaded on them (select_related), a few levels deep."""
    for obj in objects:
        if isinstance(obj, models.Model):
            yield obj
            if depth:
                yield from _held(obj._state.fields_cache.values(), depth - 1)


def _names(wanted: dict[str, set], known: Iterable[models.Model]) -> dict:
    """Display names for the references `describe_events` collected: ("ref", (model label, id)), ("unit_code",
    code), ("indicator", code). An id that names no row is left out (shown as "—")."""
    names: dict = {}
    for obj in _held(known):
        label = obj._meta.label_lower
        if label in _NAME_FIELDS:
            names[("ref", (label, str(obj.pk)))] = getattr(obj, _NAME_FIELDS[label])
        if label == "households.adminunit" and obj.valid_to is None:
            names[("unit_code", obj.code)] = obj.name
    by_model: dict[str, set[str]] = defaultdict(set)
    for label, pk in wanted.get("ref", ()):
        if ("ref", (label, pk)) not in names and len(pk) < 19:
            by_model[label].add(pk)
    for label, pks in by_model.items():
        model = model_of(label)
        if model is None:
            continue
        if label in _NAME_FIELDS:
            rows = model._default_manager.filter(pk__in=pks).values_list("pk", _NAME_FIELDS[label])
        elif label == "surveys.communelist":
            rows = [
                (pk, f"{code} · {commune} · r{revision}")
                for pk, code, commune, revision in model._default_manager.filter(pk__in=pks).values_list(
                    "pk", "round__code", "commune__name", "revision"
                )
            ]
        else:
            rows = [(pk, str(row)) for pk, row in model._default_manager.in_bulk(pks).items()]
        names.update({("ref", (label, str(pk))): name for pk, name in rows})
    codes = {c for c in wanted.get("unit_code", ()) if ("unit_code", c) not in names}
    if codes:
        from households.models import AdminUnit

        # A code can name a legacy and a 2025 unit: the one in force wins.
        for code, name, valid_to in (
            AdminUnit.objects.filter(code__in=codes).order_by("-valid_to").values_list("code", "name", "valid_to")
        ):
            if valid_to is None or ("unit_code", code) not in names:
                names[("unit_code", code)] = name
    if wanted.get("indicator"):
        from surveys.models import Indicator

        english = not (translation.get_language() or settings.LANGUAGE_CODE).startswith("vi")
        # Names of the newest criteria set that has the code (sets share codes and, nearly always, names).
        for code, name_vi, name_en in (
            Indicator.objects.filter(code__in=wanted["indicator"])
            .order_by("criteria_set_id")
            .values_list("code", "name_vi", "name_en")
        ):
            names[("indicator", code)] = name_en if english else name_vi
    return names
