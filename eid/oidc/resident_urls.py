from django.urls import path

from eid.oidc import resident_views

app_name = "eid_oidc"
urlpatterns = [
    path("", resident_views.connected_services_page, name="connected_services"),
    path(
        "<str:client_id>/withdraw/",
        resident_views.connected_service_withdraw,
        name="connected_service_withdraw",
    ),
]
