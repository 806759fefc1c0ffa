from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "services.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from eid.public import resident_notice
        from services.notifications import receivers, service  # noqa: F401  (registers the service)

        resident_notice.connect(receivers.deliver_resident_notice, dispatch_uid="inbox.resident_notice")
