"""Certificate authorities, the certificates they issued, and the encrypted private keys."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eid.models import Department
from eid.pki.constants import Profile, RevocationReason, Status


class PrivateKeyRecord(models.Model):
    """One private key as encrypted PKCS#8 PEM; written and read only by eid.pki.keystore."""

    name = models.CharField(max_length=200, unique=True)
    encrypted_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("private key")
        verbose_name_plural = _("private keys")

    def __str__(self) -> str:
        return self.name


class CertificateAuthority(models.Model):
    """A CA of the portal ("root", "issuing"); also caches its current CRL until it changes."""

    name = models.SlugField(_("name"), max_length=32, unique=True)
    certificate_pem = models.TextField(_("certificate"))
    key_name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The CRL cache: None means "stale, sign a new one on the next request".
    crl_number = models.PositiveBigIntegerField(default=0)
    crl_der = models.BinaryField(null=True, blank=True)
    crl_next_update = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("certificate authority")
        verbose_name_plural = _("certificate authorities")

    def __str__(self) -> str:
        return self.name


class IssuedCertificate(models.Model):
    """Every certificate a CA of the portal signed: the register behind the CRLs and OCSP."""

    issuer = models.ForeignKey(CertificateAuthority, on_delete=models.PROTECT, related_name="issued")
    # Hex, lower case: serials are up to 159 bits, too wide for a database integer.
    serial = models.CharField(_("serial number"), max_length=64)
    profile = models.CharField(_("profile"), max_length=32, choices=Profile.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certificates",
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="seal_certificates"
    )
    subject = models.CharField(_("subject"), max_length=500)
    certificate_pem = models.TextField(_("certificate"))
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    # The key-store name of a portal-held key; empty when the holder keeps the key (from a CSR).
    key_name = models.CharField(max_length=200, blank=True)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.GOOD)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("revocation reason"), max_length=32, choices=RevocationReason.choices, blank=True
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the holder was told the certificate expires soon (once per certificate).
    renewal_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("issued certificate")
        verbose_name_plural = _("issued certificates")
        constraints = [models.UniqueConstraint(fields=["issuer", "serial"], name="pki_unique_serial")]
        indexes = [models.Index(fields=["user", "profile", "status"], name="pki_user_profile_status")]

    def __str__(self) -> str:
        return f"{self.subject} ({self.serial})"
