"""The offline entry app keeps its data on the device; the server keeps only what makes a retried write safe."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an Idempotency-Key: a retry with the same key (after a dropped
    answer) gets this answer again instead of writing twice. Written in the same transaction as the write; the answer
    may carry personal data (what the write returned), so rows are dropped after offline.idempotency.KEEP_DAYS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField(_("idempotency key"))
    # What was asked: method, path and a hash of the body. The same key with another request is refused.
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    body = models.JSONField(_("answer"), encoder=DjangoJSONEncoder, default=dict)
    etag = models.CharField(_("ETag"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_time_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} {self.method} {self.path} → {self.status_code}"
