"""Department case handling, mounted under /back-office/applications/ (outside the resident guard)."""

from django.urls import path

from services.eforms import casework_views as views

app_name = "eforms_cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("export/", views.export, name="export"),
    path("webhooks/", views.webhook_settings, name="webhooks"),
    path("webhooks/<slug:department_code>/", views.webhook_edit, name="webhook_edit"),
    path("<uuid:submission_id>/", views.case_detail, name="detail"),
    path("<uuid:submission_id>/status/", views.case_status, name="status"),
    path("<uuid:submission_id>/assign/", views.case_assign, name="assign"),
    path("<uuid:submission_id>/message/", views.case_message, name="message"),
    path(
        "<uuid:submission_id>/attachments/<uuid:attachment_id>/",
        views.case_attachment,
        name="attachment",
    ),
]
