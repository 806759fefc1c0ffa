from django.urls import path

from eid.pki import backoffice_views

urlpatterns = [
    path("", backoffice_views.certificate_search, name="back_office_certificates"),
    path(
        "<int:certificate_id>/revoke/",
        backoffice_views.certificate_officer_revoke,
        name="back_office_certificate_revoke",
    ),
]
