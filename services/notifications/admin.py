from django.contrib import admin

from services.notifications.models import (
    ApiKey,
    Broadcast,
    Message,
    Notification,
    NotificationTemplate,
    TemplateVersion,
)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "department", "created_at", "read_at"]
    list_filter = ["department", "notification_type"]
    list_select_related = ["recipient", "department"]
    raw_id_fields = ["recipient"]


class TemplateVersionInline(admin.TabularInline):
    model = TemplateVersion
    extra = 0
    can_delete = False
    readonly_fields = [field.name for field in TemplateVersion._meta.fields]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False  # new versions come from template_update, never an edit in place


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = [
        "notification_type",
        "department",
        "topic",
        "legally_required",
        "live_only",
        "current_version",
    ]
    list_filter = ["department", "topic", "legally_required", "live_only"]
    readonly_fields = ["public_id", "current_version"]
    inlines = [TemplateVersionInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "department", "channel", "status", "created_at", "is_test"]
    list_filter = ["status", "channel", "department", "is_test"]
    raw_id_fields = ["recipient", "message", "broadcast"]


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    list_display = ["public_id", "department", "district", "total", "created_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    # Keys are created with `manage.py notifications_api_key` (shown once); here they are only revoked.
    list_display = ["name", "department", "key_type", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["department", "name", "key_type", "prefix", "key_hash", "created_at"]
    # The callback secret is stored encrypted; it is set with the command, never shown.
    exclude = ["callback_secret"]

    def has_add_permission(self, request: object) -> bool:
        return False
