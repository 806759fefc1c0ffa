from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EformsConfig(AppConfig):
    name = "services.eforms"
    label = "eforms"
    verbose_name = _("Online forms")

    def ready(self) -> None:
        # asn1crypto.tsp adds signing_certificate_v2 to CMSAttributeType's names; if a CMS signature
        # (sign_for_resident) builds that type's reverse map first, a later pdf_seal in the same
        # process fails. Importing it at start-up keeps the map complete (see the report: eid/pki).
        import asn1crypto.tsp  # noqa: F401

        from payments.actions import payment_status_changed
        from services.eforms import receivers, service  # noqa: F401  (registers the service)

        payment_status_changed.connect(receivers.on_payment_status_changed, dispatch_uid="eforms.payment")
