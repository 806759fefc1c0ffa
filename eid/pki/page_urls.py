"""The public verification page, language-prefixed like every page."""

from django.urls import path

from eid.pki import views

app_name = "verify"
urlpatterns = [path("", views.verify_page, name="home")]
