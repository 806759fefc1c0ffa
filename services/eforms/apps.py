from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EformsConfig(AppConfig):
    name = "services.eforms"
    label = "eforms"
    verbose_name = _("Online forms")

    def ready(self) -> None:
        from payments.actions import payment_status_changed
        from services.eforms import receivers, service  # noqa: F401  (registers the service)

        payment_status_changed.connect(receivers.on_payment_status_changed, dispatch_uid="eforms.payment")
