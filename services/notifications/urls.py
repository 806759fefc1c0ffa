from django.urls import path

from services.notifications import views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox, name="index"),
    path("preferences/", views.preferences, name="preferences"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:message_id>/", views.message_detail, name="detail"),
    path("<int:message_id>/mark/", views.message_mark, name="mark"),
]
