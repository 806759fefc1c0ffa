from django.urls import path

from eid import views

app_name = "eid"
urlpatterns = [
    path("step-up/", views.step_up, name="step_up"),
]
