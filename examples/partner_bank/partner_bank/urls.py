from django.urls import path

from partner_bank import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/eid/", views.login, name="login"),
    path("login/eid/callback/", views.callback, name="callback"),
    path("account/", views.account, name="account"),
    path("logout/", views.logout, name="logout"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("logout/backchannel/", views.backchannel_logout, name="backchannel_logout"),
]
