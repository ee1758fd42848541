"""Small helpers shared by the surveys pages (approval, monthly review): turning a refused write into messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError


def error_messages(request, exc: ValidationError) -> None:
    """Each message of a service's ValidationError becomes a message on the next page."""
    for message in exc.messages:
        messages.error(request, message)


def form_error_messages(request, form) -> None:
    """A step form posted from a page section: each error becomes a message naming its field."""
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {error}")
