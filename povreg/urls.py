from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import two_factor
from core import views as core_views
from core.forms import AdminLoginForm, LoginForm

admin.site.login_form = AdminLoginForm
admin.site.site_header = _("Povreg: administration")
admin.site.site_title = _("Povreg administration")
admin.site.index_title = _("Standards, rounds, units and users")

DOCS_CSP = csp_update({"script-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", include("povreg.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The vendored Swagger UI and ReDoc start from an inline script (and ReDoc from a blob: worker): their pages
    # (no personal data) allow those, and nothing else: no request leaves for another host (ReDoc's footer
    # logo from its CDN is blocked before it is fetched).
    path("api/docs/", DOCS_CSP(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", DOCS_CSP(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", two_factor.verify, name="two-factor"),
    path("jobs/", core_views.job_list, name="jobs"),
    path("jobs/<int:pk>/file/", core_views.job_file, name="job-file"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("lists/", include("surveys.approval.urls")),
    path("reports/", include("surveys.reports.urls")),
    path("duplicates/", include("dedupe.urls")),
    path("offline/", include("offline.urls")),
    path("", include("households.urls")),
    path("", include("surveys.urls")),
]

handler500 = "core.errors.server_error"

# Password reset by e-mail only where mail can actually be sent (EMAIL_HOST set); otherwise it is not offered
# at all, rather than answering "sent" for a mail that never leaves.
if settings.EMAIL_CONFIGURED:
    urlpatterns.insert(0, path("accounts/", include("django.contrib.auth.urls")))
