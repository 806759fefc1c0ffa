from django.urls import path

from services.eforms import my_applications_views, views

app_name = "eforms"
urlpatterns = [
    path("", views.index, name="index"),
    path("drafts/<uuid:draft_id>/", views.resume, name="resume"),
    path("drafts/<uuid:draft_id>/consent/", views.consent, name="consent"),
    path("drafts/<uuid:draft_id>/page/<slug:page_key>/", views.page, name="page"),
    path("drafts/<uuid:draft_id>/check/", views.check, name="check"),
    path("drafts/<uuid:draft_id>/sign/", views.sign, name="sign"),
    path("drafts/<uuid:draft_id>/submit/", views.submit, name="submit"),
    path("drafts/<uuid:draft_id>/saved/", views.saved, name="saved"),
    path("drafts/<uuid:draft_id>/restart/", views.restart, name="restart"),
    path("drafts/<uuid:draft_id>/closed/", views.closed, name="closed"),
    path(
        "drafts/<uuid:draft_id>/wrong-value/<slug:field_key>/",
        views.report_wrong_value,
        name="report_wrong_value",
    ),
    path("applications/<uuid:submission_id>/", views.confirmation, name="confirmation"),
    path("applications/<uuid:submission_id>/pay/", views.pay, name="pay"),
    path("applications/<uuid:submission_id>/receipt.pdf", views.receipt, name="receipt"),
    path("attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
    # "My applications" and the resident's side of case handling (services/eforms/my_applications_views.py).
    path("applications/", my_applications_views.my_applications, name="my_applications"),
    path("applications/<uuid:submission_id>/reply/", my_applications_views.reply, name="reply"),
    path("applications/<uuid:submission_id>/withdraw/", my_applications_views.withdraw, name="withdraw"),
    path("<slug:slug>/", views.start, name="start"),
]
