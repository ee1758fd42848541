from django.urls import path

from surveys import views

urlpatterns = [
    path("households/<str:code>/assessment/", views.assessment_entry, name="assessment-entry"),
    path("households/<str:code>/assessment/preview/", views.assessment_preview, name="assessment-preview"),
]
