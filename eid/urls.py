from django.urls import path

from eid.views import security, step_up, verification

app_name = "eid"
urlpatterns = [
    path("step-up/", step_up.step_up, name="step_up"),
    path("security/", security.security_home, name="security"),
    path("verification/", verification.verification_home, name="verification"),
    path(
        "verification/<int:request_id>/withdraw/",
        verification.verification_withdraw,
        name="verification_withdraw",
    ),
]
