from django.urls import path

from households import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
