"""View decorators of the registry's pages, shared with the assessment pages of `surveys`."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from households.models import communes_visible_to


def personal_data_required(view):
    """Signed in, and assigned to a unit with a role that may read households: deny by default."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not communes_visible_to(request.user).exists():
            raise PermissionDenied(_("Your account has no access to household data."))
        return view(request, *args, **kwargs)

    return wrapper
