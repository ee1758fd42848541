from django.urls import path

from households import views, views_forms, views_quality, views_rehoming

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("households/", views.household_list, name="household-list"),
    path("households/new/", views_forms.household_create_view, name="household-create"),
    path("households/<str:code>/", views.household_detail, name="household-detail"),
    path("households/<str:code>/edit/", views_forms.household_edit_view, name="household-edit"),
    path("households/<str:code>/status/", views.household_status_view, name="household-status"),
    path("hamlets/options/", views.hamlet_options, name="hamlet-options"),
    path("units/rehome/", views_rehoming.rehome, name="units-rehome"),
    path("quality/", views_quality.data_quality, name="data-quality"),
]
