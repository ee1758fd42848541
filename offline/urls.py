from django.urls import path

from offline import views

app_name = "offline"

urlpatterns = [
    path("", views.entry_app, name="offline-app"),
    path("sw.js", views.service_worker, name="offline-sw"),
    path("manifest.webmanifest", views.manifest, name="offline-manifest"),
    path("session/", views.session, name="offline-session"),
    path("package/", views.package, name="offline-package"),
]
