from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EidConfig(AppConfig):
    name = "eid"
    verbose_name = _("Identity")

    def ready(self) -> None:
        from eid import checks, signals  # noqa: F401  (system checks; the sign-in audit receivers)
