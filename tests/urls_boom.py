"""The project's URLs plus one view that fails, to see the server-error answers (tests/test_errors.py)."""

from django.urls import path

from povreg.urls import handler500  # noqa: F401
from povreg.urls import urlpatterns as project_urls


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom), *project_urls]
