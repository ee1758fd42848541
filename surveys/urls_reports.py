from django.urls import path, re_path

from surveys import views_reports as v

app_name = "reports"
FMT = r"(?P<fmt>xlsx|csv)"

urlpatterns = [
    path("", v.index, name="index"),
    path("rates/", v.rates, name="rates"),
    path("dashboard-charts/", v.dashboard_charts, name="dashboard-charts"),
    re_path(rf"^rates\.{FMT}$", v.rates_export, name="rates-export"),
    path("flows/", v.flows, name="flows"),
    re_path(rf"^flows\.{FMT}$", v.flows_export, name="flows-export"),
    path("deprivation/", v.deprivation, name="deprivation"),
    re_path(rf"^deprivation\.{FMT}$", v.deprivation_export, name="deprivation-export"),
    re_path(rf"^households\.{FMT}$", v.households_export, name="households-export"),
    path("import/", v.import_upload, name="import"),
    path("import/template.xlsx", v.import_template_download, name="import-template"),
    path("import/<str:token>/", v.import_preview, name="import-preview"),
    path("import/<str:token>/apply/", v.import_apply, name="import-apply"),
    path("import/<str:token>/cancel/", v.import_cancel, name="import-cancel"),
    path("import/<str:token>/progress/", v.import_progress, name="import-progress"),
    path("import/<str:token>/errors.xlsx", v.import_errors, name="import-errors"),
    path("simulation/", v.simulation, name="simulation"),
]
