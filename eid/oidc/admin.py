"""allauth's client admin, storing new secrets with the keyed hash (client_secrets.py)."""

from typing import Any

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.admin import ClientAdmin
from allauth.idp.oidc.models import Client
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from eid.oidc.client_secrets import client_secret_hash
from eid.oidc.models import PartnerApplication, SandboxResident


class EidClientAdmin(ClientAdmin):
    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        if not change and obj.type == Client.Type.CONFIDENTIAL:
            secret = get_adapter().generate_client_secret()
            obj.secret = client_secret_hash(secret)
            # Plain text (auto-escaped): the secret is shown once and never stored in clear.
            self.message_user(
                request,
                _("The client secret is shown only once: %(secret)s") % {"secret": secret},
                level=messages.WARNING,
            )
        # Skip allauth's save_model: it would overwrite the secret with a PBKDF2 hash.
        admin.ModelAdmin.save_model(self, request, obj, form, change)


admin.site.unregister(Client)
admin.site.register(Client, EidClientAdmin)


@admin.register(SandboxResident)
class SandboxResidentAdmin(admin.ModelAdmin):
    """Demo accounts that sandbox clients may sign in (seed_demo marks the demo residents)."""

    list_display = ["user", "created_at"]
    raw_id_fields = ["user"]


@admin.register(PartnerApplication)
class PartnerApplicationAdmin(admin.ModelAdmin):
    """Read-only: decisions go through the back-office queue, which audits and notifies."""

    list_display = ["name", "organisation", "status", "created_at", "requested_at"]
    list_filter = ["status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
