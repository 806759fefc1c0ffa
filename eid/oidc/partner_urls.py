from django.urls import path

from eid.oidc import partner_views

app_name = "eid_partners"
urlpatterns = [
    path("", partner_views.partner_home, name="home"),
    path("organisations/new/", partner_views.organisation_new, name="organisation_new"),
    path("organisations/<uuid:public_id>/", partner_views.organisation_detail, name="organisation"),
    path(
        "organisations/<uuid:public_id>/members/<int:membership_id>/remove/",
        partner_views.member_remove,
        name="member_remove",
    ),
    path(
        "organisations/<uuid:public_id>/applications/new/",
        partner_views.application_new,
        name="application_new",
    ),
    path("applications/<uuid:public_id>/", partner_views.application_detail, name="application"),
    path(
        "applications/<uuid:public_id>/request-production/",
        partner_views.application_request_production,
        name="request_production",
    ),
    path(
        "applications/<uuid:public_id>/production-credentials/",
        partner_views.production_credentials,
        name="production_credentials",
    ),
]
