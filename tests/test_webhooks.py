"""Webhooks (core/webhooks.py): signed batches of the change feed POSTed to a local receiver, retried with
exponential backoff after a failure, scoped to the subscription's owner, to the registered URL only."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from core.changes import event_ids, feed_head
from core.models import AccessChannel, AuditEvent, PersonalDataAccess, WebhookDelivery, WebhookSubscription
from core.webhooks import backoff, deliver, deliver_due, post, webhook_subscription_save
from tests.factories import assess, make_household

pytestmark = pytest.mark.django_db(transaction=True)  # the feed reads committed changes; the worker its own connection
SECRET = "s3cret-shared-with-the-receiver"


class Receiver:
    """A local HTTP server that records every request and answers from a script (then 200)."""

    def __init__(self, answers=(), delay: float = 0, location: str = ""):
        self.requests: list[dict] = []
        self.answers = list(answers)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                time.sleep(delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                try:
                    self.send_response(status)
                    if location:
                        self.send_header("Location", location)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the time-out test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/povreg/changes"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*args, **kwargs):
        made.append(Receiver(*args, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def verified(request: dict) -> dict:
    """The batch, after checking its signature as a receiver would (HMAC-SHA256 of `<timestamp>.<body>`)."""
    timestamp = request["headers"]["X-Povreg-Timestamp"]
    assert abs(time.time() - int(timestamp)) < 300
    expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request["headers"]["X-Povreg-Signature"], expected)
    assert request["headers"]["Content-Type"].startswith("application/json")
    return json.loads(request["body"])


def subscribe(owner, url, **kwargs) -> WebhookSubscription:
    return webhook_subscription_save(
        actor=owner, subscription=WebhookSubscription(name="Sở LĐ-TB&XH", url=url, secret=SECRET), **kwargs
    )


def test_a_failed_batch_is_retried_after_a_backoff_and_then_delivered(
    receiver, department, officer_a, officer_b, commune_a, commune_b, round_2024
):
    server = receiver(answers=[503])
    subscription = subscribe(department, server.url)  # starts after what is committed so far: nothing to send
    assert server.requests == [] and subscription.cursor  # (where the feed stood: the changes below are after it)

    a = make_household(officer_a, commune_a)
    assess(officer_a, a, round_2024, 1_000_000, ["WATER"])
    b = make_household(officer_b, commune_b)
    written = list(
        AuditEvent.objects.filter(action__in=["household.created", "assessment.created"])
        .order_by("xact", "id")
        .values_list("id", flat=True)
    )

    before = timezone.now()
    assert deliver_due() == {subscription.pk: "failed"}
    subscription.refresh_from_db()
    assert subscription.failures == 1 and "503" in subscription.last_error
    assert subscription.cursor < feed_head().encode()  # not moved on
    wait = subscription.next_attempt_at - before
    assert backoff(1) <= wait <= backoff(1) + datetime.timedelta(seconds=5)
    # Not due yet: nothing is sent.
    assert deliver_due() == {} and len(server.requests) == 1
    # Due: the same position is sent again, and taken.
    assert deliver_due(now=subscription.next_attempt_at) == {subscription.pk: "delivered"}
    assert len(server.requests) == 2
    first, second = (verified(r) for r in server.requests)
    assert server.requests[0]["headers"]["X-Povreg-Delivery"] == server.requests[1]["headers"]["X-Povreg-Delivery"]
    assert first == second
    assert event_ids(i["cursor"] for i in second["results"]) == written
    assert {i["target"]["household"] for i in second["results"]} == {a.code, b.code}
    assert second["subscription"] == subscription.pk and second["has_more"] is False
    subscription.refresh_from_db()
    assert subscription.failures == 0 and subscription.cursor == second["next_cursor"] and subscription.last_error == ""
    assert list(WebhookDelivery.objects.order_by("id").values_list("ok", "status_code", "attempt", "events")) == [
        (False, 503, 1, 3),
        (True, 200, 2, 3),
    ]
    # The owner received personal data: logged as an API read, as the API would.
    assert set(
        PersonalDataAccess.objects.filter(user=department, channel=AccessChannel.API).values_list("household_id", flat=True)
    ) == {a.pk, b.pk}
    # Caught up: nothing more is sent until something changes.
    assert deliver(subscription.pk) == "idle" and len(server.requests) == 2


def test_backoff_doubles_up_to_its_cap(settings):
    settings.POVREG_WEBHOOK_BACKOFF_SECONDS, settings.POVREG_WEBHOOK_BACKOFF_MAX_SECONDS = 30, 3600
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 7, 8, 20)] == [30, 60, 120, 240, 1920, 3600, 3600]


def test_batches_carry_what_the_owner_may_read(receiver, department, officer_a, officer_b, commune_a, commune_b, round_2024):
    server = receiver()
    subscription = subscribe(department, server.url)
    # (Owners are department staff; an officer's scope shows the batches follow the owner's scope, like the API.)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(owner=officer_a)
    mine, theirs = make_household(officer_a, commune_a), make_household(officer_b, commune_b)
    assert deliver(subscription.pk) == "delivered"
    batch = verified(server.requests[0])
    assert {i["target"]["household"] for i in batch["results"]} == {mine.code}
    assert theirs.code not in server.requests[0]["body"].decode()


def test_large_backlogs_go_in_several_batches(receiver, settings, department, officer_a, commune_a):
    settings.POVREG_WEBHOOK_BATCH = 2
    server = receiver()
    for _ in range(5):
        make_household(officer_a, commune_a)
    subscription = subscribe(department, server.url, from_start=True)
    subscription.refresh_from_db()
    assert deliver(subscription.pk) in ("delivered", "idle")  # (the first run may have gone on commit already)
    batches = [verified(r) for r in server.requests]
    assert [len(b["results"]) for b in batches] == [2, 2, 1]
    assert [b["has_more"] for b in batches] == [True, True, False]
    cursors = [i["cursor"] for b in batches for i in b["results"]]
    assert len(cursors) == len(set(cursors)) == 5


def test_only_department_staff_register_and_only_http_urls(department, officer_a):
    with pytest.raises(PermissionDenied):
        subscribe(officer_a, "https://example.org/hook")
    for url in ("ftp://example.org/hook", "file:///etc/passwd", "gopher://example.org/", "javascript:alert(1)", "example.org"):
        with pytest.raises(ValidationError) as caught:
            subscribe(department, url)
        assert "url" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        webhook_subscription_save(
            actor=department, subscription=WebhookSubscription(name="x", url="https://example.org/", secret="short")
        )
    assert "secret" in caught.value.message_dict
    assert not WebhookSubscription.objects.exists()
    # The audit trail records a webhook without its secret.
    subscription = subscribe(department, "https://example.org/hook")
    event = AuditEvent.objects.get(action="webhook.created")
    assert event.target_id == str(subscription.pk) and SECRET not in json.dumps(event.changes)


def test_no_request_goes_anywhere_but_the_registered_url(receiver, settings):
    elsewhere = receiver()
    redirecting = receiver(answers=[302], location=elsewhere.url)
    attempt = post(redirecting.url, b"{}", {"Content-Type": "application/json"})
    assert not attempt.ok and attempt.status_code == 302
    assert len(redirecting.requests) == 1 and elsewhere.requests == []  # the redirect is not followed
    refused = post("file:///etc/passwd", b"{}", {})
    assert not refused.ok and refused.status_code is None
    # A receiver that does not answer in time is a failure, not a hang.
    settings.POVREG_WEBHOOK_TIMEOUT_SECONDS = 0.5
    slow = receiver(delay=3)
    started = time.monotonic()
    attempt = post(slow.url, b"{}", {})
    assert not attempt.ok and time.monotonic() - started < 2.5 and attempt.error


def test_the_admin_registers_a_webhook_for_its_owner(client, receiver, department, officer_a, commune_a):
    server = receiver()
    department.is_staff = True
    department.save()
    client.force_login(department)
    assert client.get("/admin/core/webhooksubscription/add/").status_code == 200
    response = client.post(
        "/admin/core/webhooksubscription/add/",
        {"name": "Hệ thống an sinh", "url": server.url, "secret": SECRET, "is_active": "on", "from_start": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get()
    assert subscription.owner == department and subscription.secret == SECRET and subscription.cursor
    # The secret is never shown back; an empty one on change keeps it.
    page = client.get(f"/admin/core/webhooksubscription/{subscription.pk}/change/").content.decode()
    assert SECRET not in page
    client.post(
        f"/admin/core/webhooksubscription/{subscription.pk}/change/",
        {"name": "Hệ thống an sinh 2", "url": server.url, "secret": "", "is_active": "on"},
    )
    subscription.refresh_from_db()
    assert subscription.name == "Hệ thống an sinh 2" and subscription.secret == SECRET
    # Another department's staff do not see it.
    from households.models import AdminUnit, Role, Structure
    from households.units import load_legacy
    from tests.factories import make_user

    load_legacy("75")
    other = make_user(
        "dept75", Role.DEPARTMENT_STAFF, AdminUnit.objects.get(structure=Structure.LEGACY, code="75"), is_staff=True
    )
    client = Client()  # (no messages left over from the owner's session)
    client.force_login(other)
    assert client.get(f"/admin/core/webhooksubscription/{subscription.pk}/change/").status_code in (302, 404)
    assert f"/{subscription.pk}/change/" not in client.get("/admin/core/webhooksubscription/").content.decode()
    # An officer has no webhook admin at all.
    officer_a.is_staff = True
    officer_a.save()
    client.force_login(officer_a)
    assert client.get("/admin/core/webhooksubscription/").status_code == 403


DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_worker_retries_with_backoff_on_the_real_queue(receiver, settings, department, officer_a, commune_a):
    """django-tasks' database backend and its db_worker, as production runs them: the failed run queues its retry
    after the backoff; the worker takes it only then."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_QUEUE
    settings.POVREG_WEBHOOK_BACKOFF_SECONDS = 1
    settings.POVREG_WEBHOOK_POLL_SECONDS = 3600
    server = receiver(answers=[500])
    household = make_household(officer_a, commune_a)
    subscription = subscribe(department, server.url, from_start=True)  # queued on commit, not run

    def run_worker():
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    assert server.requests == []
    run_worker()
    assert len(server.requests) == 1  # failed; the retry waits in the queue for its time
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.run_after is not None and retry.run_after > timezone.now() - datetime.timedelta(seconds=1)
    run_worker()
    assert len(server.requests) == 1  # (not yet due)
    time.sleep(max(0.0, (retry.run_after - timezone.now()).total_seconds()) + 0.2)
    run_worker()
    assert len(server.requests) == 2
    batch = verified(server.requests[1])
    assert [i["target"]["household"] for i in batch["results"]] == [household.code]
    subscription.refresh_from_db()
    assert subscription.failures == 0 and subscription.cursor == batch["next_cursor"]
    # The next run is queued after the poll interval (one chain per subscription).
    waiting = DBTaskResult.objects.filter(status="READY")
    assert waiting.count() == 1 and waiting.get().run_after > timezone.now() + datetime.timedelta(minutes=30)


def test_a_receiver_down_too_long_pauses_the_webhook_and_loses_nothing(receiver, settings, department, officer_a, commune_a):
    settings.POVREG_WEBHOOK_MAX_FAILURES = 2
    server = receiver(answers=[500, 500])
    subscription = subscribe(department, server.url)
    household = make_household(officer_a, commune_a)
    assert deliver(subscription.pk) == "failed"
    assert deliver_due(now=timezone.now() + datetime.timedelta(days=1)) == {subscription.pk: "paused"}
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.failures == 2 and "500" in subscription.last_error
    assert deliver_due(now=timezone.now() + datetime.timedelta(days=2)) == {}  # paused: not tried again
    # Switched on again (the receiver is back): it resumes where it stopped.
    subscription.is_active = True
    webhook_subscription_save(actor=department, subscription=subscription)  # (delivers on commit: jobs run at once here)
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.failures == 0
    assert len(server.requests) == 3
    assert [i["target"]["household"] for i in verified(server.requests[2])["results"]] == [household.code]
    assert AuditEvent.objects.filter(action="webhook.updated", changes__is_active=[False, True]).exists()
