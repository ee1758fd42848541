"""One error format for the whole API: {"errors": [{"field", "code", "message"}]}.

Services raise Django exceptions (ValidationError, PermissionDenied, ObjectDoesNotExist); this handler
maps them, and DRF's own, to HTTP so that bad input never becomes a 500.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ConflictError


def _flatten(detail, field: str | None = None) -> list[dict]:
    errors: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
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
        errors.append(
            {"field": field, "code": getattr(detail, "code", None) or "invalid", "message": str(detail)}
        )
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
            {"errors": [{"field": exc.field, "code": "conflict", "message": str(exc)}]},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, (Http404, PermissionDenied)):
        pass  # DRF maps both
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
