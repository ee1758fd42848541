"""The import pages, included by `surveys.urls_reports` (their names stay in the "reports" namespace)."""

from django.urls import path

from surveys.imports import views as v

urlpatterns = [
    path("import/", v.import_upload, name="import"),
    path("import/template.xlsx", v.import_template_download, name="import-template"),
    path("import/<str:token>/", v.import_preview, name="import-preview"),
    path("import/<str:token>/apply/", v.import_apply, name="import-apply"),
    path("import/<str:token>/cancel/", v.import_cancel, name="import-cancel"),
    path("import/<str:token>/progress/", v.import_progress, name="import-progress"),
    path("import/<str:token>/errors.xlsx", v.import_errors, name="import-errors"),
]
