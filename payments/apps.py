from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from payments import notices
        from payments.actions import payment_status_changed

        payment_status_changed.connect(notices.on_payment_status_changed, dispatch_uid="payments.notices")
