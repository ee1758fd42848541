from django.urls import path, re_path

from surveys.imports.urls import urlpatterns as import_urls
from surveys.reports import views as v
from surveys.reports import views_export, views_simulation

app_name = "reports"
FMT = r"(?P<fmt>xlsx|csv)"

urlpatterns = [
    path("", v.index, name="index"),
    path("rates/", v.rates, name="rates"),
    path("dashboard-charts/", v.dashboard_charts, name="dashboard-charts"),
    re_path(rf"^rates\.{FMT}$", views_export.rates_export, name="rates-export"),
    path("flows/", v.flows, name="flows"),
    re_path(rf"^flows\.{FMT}$", views_export.flows_export, name="flows-export"),
    path("deprivation/", v.deprivation, name="deprivation"),
    re_path(rf"^deprivation\.{FMT}$", views_export.deprivation_export, name="deprivation-export"),
    re_path(rf"^households\.{FMT}$", views_export.households_export, name="households-export"),
    path("simulation/", views_simulation.simulation, name="simulation"),
]
urlpatterns += import_urls  # the import pages keep their names in the "reports" namespace
