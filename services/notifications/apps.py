from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "services.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from services.notifications import service  # noqa: F401  (registers the service)
