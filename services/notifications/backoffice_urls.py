"""Officer pages, mounted under /back-office/messages/ (outside the resident-facing guard)."""

from django.urls import path

from services.notifications import views

app_name = "inbox_backoffice"
urlpatterns = [
    path("", views.officer_sent_messages, name="sent"),
    path("<int:message_id>/", views.officer_message_detail, name="detail"),
]
