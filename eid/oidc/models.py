"""Pairwise subject identifiers handed to relying parties."""

import uuid

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


class SandboxResident(models.Model):
    """A demo account that sandbox clients may sign in (set by `seed_demo`, or an administrator).

    Sandbox credentials are handed out at once, before anyone has checked the partner, so they
    must never reach a real resident's data: the authorization endpoint refuses every other account.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_resident"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox (demo) resident")
        verbose_name_plural = _("sandbox (demo) residents")

    def __str__(self) -> str:
        return str(self.user)


class PartnerOrganisation(models.Model):
    """A company (or a government department) that registers relying parties of the provider."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("organisation name"), max_length=200)
    business_registration_number = models.CharField(
        _("business registration number"), max_length=8, blank=True
    )
    contact_email = models.EmailField(_("contact email"))
    # Set for a department's own systems: their clients get one stable subject per department.
    department = models.ForeignKey(
        "eid.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")

    def __str__(self) -> str:
        return self.name


class PartnerMembership(models.Model):
    """A person who may manage an organisation's applications."""

    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner member")
        verbose_name_plural = _("partner members")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="eid_oidc_unique_partner_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class PartnerApplication(models.Model):
    """A relying party as its organisation registered it: a sandbox client at once, a production
    client once a portal administrator approves it."""

    class Status(models.TextChoices):
        SANDBOX = "sandbox", _("Sandbox")
        PENDING = "pending", _("Production access requested")
        APPROVED = "approved", _("Approved for production")
        REJECTED = "rejected", _("Production access refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.CASCADE, related_name="applications"
    )
    name = models.CharField(_("application name"), max_length=100)
    purpose_en = models.TextField(_("purpose (English)"))
    purpose_zh_hant = models.TextField(_("purpose (Traditional Chinese)"))
    purpose_zh_hans = models.TextField(_("purpose (Simplified Chinese)"))
    # Registration as submitted; the clients carry the same values (Client.data).
    registration = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SANDBOX)
    sandbox_client = models.OneToOneField(
        "allauth_idp_oidc.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    production_client = models.OneToOneField(
        "allauth_idp_oidc.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    production_secret_issued_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.TextField(blank=True)
    hkid_legal_basis = models.TextField(_("legal basis for the HKID"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("partner application")
        verbose_name_plural = _("partner applications")
        permissions = [("review_partnerapplication", _("Can approve or reject production access"))]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    def purpose_in(self, language: str) -> str:
        return {"zh-hant": self.purpose_zh_hant, "zh-hans": self.purpose_zh_hans}.get(
            language, self.purpose_en
        )


class SpentRefreshToken(models.Model):
    """A refresh token already exchanged (rotated), kept to detect its reuse (RFC 9700 §4.14.2).

    A rotated refresh token presented again means two parties hold the chain: the provider cannot
    tell the legitimate one, so it revokes every token of the family (the chain of rotations since
    the code exchange) and the client must send the resident through authorization again. Only the
    token's hash is kept, until the token would have expired.
    """

    hash = models.CharField(max_length=255, unique=True)
    client_id = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    family = models.CharField(max_length=32)
    spent_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.client_id} {self.family}"


class ConsentRecord(models.Model):
    """What a resident last agreed to share with a client (OIDC Core §3.1.2.4: the provider may
    remember consent). Asked again when the client asks for more than it asked for then, when the
    request says `prompt=consent`, and after the resident withdraws the client in "Connected
    services" (which deletes this row)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_id = models.CharField(max_length=255)
    requested = models.TextField(help_text="The scopes the client asked for, space-separated.")
    granted = models.TextField(help_text="The scopes the resident allowed, space-separated.")
    email = models.CharField(max_length=254, blank=True, help_text="The address chosen, if not the primary.")
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client_id"], name="eid_oidc_unique_consent"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.client_id}"
