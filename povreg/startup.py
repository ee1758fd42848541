"""What a serving process checks before it answers anyone: failing closed (docs/deploy.md)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_start() -> None:
    """Stop a server started with DEBUG off and a missing or weak SECRET_KEY, with a clear message."""
    from django.conf import settings

    if getattr(settings, "SECRET_KEY_IS_WEAK", False):
        raise ImproperlyConfigured(settings.WEAK_SECRET_MESSAGE)
