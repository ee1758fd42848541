"""API tokens: issued, hashed at rest, expiring, scoped, revocable; the authentication class that checks them."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.models import ApiToken, TokenScope

# Read-only resources of numbers and public facts: what an `aggregates` token may call.
AGGREGATE_PATHS = ("/api/v1/rates/", "/api/v1/flows/", "/api/v1/classify/", "/api/v1/units/", "/api/v1/rounds/",
                   "/api/v1/criteria-sets/", "/api/v1/auth/tokens/")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user) -> str:
    return hashlib.sha256((user.password or "").encode()).hexdigest()[:16]


def token_issue(*, user, scope: str = TokenScope.WRITE, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; the key is returned once and only its hash is kept."""
    if scope not in TokenScope.values:
        raise exceptions.ValidationError({"scope": [_("Use aggregates, read or write.")]})
    key = secrets.token_urlsafe(32)
    days = days or int(getattr(settings, "POVREG_TOKEN_DAYS", 90))
    token = ApiToken.objects.create(
        user=user, key_hash=digest(key), prefix=key[:8], name=name[:100], scope=scope,
        password_fingerprint=password_fingerprint(user), expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return token, key


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` against the hashed tokens; expired, revoked, password-changed and
    out-of-scope tokens are refused (401, or 403 for the scope)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        path, method = request.path, request.method
        if token.scope == TokenScope.AGGREGATES and not path.startswith(AGGREGATE_PATHS):
            raise exceptions.PermissionDenied(_("This token may read aggregates only (rates, flows, units, rounds)."))
        if token.scope != TokenScope.WRITE and method not in ("GET", "HEAD", "OPTIONS") and not path.startswith("/api/v1/classify/"):
            raise exceptions.PermissionDenied(_("This token may only read."))
        return user, token

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = ApiToken.objects.select_related("user").filter(key_hash=digest(key), revoked_at=None).first()
        if token is None or token.expires_at <= now or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if token.password_fingerprint != password_fingerprint(token.user):
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
