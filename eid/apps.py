from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EidConfig(AppConfig):
    name = "eid"
    verbose_name = _("Identity")

    def ready(self) -> None:
        from eid import signals  # noqa: F401  (connects the sign-in audit receivers)
