from axes.exceptions import AxesBackendPermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api import ERROR_RESPONSES, THROTTLED_RESPONSE
from core.forms import USERNAME_MAX_LENGTH


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = AuthTokenSerializer

    @extend_schema(
        summary=_("Obtain an API token"),
        request=AuthTokenSerializer,
        description=_(
            "Send a username and password; use the token as `Authorization: Token <token>`. "
            "Wrong credentials answer 400; logins are throttled."
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: ERROR_RESPONSES[400],
            **THROTTLED_RESPONSE,
        },
        examples=[OpenApiExample("Login", value={"username": "api_reader", "password": "…"}, request_only=True)],
        auth=[],
    )
    def post(self, request):
        for name, limit in (("username", USERNAME_MAX_LENGTH), ("password", 4096)):
            value = request.data.get(name) if hasattr(request.data, "get") else None
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
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
