from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("<uuid:public_id>/", views.payment_detail, name="detail"),
    path("sandbox/<uuid:public_id>/", views.sandbox_page, name="sandbox"),
]
