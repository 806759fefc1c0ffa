from django.urls import path

from services.eforms import views

app_name = "eforms"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.start, name="start"),
    path("drafts/<uuid:draft_id>/", views.resume, name="resume"),
    path("applications/<uuid:submission_id>/", views.confirmation, name="confirmation"),
]
