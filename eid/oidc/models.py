"""Pairwise subject identifiers handed to relying parties."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PairwiseSubject(models.Model):
    """A `sub` given out in one sector, kept so the provider can map it back to the resident.

    The value is an HMAC and cannot be reversed; allauth looks residents up by `sub` (code exchange,
    `id_token_hint`), so the first time a resident signs in to a sector the pair is recorded.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sector = models.CharField(_("sector identifier"), max_length=255)
    sub = models.CharField(_("subject identifier"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pairwise subject")
        verbose_name_plural = _("pairwise subjects")
        constraints = [
            models.UniqueConstraint(fields=["sector", "sub"], name="eid_oidc_unique_sector_sub"),
            models.UniqueConstraint(fields=["sector", "user"], name="eid_oidc_unique_sector_user"),
        ]

    def __str__(self) -> str:
        return f"{self.sector}: {self.sub}"


class SeenJwtId(models.Model):
    """A `jti` already accepted (private_key_jwt assertions, DPoP proofs), kept until it expires.

    In the database, not the cache: a replay must be refused by every worker, and the unique
    constraint makes "first use wins" atomic.
    """

    purpose = models.CharField(max_length=32)
    issuer = models.CharField(max_length=255)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["purpose", "issuer", "jti"], name="eid_oidc_unique_jti"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.issuer} {self.jti}"


class PushedAuthorizationRequest(models.Model):
    """An authorization request pushed by a client (RFC 9126), waiting to be used at /authorize.

    In the database so any worker can serve the authorization request. Only a hash of the
    `request_uri` is kept. Single use: `consumed_at` is set when the authorization response
    (a code or an error) is produced.
    """

    reference_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=100)
    parameters = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    # First visit at /authorize: from then on the resident has the interaction window to sign in.
    started_at = models.DateTimeField(null=True, blank=True)
    login_prompted = models.BooleanField(default=False)
    consumed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.client_id} {self.created_at:%Y-%m-%d %H:%M:%S}"
