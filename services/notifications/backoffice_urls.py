"""Officer pages, mounted under /back-office/messages/ (outside the resident-facing guard)."""

from django.urls import path

from services.notifications import views

app_name = "inbox_backoffice"
urlpatterns = [
    path("", views.officer_sent_messages, name="sent"),
    path("<int:message_id>/", views.officer_message_detail, name="detail"),
    path("templates/", views.officer_template_list, name="templates"),
    path("templates/<uuid:template_id>/", views.officer_template_preview, name="template"),
    path(
        "templates/<uuid:template_id>/v<int:version>/",
        views.officer_template_preview,
        name="template_version",
    ),
]
