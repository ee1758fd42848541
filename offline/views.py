"""The offline entry app: its page (the shell the service worker keeps), the service worker and the web app manifest,
the signed-in check and the commune's package. Thin: reads come from offline.selectors, the audited download from
offline.services; everything the officer enters later goes through the API's own writes (households, assessments)."""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import PrefixNode, static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.access_log import note_access
from core.models import AccessChannel
from core.policy import Action, can
from households.models import MEMBER_FIELDS, Household, Member
from offline.selectors import offline_commune_get, offline_communes, offline_days, offline_expiry
from offline.services import offline_package_take

# The entry app's own files, kept by the service worker (besides the page itself and the JavaScript catalog).
STATIC_ASSETS = (
    "css/povreg.css",
    "js/povreg.js",
    "offline/offline.css",
    "offline/app.js",
    "offline/classify.js",
    "offline/db.js",
    "offline/sync.js",
    "offline/guard.js",
    "offline/icon-192.png",
    "offline/icon-512.png",
)
# Bumped when the service worker's own logic changes (its asset list and their contents change its version anyway).
SW_REVISION = "1"


def _json_error(field: str | None, code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"field": field, "code": code, "message": message}]}, status=status)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_GET
def entry_app(request):
    """The offline entry app's page: no household data in it (that lives on the device, in IndexedDB)."""
    if not can(request.user, Action.EDIT):
        raise PermissionDenied(_("Offline entry is for officers who enter households."))
    labels = {name: Member._meta.get_field(name).verbose_name for name in MEMBER_FIELDS}
    labels.update({name: Household._meta.get_field(name).verbose_name for name in ("code", "address", "hamlet")})
    return render(
        request,
        "offline/app.html",
        {"communes": list(offline_communes(request.user).values("code", "name")[:500]), "labels": labels, "days": offline_days()},
    )


def _static_prefix() -> str:
    return PrefixNode.handle_simple("STATIC_URL")


def _asset_urls() -> list[str]:
    """The assets' addresses: as the page names them (hashed in production) and plain, as the modules import one
    another ("./classify.js")."""
    urls = [static(name) for name in STATIC_ASSETS]
    urls += [_static_prefix() + name for name in STATIC_ASSETS]
    return list(dict.fromkeys(urls))


def _version(urls: list[str]) -> str:
    """Changes whenever an asset's address or content changes, so the browser installs the new worker."""
    digest = hashlib.sha256(SW_REVISION.encode())
    for url in urls:
        digest.update(url.encode())
    for name in STATIC_ASSETS:
        path = finders.find(name)
        if path:
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request):
    """The service worker, served from /offline/ so that its scope is the entry app (and nothing else of the site)."""
    urls = _asset_urls()
    context = {
        "version": _version(urls),
        "shell_url": reverse("offline:offline-app"),
        "assets_json": json.dumps([*urls, reverse("javascript-catalog"), reverse("offline:offline-manifest")]),
        "static_prefix_json": json.dumps(_static_prefix()),
    }
    response = render(request, "offline/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("offline:offline-app")
    return response


@require_GET
def manifest(request):
    """The web app manifest: the entry app installs on a tablet's home screen and opens without the browser bar."""
    app = reverse("offline:offline-app")
    data = {
        "name": _("Povreg: offline entry"),
        "short_name": _("Povreg entry"),
        "description": _("Register and assess households where there is no signal; send them when it returns."),
        "lang": get_language() or "vi",
        "start_url": app,
        "scope": app,
        "id": app,
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f6f7f9",
        "theme_color": "#0b3d70",
        "icons": [
            {"src": static("offline/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("offline/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def session(request):
    """Who is signed in, where they may enter, and until when a copy stays usable: the app asks on every start with
    a connection (a signed-in visit counts as a login and moves the expiry on)."""
    user = request.user
    may_enter = can(user, Action.EDIT)
    communes = list(offline_communes(user).values("code", "name")[:500]) if may_enter else []
    return _no_store(
        JsonResponse(
            {
                "user": {"id": user.pk, "username": user.get_username(), "name": user.get_full_name() or user.get_username()},
                "may_enter": may_enter,
                "communes": communes,
                "days": offline_days(),
                "expires_at": offline_expiry().isoformat(),
            },
            json_dumps_params={"ensure_ascii": False},
        )
    )


@login_required
@require_GET
def package(request):
    """ "Take offline": the package of one commune the user may enter (audited, and logged as personal-data access)."""
    user = request.user
    if not can(user, Action.EDIT):
        return _json_error(None, "permission_denied", _("Offline entry is for officers who enter households."), 403)
    code = request.GET.get("commune", "").strip()
    commune = offline_commune_get(user, code)
    if commune is None:
        if code:  # out of scope and unknown look alike
            return _json_error("commune", "not_found", _("Not found."), 404)
        return _json_error("commune", "required", _("Choose the commune to take offline."), 400)
    data, household_ids = offline_package_take(actor=user, commune=commune)
    note_access(request, household_ids, AccessChannel.EXPORT)
    return _no_store(JsonResponse(data, json_dumps_params={"ensure_ascii": False}))
