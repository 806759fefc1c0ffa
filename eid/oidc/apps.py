from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    """The portal's OpenID Connect provider: allauth.idp.oidc extended through its adapter."""

    name = "eid.oidc"
    label = "eid_oidc"
    verbose_name = _("Login with eID (OpenID Connect)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from eid.oidc import checks as _checks  # noqa: F401
        from eid.oidc import receivers as _receivers  # noqa: F401
