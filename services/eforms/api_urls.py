"""Mounted at /api/v1/eforms/ (outside the language prefix)."""

from django.urls import path

from services.eforms import api

app_name = "eforms_api"
urlpatterns = [
    path("forms/", api.FormListView.as_view(), name="forms"),
    path("forms/<uuid:form_id>/", api.FormDetailView.as_view(), name="form"),
    path("submissions/", api.SubmissionListView.as_view(), name="submissions"),
    path("submissions/<uuid:submission_id>/", api.SubmissionDetailView.as_view(), name="submission"),
    path("submissions/<uuid:submission_id>/status/", api.SubmissionStatusView.as_view(), name="status"),
    path(
        "submissions/<uuid:submission_id>/attachments/<uuid:attachment_id>/",
        api.AttachmentDownloadView.as_view(),
        name="attachment",
    ),
]
