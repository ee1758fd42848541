"""API tokens: issued, hashed at rest, expiring, scoped, revocable; the authentication class that checks them."""

from __future__ import annotations

import datetime
import functools
import hashlib
import secrets

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.models import ApiToken, TokenScope

# Read-only resources of numbers and public facts: what an `aggregates` token may call (the change feed gives
# such a token list-level changes only, core/api_changes.py).
AGGREGATE_PATHS = (
    "/api/v1/rates/",
    "/api/v1/flows/",
    "/api/v1/classify/",
    "/api/v1/units/",
    "/api/v1/rounds/",
    "/api/v1/criteria-sets/",
    "/api/v1/auth/tokens/",
    "/api/v1/changes/",
)
# POSTs that only read: a `read` token may send them (the what-if classification; the DCI search's query).
READING_POSTS = ("/api/v1/classify/", "/api/v1/dci/registry/sync/search")


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
        user=user,
        key_hash=digest(key),
        prefix=key[:8],
        name=name[:100],
        scope=scope,
        password_fingerprint=password_fingerprint(user),
        expires_at=timezone.now() + datetime.timedelta(days=days),
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
        if token.scope != TokenScope.WRITE and method not in ("GET", "HEAD", "OPTIONS") and not path.startswith(READING_POSTS):
            raise exceptions.PermissionDenied(_("This token may only read."))
        return user, token

    def authenticate_credentials(self, key):
        now = timezone.now()
        found = _token_with_user(digest(key))
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        token, has_role = found
        if token.expires_at <= now or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if token.password_fingerprint != password_fingerprint(token.user):
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # Whether the user holds any role is all the access policy asks of a caller reading rates (core.policy.can).
        token.user.povreg_has_role = has_role
        return token.user, token


@functools.cache
def _token_query() -> tuple[str, list, list]:
    """The SQL of the token lookup, and each column's converters (the backend's and the field's, as the ORM applies
    them): built once per process. Every API call runs it; the ORM would spend longer building the query (a join
    to the user and a role check) than the database answering it."""
    from django.contrib.auth import get_user_model
    from django.db.models.expressions import Col

    from households.models import Assignment

    user_model = get_user_model()
    columns = [("t", f) for f in ApiToken._meta.concrete_fields] + [("u", f) for f in user_model._meta.concrete_fields]
    quote = connection.ops.quote_name
    select = ", ".join(f"{alias}.{quote(f.column)}" for alias, f in columns)
    sql = (
        f"SELECT {select}, EXISTS (SELECT 1 FROM {quote(Assignment._meta.db_table)} a WHERE a.user_id = t.user_id) "  # noqa: S608
        f"FROM {quote(ApiToken._meta.db_table)} t JOIN {quote(user_model._meta.db_table)} u ON u.id = t.user_id "
        f"WHERE t.key_hash = %s AND t.revoked_at IS NULL"
    )
    cols = [Col(alias, f) for alias, f in columns]
    converters = [connection.ops.get_db_converters(col) + col.get_db_converters(connection) for col in cols]
    return sql, cols, converters


def _token_with_user(key_hash: str):
    """(the unrevoked token with that hash, its user attached; whether the user holds any role), or None."""
    from django.contrib.auth import get_user_model

    sql, cols, converters = _token_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, col, convert in zip(row, cols, converters, strict=False):
        for converter in convert:
            value = converter(value, col, connection)
        values.append(value)
    n = len(ApiToken._meta.concrete_fields)
    names = [col.target.attname for col in cols]
    token = ApiToken.from_db(connection.alias, names[:n], values[:n])
    token.user = get_user_model().from_db(connection.alias, names[n:], values[n:])
    return token, bool(row[-1])
