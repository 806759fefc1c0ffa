from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PkiConfig(AppConfig):
    name = "eid.pki"
    label = "pki"
    verbose_name = _("Certificate authority")
