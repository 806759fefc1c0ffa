from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("<uuid:public_id>/", views.payment_detail, name="detail"),
    path("<uuid:public_id>/receipt.pdf", views.receipt_download, name="receipt"),
    path("<uuid:public_id>/card/", views.stripe_card_page, name="card"),
    path("sandbox/<uuid:public_id>/", views.sandbox_page, name="sandbox"),
]
