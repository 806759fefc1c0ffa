from django.urls import path

from eid.pki import resident_views

app_name = "signing"
urlpatterns = [path("", resident_views.signing_home, name="home")]
