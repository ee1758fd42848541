from django.urls import path

from surveys.approval import views, views_appeals, views_monthly, views_print, views_steps

app_name = "approval"

urlpatterns = [
    path("", views.index, name="index"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue-bulk"),
    path("appeals/", views_appeals.appeal_list, name="appeals"),
    path("appeals/new/", views_appeals.appeal_new, name="appeal_new"),
    path("appeals/<int:pk>/", views_appeals.appeal_detail, name="appeal"),
    path("applications/", views_monthly.applications, name="applications"),
    path("applications/new/", views_monthly.application_add, name="application_add"),
    path("applications/<int:pk>/decide/", views_monthly.application_decide, name="application_decide"),
    path("<str:round_code>/", views.overview, name="overview"),
    path("<str:round_code>/decision/", views_steps.round_decision_add, name="round_decision"),
    path("<str:round_code>/decision/<int:pk>/file/", views_steps.round_decision_file, name="round_decision_file"),
    path("<str:round_code>/<str:commune_code>/", views.detail, name="detail"),
    path("<str:round_code>/<str:commune_code>/start/", views.start, name="start"),
    path("<str:round_code>/<str:commune_code>/meetings/", views_steps.meeting_add, name="meeting_add"),
    path("<str:round_code>/<str:commune_code>/postings/", views_steps.posting_add, name="posting_add"),
    path("<str:round_code>/<str:commune_code>/recognition/record/", views_steps.recognition_add, name="recognition_add"),
    path("<str:round_code>/<str:commune_code>/certificate/<str:household_code>/", views_print.certificate, name="certificate"),
    path("<str:round_code>/<str:commune_code>/<str:kind>/<int:pk>/withdraw/", views_steps.step_withdraw, name="step_withdraw"),
    path("<str:round_code>/<str:commune_code>/posting/", views_print.print_posting, name="print_posting"),
    path("<str:round_code>/<str:commune_code>/posting.xlsx", views_print.posting_xlsx, name="posting_xlsx"),
    path("<str:round_code>/<str:commune_code>/recognition/", views_print.print_recognition, name="print_recognition"),
    path("<str:round_code>/<str:commune_code>/recognition.xlsx", views_print.recognition_xlsx, name="recognition_xlsx"),
    path("<str:round_code>/<str:commune_code>/<slug:action>/", views.transition, name="transition"),
]
