"""Read-only admin views of the register: changes go through eid.pki.actions (audited), never here.

Private keys are deliberately not registered.
"""

from django.contrib import admin
from django.http import HttpRequest

from eid.pki.models import CertificateAuthority, IssuedCertificate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["name", "created_at", "crl_number", "crl_next_update"]
    exclude = ["crl_der", "key_name"]


@admin.register(IssuedCertificate)
class IssuedCertificateAdmin(ReadOnlyAdmin):
    list_display = ["serial", "profile", "subject", "status", "not_after", "revoked_at"]
    list_filter = ["profile", "status", "issuer"]
    search_fields = ["serial", "subject", "user__email"]
    exclude = ["key_name"]
