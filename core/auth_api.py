from axes.exceptions import AxesBackendPermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api import ERROR_RESPONSES, THROTTLED_RESPONSE, SafeJSONParser
from core.forms import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH
from core.models import ApiToken, TokenScope
from core.tokens import token_issue
from core.two_factor import token_second_factor


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = AuthTokenSerializer
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary=_("Obtain an API token"),
        request=AuthTokenSerializer,
        description=_(
            "Send a username and password (optionally `scope`: aggregates, read or write, default write; and a `name`); "
            "use the token as `Authorization: Token <token>`. The token is shown once, stored hashed, expires "
            "(`expires_at`), stops working when the password changes, and can be revoked. Wrong credentials answer "
            "400; failed logins lock the account and the address out for a while (429)."
        ),
        responses={
            200: inline_serializer(
                "TokenResponse",
                {"token": serializers.CharField(), "scope": serializers.CharField(), "expires_at": serializers.DateTimeField()},
            ),
            400: ERROR_RESPONSES[400],
            **THROTTLED_RESPONSE,
        },
        examples=[OpenApiExample("Login", value={"username": "api_reader", "password": "…"}, request_only=True)],
        auth=[],
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        for name, limit in (("username", USERNAME_MAX_LENGTH), ("password", PASSWORD_MAX_LENGTH)):
            value = data.get(name)
            if isinstance(value, str) and len(value) > limit:
                raise exceptions.ValidationError({name: [_("At most %(n)s characters.") % {"n": limit}]})
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except (exceptions.ValidationError, AxesBackendPermissionDenied):
            # Locked out by django-axes (per account and per address, in the database all workers share): its
            # backend marks the request and refuses; answer 429 like any throttle, even for the right password.
            if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
                raise exceptions.Throttled(detail=_("Too many failed logins: this account or address is locked out for a while."))
            raise
        refusal = token_second_factor(serializer.validated_data["user"], data.get("otp"))
        if refusal:
            raise exceptions.PermissionDenied(refusal)
        token, key = token_issue(
            user=serializer.validated_data["user"], scope=data.get("scope", TokenScope.WRITE), name=str(data.get("name") or "")
        )
        return Response({"token": key, "scope": token.scope, "expires_at": token.expires_at})


class TokenListSerializer(serializers.Serializer):
    prefix = serializers.CharField(help_text=_("The first 8 characters of the token (the rest is never stored)."))
    name = serializers.CharField()
    scope = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenListView(APIView):
    """The caller's own tokens, and revoking one (by its prefix)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary=_("List your API tokens"), responses={200: TokenListSerializer(many=True), **ERROR_RESPONSES})
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user, revoked_at=None, expires_at__gt=timezone.now())
        return Response(TokenListSerializer(tokens, many=True).data)


class TokenRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary=_("Revoke one of your API tokens"), responses={204: None, **ERROR_RESPONSES})
    def delete(self, request, prefix: str):
        tokens = ApiToken.objects.filter(prefix=prefix, revoked_at=None)
        if not request.user.is_superuser:
            tokens = tokens.filter(user=request.user)
        if not tokens.update(revoked_at=timezone.now()):
            raise exceptions.NotFound()
        return Response(status=204)
