"""Pages reached from an email without signing in, mounted at /<lang>/notifications/."""

from django.urls import path

from services.notifications import views

app_name = "notifications_public"
urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
