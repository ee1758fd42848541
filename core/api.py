"""One error format for the whole API: {"errors": [{"field", "code", "message"}]}.

Services raise Django exceptions (ValidationError, PermissionDenied, ObjectDoesNotExist); this handler
maps them, and DRF's own, to HTTP so that bad input never becomes a 500.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ConflictError


def _flatten(detail, field: str | None = None) -> list[dict]:
    errors: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # DRF reports the items of a list field by index
                errors.extend(_flatten(value, f"{field}[{key}]" if field else str(key)))
                continue
            name = None if key in ("non_field_errors", "__all__") else key
            if field and name:
                name = f"{field}.{name}"
            elif field:
                name = field
            errors.extend(_flatten(value, name))
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict):
                errors.extend(_flatten(item, f"{field}[{index}]" if field else str(index)))
            else:
                errors.extend(_flatten(item, field))
    else:
        errors.append({"field": field, "code": getattr(detail, "code", None) or "invalid", "message": str(detail)})
    return errors


def django_validation_to_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            key: [exceptions.ErrorDetail(m, code=e.code or "invalid") for e in errs for m in e.messages]
            for key, errs in exc.error_dict.items()
        }
    return [exceptions.ErrorDetail(m, code=getattr(exc, "code", None) or "invalid") for m in exc.messages]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_to_detail(exc))
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, ConflictError):
        return Response(
            {"errors": [{"field": exc.field, "code": "conflict", "message": str(exc)}]}, status=status.HTTP_409_CONFLICT
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # the same answer for missing and out of scope; no model names
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(detail)
    else:
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", "error")
        message = detail.get("detail", detail) if isinstance(detail, dict) else detail
        errors = [{"field": None, "code": code, "message": str(message)}]
    response.data = {"errors": errors}
    return response


class Pagination(PageNumberPagination):
    """Page-number pagination with a bounded, caller-chosen page size."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise error("page_size", _("A page size is a whole number from 1 to %(max)s.") % {"max": self.max_page_size})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        """The schema states the bounds the view enforces: page ≥ 1, 1 ≤ page_size ≤ max_page_size."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


# The version a change is based on, as an ETag: "3", W/"3" or 3 (the `version` field says the same in the body).
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^(W/)?"?[1-9][0-9]{0,8}"?$'},
    OpenApiParameter.HEADER,
    required=False,
    description=_('The ETag you read, e.g. "2".'),
)


def page_parameters() -> list:
    """`page` and `page_size` for views that paginate by hand, with the bounds `Pagination` enforces."""
    return [
        OpenApiParameter("page", {"type": "integer", "minimum": 1}, description=_("Page number, from 1.")),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": Pagination.max_page_size},
            description=_("Rows per page, from 1 to 500."),
        ),
    ]


class UserFilterBackend(DjangoFilterBackend):
    """django-filter backend that hands request.user to the FilterSet (its choices are scoped too)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["user"] = request.user
        return kwargs


def expected_version(request, data: dict | None = None, *, required: bool = True) -> int | None:
    """The version a write is based on: the `version` field, else an If-Match header ("3" or W/"3").

    Missing (when required) or malformed → 400 naming `version`."""
    raw = (data or {}).get("version")
    if raw is None:
        header = request.headers.get("If-Match", "").strip()
        if header:
            raw = header.removeprefix("W/").strip('"')
    if raw is None or raw == "":
        if required:
            raise exceptions.ValidationError(
                {
                    "version": [
                        exceptions.ErrorDetail(_("Send the version you read (field `version` or If-Match)."), code="required")
                    ]
                }
            )
        return None
    if isinstance(raw, bool) or not str(raw).isdigit():
        raise exceptions.ValidationError({"version": [exceptions.ErrorDetail(_("A version is a whole number."), code="invalid")]})
    return int(raw)


def etag(version: int) -> str:
    return f'"{version}"'


def error(field: str | None, message: str, code: str = "invalid") -> exceptions.ValidationError:
    """A 400 naming one field, in the one error format."""
    return exceptions.ValidationError({field or "non_field_errors": [exceptions.ErrorDetail(message, code=code)]})


class StrictTypes:
    """For JSON request bodies: text fields take strings and true/false fields take booleans, as the schema says.

    DRF would turn 0 into "0" or False; a client sending the wrong type has a bug to hear about (400 naming
    the field)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                if field.read_only or value is None:
                    continue
                if isinstance(field, serializers.CharField) and not isinstance(value, str):
                    errors[name] = [exceptions.ErrorDetail(str(_("Text is required here.")), code="invalid")]
                elif isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
                    errors[name] = [exceptions.ErrorDetail(str(_("true or false is required here.")), code="invalid")]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text=_("The offending input (dotted path), or null."))
    code = serializers.CharField(help_text=_("Machine-readable reason, e.g. required, invalid, unknown, conflict."))
    message = serializers.CharField(help_text=_("Human-readable, in the request's language."))


class ErrorSerializer(serializers.Serializer):
    errors = ErrorItemSerializer(many=True)


def _error_response(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer, description=description, examples=[OpenApiExample(description, value={"errors": [example]})]
    )


ERROR_RESPONSES = {
    400: _error_response("Bad input", {"field": "round", "code": "unknown", "message": "Unknown round BD-1999."}),
    401: _error_response(
        "Not signed in", {"field": None, "code": "not_authenticated", "message": "Authentication credentials were not provided."}
    ),
    403: _error_response(
        "Out of role", {"field": None, "code": "permission_denied", "message": "Your role does not give access to personal data."}
    ),
    404: _error_response("Not found or out of scope", {"field": None, "code": "not_found", "message": "Not found."}),
}
THROTTLED_RESPONSE = {
    429: _error_response("Too many requests", {"field": None, "code": "throttled", "message": "Request was throttled."})
}
WRITE_ERROR_RESPONSES = {
    **ERROR_RESPONSES,
    409: _error_response(
        "Stale version", {"field": "version", "code": "conflict", "message": "This record was changed by someone else."}
    ),
}


MAX_JSON_DEPTH = 20


def _depth(value, limit: int) -> int:
    """How deeply `value` nests lists and objects (stops counting past `limit`)."""
    stack, deepest = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class SafeJSONParser(JSONParser):
    """JSON bodies nested beyond MAX_JSON_DEPTH are a 400, never a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply."))
        if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(_("The JSON body is nested too deeply."))
        return data
