from django.conf import settings
from django.core.validators import MinLengthValidator, URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class TransactionId(models.Func):
    """The id of the transaction writing the row, as a column default: PostgreSQL's `pg_current_xact_id()` (xid8,
    stored as a bigint); 0 on SQLite, whose writers take turns, so that the row id alone gives the commit order
    there. The change feed (core/changes.py) pages in (xact, id) order."""

    output_field = models.BigIntegerField()
    template = "0"

    def as_postgresql(self, compiler, connection, **extra_context):
        return "pg_current_xact_id()::text::bigint", []


class AuditQuerySet(models.QuerySet):
    def for_object(self, obj) -> "AuditQuerySet":
        return self.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))


class AuditEvent(models.Model):
    """One change, append-only: who did what to which object, with before/after of changed fields."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL)
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True, choices=AuditAction.choices)
    target_type = models.CharField(_("target type"), max_length=100)
    target_id = models.CharField(_("target id"), max_length=64)
    target_repr = models.CharField(_("target"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # For the change feed (core/changes.py): the writing transaction, so that readers page in commit order, and
    # the unit the change belongs to (the commune of a household, assessment or list; the province of a round),
    # recorded when it happens, so that a reader's scope is one filter.
    xact = models.BigIntegerField(_("transaction"), db_default=TransactionId(), editable=False)
    unit = models.ForeignKey(
        "households.AdminUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"]),
            models.Index(fields=["xact", "id"], name="auditevent_commit_order"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class AccessChannel(models.TextChoices):
    PAGE = "page", _("Web page")
    API = "api", _("API")
    EXPORT = "export", _("Export or print")


class PersonalDataAccess(models.Model):
    """Who looked at which household's personal data, on which day, and how: one row per user, household, day
    and channel (the first time that day), written in one batch at the end of the request."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "households.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="accesses"
    )
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=8, choices=AccessChannel.choices)
    first_at = models.DateTimeField(_("first access that day"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-day", "household", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "household", "day", "channel"], name="one_access_row_per_user_household_day")
        ]
        indexes = [models.Index(fields=["household", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id} {self.household_id} {self.channel}"


class TokenScope(models.TextChoices):
    AGGREGATES = "aggregates", _("Read aggregates (rates, flows, units, rounds, criteria sets)")
    READ = "read", _("Read, personal data included (as the role allows)")
    WRITE = "write", _("Read and write (as the role allows)")


class ApiToken(models.Model):
    """An API token, stored only as its SHA-256 hash. It expires, can be revoked by its owner or an
    administrator, carries a scope, and stops working when its owner's password changes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True, editable=False)
    name = models.CharField(_("name"), max_length=100, blank=True)
    scope = models.CharField(_("scope"), max_length=12, choices=TokenScope.choices, default=TokenScope.WRITE)
    # A fingerprint of the owner's password hash when the token was made: a password change voids the token.
    password_fingerprint = models.CharField(_("password fingerprint"), max_length=16, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id}, {self.scope})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A long piece of work run by the task worker (django-tasks, database backend), as its owner sees it.

    The worker's own row (`django_tasks_db.DBTaskResult`) is the queue; this row carries what the page shows:
    whose job it is, what it is, how far it got, and what came out or why it failed."""

    kind = models.CharField(_("kind"), max_length=40)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("owner"))
    label = models.CharField(_("label"), max_length=300)
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class WebhookSubscription(models.Model):
    """A receiver of the change feed (core/changes.py): Povreg POSTs it signed batches of the changes its owner
    may read, from its own cursor, in a background job with retries (core/webhooks.py)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Where the batches are POSTed: an http or https address of the receiving system."),
    )
    secret = models.CharField(
        _("secret"),
        max_length=200,
        validators=[MinLengthValidator(16)],
        help_text=_("Shared with the receiver, who checks the X-Povreg-Signature header with it (at least 16 characters)."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text=_("The batches carry what this user may read through the API, no more."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    cursor = models.CharField(_("position in the feed"), max_length=32, blank=True, editable=False)
    failures = models.PositiveIntegerField(_("failed attempts in a row"), default=0, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    schedule_token = models.CharField(max_length=32, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One POST of a batch to a subscription's URL, as it went."""

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("webhook subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    attempted_at = models.DateTimeField(_("time"), auto_now_add=True)
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    events = models.PositiveIntegerField(_("changes"), default=0)
    from_cursor = models.CharField(_("from"), max_length=32, blank=True)
    to_cursor = models.CharField(_("to"), max_length=32, blank=True)
    ok = models.BooleanField(_("delivered"), default=False)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["subscription", "-attempted_at"])]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.attempted_at:%Y-%m-%d %H:%M} {self.status_code or self.error[:40]}"
