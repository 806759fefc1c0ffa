from django.urls import path

from eid.views import verification

urlpatterns = [
    path("", verification.officer_queue, name="back_office_verification_queue"),
    path("<int:request_id>/", verification.officer_review, name="back_office_verification_review"),
]
