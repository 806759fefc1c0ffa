"""Reads of the PKI: CAs with their parsed certificates and keys, and residents' certificates."""

from functools import lru_cache

from cryptography import x509
from django.db.models import QuerySet
from django.utils import timezone

from eid.models import Department, User
from eid.pki.builders import Issuer
from eid.pki.constants import Profile, Status
from eid.pki.keystore import ca_keystore
from eid.pki.models import CertificateAuthority, IssuedCertificate


@lru_cache(maxsize=128)
def parse_certificate(pem: str) -> x509.Certificate:
    """Parsed certificates by PEM text (immutable), so hot paths like OCSP parse each once."""
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def ca_get(name: str) -> CertificateAuthority | None:
    return CertificateAuthority.objects.filter(name=name).first()


def ca_issuer(ca: CertificateAuthority) -> Issuer:
    return Issuer(
        certificate=parse_certificate(ca.certificate_pem),
        key=ca_keystore().load_private_key(ca.key_name),
        ca_name=ca.name,
    )


def ocsp_signer_for(ca: CertificateAuthority) -> IssuedCertificate | None:
    """The CA's current delegated OCSP responder certificate."""
    return (
        IssuedCertificate.objects.filter(
            issuer=ca, profile=Profile.OCSP_SIGNING, status=Status.GOOD, not_after__gt=timezone.now()
        )
        .order_by("-not_after")
        .first()
    )


def certificates_of_user(user: User) -> QuerySet[IssuedCertificate]:
    return IssuedCertificate.objects.filter(user=user, profile=Profile.RESIDENT_SIGNING)


def certificate_current_for_user(user: User, *, remote_key: bool = False) -> IssuedCertificate | None:
    """The resident's newest valid signing certificate (with a portal-held key if `remote_key`)."""
    queryset = certificates_of_user(user).filter(status=Status.GOOD, not_after__gt=timezone.now())
    if remote_key:
        queryset = queryset.exclude(key_name="")
    return queryset.order_by("-not_after", "-pk").first()


def seal_certificate_for(department: Department) -> IssuedCertificate | None:
    return (
        IssuedCertificate.objects.filter(
            department=department,
            profile=Profile.DEPARTMENT_SEAL,
            status=Status.GOOD,
            not_after__gt=timezone.now(),
        )
        .order_by("-not_after", "-pk")
        .first()
    )
