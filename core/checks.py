"""System checks of Povreg's own fail-closed settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_strength(app_configs, **kwargs):
    if getattr(settings, "SECRET_KEY_IS_WEAK", False):
        return [Error(settings.WEAK_SECRET_MESSAGE, id="povreg.E001")]
    return []
