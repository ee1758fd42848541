"""The server-error page: our own, in the user's language, with no context that could fail again."""

from django.http import HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from core.middleware import api_error_response


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    if request.path.startswith("/api/"):
        return api_error_response(500)
    try:
        template = loader.get_template(template_name)
        return HttpResponseServerError(template.render({"request_id": request.META.get("HTTP_X_REQUEST_ID", "")}))
    except Exception:  # the page that reports an error must not fail itself
        return HttpResponseServerError("<!doctype html><h1>Lỗi máy chủ / Server error (500)</h1>", content_type="text/html")
