from django.urls import path

from dedupe import views

app_name = "dedupe"

urlpatterns = [
    path("", views.queue, name="duplicates"),
    path("<int:pk>/", views.pair, name="duplicate"),
    path("<int:pk>/decide/", views.decide, name="duplicate-decide"),
    path("scan/", views.scan, name="duplicates-scan"),
    path("check/", views.check, name="duplicates-check"),
]
