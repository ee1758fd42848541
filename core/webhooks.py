"""Webhooks: the change feed (core/changes.py) pushed to a department's own system.

Department staff register a `WebhookSubscription` in the admin: a URL (http or https only), a shared secret, and
themselves as its owner. Povreg POSTs the subscription batches of the changes its owner may read through the API
(the same feed, the same scope), each from the subscription's own cursor, which moves on only when the receiver
answers 2xx: nothing is lost while a receiver is down, and a batch is sent again until it is taken.

A batch is a JSON body `{"subscription", "results", "next_cursor", "has_more"}` (results as in
`GET /api/v1/changes/`), with these headers:
- `X-Povreg-Timestamp`: the Unix time of the attempt;
- `X-Povreg-Signature: sha256=<hex>`: HMAC-SHA256, keyed with the secret, of `<timestamp>.<body>` (the timestamp
  is signed with the body so that an old request cannot be replayed as new);
- `X-Povreg-Delivery`: the cursor the batch starts after (the same on every retry of that position).
A receiver recomputes the signature over the raw body, compares in constant time, refuses timestamps more than a
few minutes off, and ignores items whose `cursor` it has already stored (a retry may repeat them).

Delivery runs in the background worker (django-tasks, database backend): `webhook_deliver` sends what is waiting,
then queues itself again, after POVREG_WEBHOOK_POLL_SECONDS when all went well, or with exponential backoff after a
failure (POVREG_WEBHOOK_BACKOFF_SECONDS × 2^(n−1), at most POVREG_WEBHOOK_BACKOFF_MAX_SECONDS). After
POVREG_WEBHOOK_MAX_FAILURES failures in a row the subscription is paused (the admin shows why); switching it on
again resumes from its cursor. `manage.py deliver_webhooks` delivers what is due at once (a cron safety net, and the
way to deliver when jobs run inside the request, POVREG_TASKS_IMMEDIATE=1).

Outbound requests go to the registered URL only: no redirects followed, no proxy taken from the environment, a
time-out on every POST, and at most a few bytes of the answer read. No database transaction stays open during a
POST (an open transaction would hold the feed back for every reader, core/changes.py).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from core.audit import audit, diff, snapshot
from core.audit_actions import AuditAction
from core.changes import Cursor, changes_since, feed_head
from core.models import AccessChannel, PersonalDataAccess, WebhookDelivery, WebhookSubscription
from core.policy import Action, can

log = logging.getLogger(__name__)

AUDITED_FIELDS = ["name", "url", "is_active"]  # never the secret


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def timeout() -> float:
    return _setting("POVREG_WEBHOOK_TIMEOUT_SECONDS", 10)


def backoff(failures: int) -> datetime.timedelta:
    """How long to wait after the `failures`-th failure in a row: doubling from the base, capped."""
    base, cap = _setting("POVREG_WEBHOOK_BACKOFF_SECONDS", 30), _setting("POVREG_WEBHOOK_BACKOFF_MAX_SECONDS", 3600)
    return datetime.timedelta(seconds=min(base * 2 ** max(failures - 1, 0), cap))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Povreg-Signature value: HMAC-SHA256 over `<timestamp>.<body>`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# --- services --------------------------------------------------------------------------------------------------


def _require_department(actor) -> None:
    if not (getattr(actor, "is_superuser", False) or can(actor, Action.MANAGE_ROUNDS)):
        raise PermissionDenied(_("Only department staff register webhooks."))


@transaction.atomic
def webhook_subscription_save(*, actor, subscription: WebhookSubscription, from_start: bool = False) -> WebhookSubscription:
    """Register a webhook (owned by `actor`, starting after the changes committed so far, or from the feed's
    start) or change one; delivery starts once the transaction commits."""
    _require_department(actor)
    creating = subscription.pk is None
    before = {} if creating else snapshot(WebhookSubscription.objects.get(pk=subscription.pk), AUDITED_FIELDS)
    if creating:
        subscription.owner = actor
        subscription.cursor = "" if from_start else feed_head().encode()
    elif not getattr(actor, "is_superuser", False) and subscription.owner_id != actor.pk:
        raise PermissionDenied(_("Only its owner changes a webhook."))
    subscription.full_clean()
    if subscription.is_active and not before.get("is_active", True):
        subscription.failures, subscription.last_error = 0, ""
    subscription.save()
    changes = diff(before, snapshot(subscription, AUDITED_FIELDS))
    audit(
        actor=actor,
        action=AuditAction.WEBHOOK_CREATED if creating else AuditAction.WEBHOOK_UPDATED,
        target=subscription,
        changes=changes,
    )
    if subscription.is_active:
        transaction.on_commit(lambda: webhook_schedule(subscription.pk))
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    _require_department(actor)
    if not getattr(actor, "is_superuser", False) and subscription.owner_id != actor.pk:
        raise PermissionDenied(_("Only its owner changes a webhook."))
    audit(
        actor=actor,
        action=AuditAction.WEBHOOK_DELETED,
        target=subscription,
        changes={k: [v, None] for k, v in snapshot(subscription, AUDITED_FIELDS).items()},
    )
    subscription.delete()


# --- delivery --------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: Povreg posts to the registered URL and nowhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST `body` to `url` (http or https only), with a time-out, no redirects and no proxies."""
    started = time.monotonic()
    if urlsplit(url).scheme not in ("http", "https"):
        return Attempt(False, None, _("Only http and https addresses are allowed."), 0)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (scheme checked above)
    status, error = None, ""
    try:
        with opener.open(request, timeout=timeout()) as response:
            status = response.status
            response.read(1024)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        error = str(getattr(exc, "reason", None) or exc)[:500] or type(exc).__name__
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error = _("The receiver answered HTTP %(status)s.") % {"status": status}
    return Attempt(ok, status, error, int((time.monotonic() - started) * 1000))


def _lease(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(seconds=timeout() * 2 + 60)


def _claim(subscription_id: int, now: datetime.datetime) -> bool:
    """Take the subscription for one delivery run, so that two workers never post the same batch at once."""
    lease = _lease(now)
    return bool(
        WebhookSubscription.objects.filter(pk=subscription_id, is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=lease)
    )


def deliver(subscription_id: int) -> str:
    """Send the subscription what is waiting, batch after batch, until it is caught up or an attempt fails.

    Returns "idle" (nothing waiting), "delivered" (caught up), "more" (this run's share sent, more waiting),
    "failed", "paused" (too many failures), or "busy" (another worker holds it). Runs outside any transaction: the
    feed is read, and the POST made, with none open."""
    now = timezone.now()
    if not _claim(subscription_id, now):
        return "busy"
    try:
        outcome = "idle"
        batch = int(_setting("POVREG_WEBHOOK_BATCH", 100))
        for _round in range(int(_setting("POVREG_WEBHOOK_MAX_BATCHES_PER_RUN", 20))):
            WebhookSubscription.objects.filter(pk=subscription_id).update(lease_until=_lease(timezone.now()))  # still ours
            subscription = WebhookSubscription.objects.select_related("owner").get(pk=subscription_id)
            since = Cursor.decode(subscription.cursor) if subscription.cursor else None
            page = changes_since(subscription.owner, since=since, limit=batch)
            if not page.results:
                break
            from core.api_changes import ChangePageSerializer

            payload = {"subscription": subscription.pk, **ChangePageSerializer(page).data}
            body = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
            timestamp = str(int(time.time()))
            attempt = post(
                subscription.url,
                body,
                {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Povreg-Webhook/1",
                    "X-Povreg-Timestamp": timestamp,
                    "X-Povreg-Signature": sign(subscription.secret, timestamp, body),
                    "X-Povreg-Delivery": subscription.cursor or Cursor(0, 0).encode(),
                },
            )
            WebhookDelivery.objects.create(
                subscription=subscription,
                attempt=subscription.failures + 1,
                events=len(page.results),
                from_cursor=subscription.cursor,
                to_cursor=page.next_cursor,
                ok=attempt.ok,
                status_code=attempt.status_code,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
            )
            if not attempt.ok:
                return _failed(subscription.pk, subscription.failures + 1, attempt.error)
            # Compare-and-set: a run whose lease ran out meanwhile never moves the cursor back over another's.
            WebhookSubscription.objects.filter(pk=subscription.pk, cursor=subscription.cursor).update(
                cursor=page.next_cursor, failures=0, last_error="", last_success_at=timezone.now()
            )
            _log_access(subscription.owner_id, page.household_ids)
            outcome = "more" if page.has_more else "delivered"
            if not page.has_more:
                break
        return outcome
    finally:
        WebhookSubscription.objects.filter(pk=subscription_id).update(lease_until=None)


def _failed(subscription_id: int, failures: int, error: str) -> str:
    """Record a failed attempt: the next one after the backoff, or none (paused) after too many in a row."""
    paused = failures >= int(_setting("POVREG_WEBHOOK_MAX_FAILURES", 20))
    WebhookSubscription.objects.filter(pk=subscription_id).update(
        failures=failures, last_error=error, next_attempt_at=timezone.now() + backoff(failures), is_active=not paused
    )
    return "paused" if paused else "failed"


def _log_access(user_id: int, household_ids) -> None:
    """A webhook hands its owner personal data as the API would: logged the same way (core/access_log.py)."""
    day = timezone.localdate()
    PersonalDataAccess.objects.bulk_create(
        [PersonalDataAccess(user_id=user_id, household_id=pk, day=day, channel=AccessChannel.API) for pk in household_ids],
        ignore_conflicts=True,
        batch_size=2000,
    )


# --- scheduling ------------------------------------------------------------------------------------------------


def webhook_schedule(subscription_id: int, at: datetime.datetime | None = None) -> None:
    """Queue the subscription's next delivery run (now by default). Each run carries a token: an older run still
    queued finds it replaced and stops, so a subscription has one chain of runs, however often it is restarted."""
    token = secrets.token_hex(8)
    WebhookSubscription.objects.filter(pk=subscription_id).update(schedule_token=token, next_attempt_at=at or timezone.now())
    deferred = at is not None and at > timezone.now()
    backend = webhook_deliver.get_backend()
    if deferred and not backend.supports_defer:
        return  # jobs run inside the request here: `deliver_webhooks` (cron) takes it when due
    task_ = webhook_deliver.using(run_after=at) if deferred else webhook_deliver
    task_.enqueue(subscription_id, token)


def _queue_next(subscription_id: int, outcome: str) -> None:
    """After a run: again after the poll interval, or after the backoff of a failure; not at all when paused."""
    if outcome in ("paused", "busy"):
        return
    if not webhook_deliver.get_backend().supports_defer:
        return  # (see webhook_schedule) immediate jobs would loop in the request
    subscription = WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).first()
    if subscription is None:
        return
    if outcome == "failed":
        at = subscription.next_attempt_at
    elif outcome == "more":
        at = None  # at once
    else:
        at = timezone.now() + datetime.timedelta(seconds=_setting("POVREG_WEBHOOK_POLL_SECONDS", 30))
    webhook_schedule(subscription_id, at)


@task()
def webhook_deliver(subscription_id: int, token: str = "") -> str:
    """One delivery run of a subscription (see `deliver`), then the next one queued."""
    current = (
        WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).values_list("schedule_token", flat=True).first()
    )
    if current is None:
        return "inactive"
    if token and current != token:
        return "superseded"
    try:
        outcome = deliver(subscription_id)
    except Exception:
        # Counted as a failed attempt, so that the subscription is tried again later (and paused in the end).
        log.exception("webhook %s: delivery failed", subscription_id)
        failures = (WebhookSubscription.objects.filter(pk=subscription_id).values_list("failures", flat=True).first() or 0) + 1
        outcome = _failed(
            subscription_id, failures, _("The delivery stopped on an unexpected error; the server's log says more.")
        )
    _queue_next(subscription_id, outcome)
    return outcome


def deliver_due(now: datetime.datetime | None = None) -> dict[int, str]:
    """Deliver, here and now, every active subscription whose next attempt is due (a failed one after its backoff)."""
    now = now or timezone.now()
    due = WebhookSubscription.objects.filter(is_active=True).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return {pk: deliver(pk) for pk in due.values_list("pk", flat=True)}
