from csp.decorators import csp_exempt
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", include("povreg.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The vendored Swagger UI and ReDoc start from an inline script: their pages (no personal data) are
    # exempt from the Content Security Policy that every other page gets.
    path("api/docs/", csp_exempt()(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", csp_exempt()(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("lists/", include("surveys.urls_approval")),
    path("reports/", include("surveys.urls_reports")),
    path("", include("households.urls")),
    path("", include("surveys.urls")),
]
