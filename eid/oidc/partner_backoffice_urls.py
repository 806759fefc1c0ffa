from django.urls import path

from eid.oidc import partner_views

app_name = "eid_partners_backoffice"
urlpatterns = [
    path("", partner_views.review_queue, name="queue"),
    path("<uuid:public_id>/", partner_views.review_detail, name="detail"),
]
