from django.urls import path

from payments import views

app_name = "payments_backoffice"
urlpatterns = [
    path("", views.officer_report, name="report"),
    path("<uuid:public_id>/", views.officer_payment, name="payment"),
]
