import contextvars
import re
import time
import uuid

from django.utils.translation import gettext_lazy

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")


class RequestIdMiddleware:
    """Tags each request with an id so the audit events it writes can be grouped."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The server makes the id; a client's (a proxy's) is kept only when it is a plain token, so nothing
        # a caller sends lands in the audit trail verbatim.
        sent = request.headers.get("X-Request-Id", "")
        rid = sent if REQUEST_ID_PATTERN.fullmatch(sent) else uuid.uuid4().hex
        token = _request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-Id"] = rid
        return response


class VietnameseFirstMiddleware:
    """Vietnamese is the default language of the web UI, whatever the browser's language: the screens
    follow only the language the user picked (cookie). The API still honours Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        if not request.path.startswith("/api/") and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


NUL_MESSAGE = gettext_lazy("A NUL character is not allowed in an address or a parameter.")


class BadInputMiddleware:
    """A service or filter that refuses a page's parameters answers 400 naming them, never a 500.
    (The API maps the same exceptions in core.api.exception_handler.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in query or "%00" in query:
            return self._refuse(request, "path", NUL_MESSAGE)
        return self.get_response(request)

    def _refuse(self, request, field: str, message: str):
        from django.http import JsonResponse
        from django.shortcuts import render

        if request.path.startswith("/api/"):
            return JsonResponse({"errors": [{"field": field, "code": "invalid", "message": str(message)}]}, status=400)
        return render(request, "400_bad_input.html", {"errors": [(field, str(message))]}, status=400)

    def process_exception(self, request, exception):
        from django.core.exceptions import ValidationError
        from django.shortcuts import render

        if not isinstance(exception, ValidationError):
            return None
        if hasattr(exception, "error_dict"):
            errors = [(field, message) for field, messages in exception.message_dict.items() for message in messages]
        else:
            errors = [(None, message) for message in exception.messages]
        return render(request, "400_bad_input.html", {"errors": errors}, status=400)


class NoStoreForSignedInMiddleware:
    """Pages, exports and API answers given to a signed-in (or token) caller may carry personal data: no
    browser or proxy may keep a copy (`Cache-Control: no-store`). Answers that set their own policy keep it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = getattr(user, "is_authenticated", False) or "HTTP_AUTHORIZATION" in request.META
        if signed_in and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        return response


class SessionIdleMiddleware:
    """Sessions end after SESSION_COOKIE_AGE of inactivity: a signed-in request pushes the expiry forward, but
    writes the session at most every few minutes (not on every request, as SESSION_SAVE_EVERY_REQUEST would)."""

    REFRESH_SECONDS = 300

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False):
            now = int(time.time())
            if now - int(request.session.get("_seen", 0)) > self.REFRESH_SECONDS:
                request.session["_seen"] = now  # marks the session modified: saved with a new expiry
        return self.get_response(request)


class ApiErrorsAsJsonMiddleware:
    """Under /api/ every answer is JSON in the project's error format, also for a path that matches no route
    (Django would render its HTML 404, or its English technical page with DEBUG on) and for a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/v1/")
            and response.status_code in (404, 500)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return api_error_response(response.status_code)
        return response


def api_error_response(status: int):
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    if status == 404:
        error = {"field": None, "code": "not_found", "message": _("Not found.")}
    else:
        error = {"field": None, "code": "server_error", "message": _("The server met an error; it has been logged.")}
    return JsonResponse({"errors": [error]}, status=status)
