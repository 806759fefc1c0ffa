"""The form builder, mounted under /back-office/forms/ (outside the resident-facing guard)."""

from django.urls import path

from services.eforms import builder_views as views

app_name = "eforms_builder"
urlpatterns = [
    path("", views.form_list, name="list"),
    path("new/", views.form_new, name="new"),
    path("<uuid:form_id>/", views.form_detail, name="form"),
    path("<uuid:form_id>/new-version/", views.version_new, name="version_new"),
    path("<uuid:form_id>/retire/", views.form_retire, name="retire"),
    path("<uuid:form_id>/v<int:number>/settings/", views.version_settings, name="settings"),
    path("<uuid:form_id>/v<int:number>/json/", views.version_json, name="json"),
    path("<uuid:form_id>/v<int:number>/pages/new/", views.page_edit, name="page_new"),
    path("<uuid:form_id>/v<int:number>/pages/<int:page_index>/", views.page_edit, name="page_edit"),
    path(
        "<uuid:form_id>/v<int:number>/pages/<int:page_index>/fields/new/", views.field_edit, name="field_new"
    ),
    path(
        "<uuid:form_id>/v<int:number>/pages/<int:page_index>/fields/<int:field_index>/",
        views.field_edit,
        name="field_edit",
    ),
    path("<uuid:form_id>/v<int:number>/structure/", views.structure_change, name="structure"),
    path("<uuid:form_id>/v<int:number>/publish/", views.version_publish, name="publish"),
    path("<uuid:form_id>/v<int:number>/preview/", views.version_preview, name="preview"),
]
