"""The PKI's vocabulary: certificate profiles, revocation reasons, validity periods and policy OIDs."""

from datetime import timedelta

from cryptography import x509
from django.db import models
from django.utils.translation import gettext_lazy as _

ORGANIZATION = "eID Portal"
COUNTRY = "HK"

# Placeholder policy OIDs under the ITU-T "example" arc (2.999): replace with the operator's
# registered arc before production. Relying parties tell resident signatures from seals by these.
POLICY_RESIDENT_SIGNING = x509.ObjectIdentifier("2.999.852.1.1")
POLICY_DEPARTMENT_SEAL = x509.ObjectIdentifier("2.999.852.1.2")
# RFC 9336 id-kp-documentSigning.
EKU_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")

ROOT_VALIDITY = timedelta(days=20 * 365)
ISSUING_VALIDITY = timedelta(days=10 * 365)
OCSP_SIGNER_VALIDITY = timedelta(days=365)
RESIDENT_VALIDITY = timedelta(days=2 * 365)
SEAL_VALIDITY = timedelta(days=3 * 365)
TSA_VALIDITY = timedelta(days=5 * 365)
# The portal's own service certificates (OCSP responders, the time-stamping authority, department
# seals) are renewed this long before they expire, by the daily pki.renew_service_certificates task.
SERVICE_RENEW_BEFORE = timedelta(days=30)
# Residents hear this long before their signing certificate expires that they should renew it.
RENEWAL_NOTICE_BEFORE = timedelta(days=30)
# Back-date notBefore so a relying party whose clock is slightly behind accepts a fresh certificate.
CLOCK_SKEW = timedelta(minutes=5)

CRL_VALIDITY = timedelta(days=1)
# A cached CRL is re-signed when less than this remains before its nextUpdate.
CRL_REFRESH_BEFORE = timedelta(hours=12)
OCSP_VALIDITY = timedelta(hours=1)

# Each use of a portal-held key needs a second factor confirmed this recently (sole control).
SIGNING_STEP_UP_MAX_AGE = timedelta(minutes=5)

# Upload bounds: a CSR is a few hundred bytes; an OCSP request well under a kilobyte.
MAX_CSR_BYTES = 16 * 1024
MAX_OCSP_REQUEST_BYTES = 16 * 1024
# Documents and signatures uploaded for signing or verification.
MAX_VERIFY_BYTES = 10 * 1024 * 1024

ROOT_CA = "root"
ISSUING_CA = "issuing"


class Profile(models.TextChoices):
    SUB_CA = "sub_ca", _("Issuing CA")
    OCSP_SIGNING = "ocsp_signing", _("OCSP responder")
    RESIDENT_SIGNING = "resident_signing", _("Resident signing certificate")
    DEPARTMENT_SEAL = "department_seal", _("Department seal")
    TIMESTAMPING = "timestamping", _("Time-stamping authority")


class Status(models.TextChoices):
    GOOD = "good", _("Valid")
    REVOKED = "revoked", _("Revoked")


class RevocationReason(models.TextChoices):
    """RFC 5280 reason codes the portal uses (values are cryptography's ReasonFlags names)."""

    UNSPECIFIED = "unspecified", _("Unspecified")
    KEY_COMPROMISE = "key_compromise", _("Key compromised or device lost")
    AFFILIATION_CHANGED = "affiliation_changed", _("Details changed")
    SUPERSEDED = "superseded", _("Replaced by a new certificate")
    CESSATION_OF_OPERATION = "cessation_of_operation", _("No longer needed")
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn", _("Assurance level withdrawn")

    @property
    def flag(self) -> x509.ReasonFlags:
        return x509.ReasonFlags[self.value]


# What a resident may give as the reason for revoking their own certificate.
RESIDENT_REVOCATION_REASONS = {
    RevocationReason.UNSPECIFIED,
    RevocationReason.KEY_COMPROMISE,
    RevocationReason.CESSATION_OF_OPERATION,
}
