"""Mounted at /api/v1/notifications/ (outside the language prefix)."""

from django.urls import path

from services.notifications import api, provider_views

app_name = "notifications_api"
urlpatterns = [
    path("", api.NotificationListView.as_view(), name="list"),
    path("broadcasts/", api.BroadcastListView.as_view(), name="broadcasts"),
    path("sms/status/", provider_views.sms_status, name="sms_status"),
    path("broadcasts/<str:broadcast_id>/", api.BroadcastDetailView.as_view(), name="broadcast"),
    path("<str:notification_id>/", api.NotificationDetailView.as_view(), name="detail"),
]
