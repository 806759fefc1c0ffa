from django.contrib import admin

from services.notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "department", "created_at", "read_at"]
    list_filter = ["department", "notification_type"]
    list_select_related = ["recipient", "department"]
    raw_id_fields = ["recipient"]
