"""PAdES signing of PDFs with pyHanko.

Baseline B-B embeds the signer and issuing CA certificates. With `LtvMaterial` the signature is
B-LT: a time-stamp from the portal's own TSA, and a document security store (DSS) holding the chain
and the CRLs of the portal's CAs, handed in from the database (nothing is fetched over the network).
"""

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from eid.errors import ApplicationError
from eid.pki.constants import MAX_VERIFY_BYTES

PDF_MAGIC = b"%PDF-"


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def asn1_private_key(key: PrivateKeyTypes) -> asn1_keys.PrivateKeyInfo:
    """pyHanko signs with asn1crypto objects: the key as unencrypted PKCS#8, in memory only."""
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


class PortalTimeStamper(DummyTimeStamper):
    """pyHanko's in-process RFC 3161 time-stamper, signing with the already loaded TSA key.

    The parent reloads the RSA key from DER for every token, and cryptography's RSA key checks make
    that ~100 ms; a signature asks for two tokens (one to size the placeholder).
    """

    def __init__(self, *, tsa_key: RSAPrivateKey, **kwargs: object) -> None:
        super().__init__(tsa_key=asn1_private_key(tsa_key), **kwargs)
        self._rsa_key = tsa_key

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, asn1_cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = asn1_cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", asn1_cms.Time({"utc_time": asn1_core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._rsa_key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


@dataclass(frozen=True)
class LtvMaterial:
    """What a B-LT signature needs: the TSA's certificate and key, the trust anchor, and revocation data."""

    tsa_certificate: x509.Certificate
    tsa_key: RSAPrivateKey
    root: x509.Certificate
    intermediates: list[x509.Certificate]
    crls: list[bytes]

    def timestamper(self) -> DummyTimeStamper:
        # The portal is its own TSA, in process (no HTTP round trip).
        return PortalTimeStamper(
            tsa_cert=asn1_certificate(self.tsa_certificate),
            tsa_key=self.tsa_key,
            certs_to_embed=SimpleCertificateStore.from_certs(
                [asn1_certificate(c) for c in self.intermediates]
            ),
        )

    def validation_context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=[asn1_certificate(self.root)],
            other_certs=[asn1_certificate(c) for c in self.intermediates],
            crls=self.crls,
            allow_fetching=False,
            revocation_mode="hard-fail",
        )


def pdf_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer over `pdf`, or a 4xx-able error for anything that is not a PDF."""
    if len(pdf) > MAX_VERIFY_BYTES:
        raise ApplicationError(_("The PDF is too large."), code="too_large")
    if not pdf.lstrip()[:5] == PDF_MAGIC:
        raise ApplicationError(_("This file is not a PDF."), code="not_pdf")
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, TypeError, KeyError, IndexError, RecursionError) as error:
        raise ApplicationError(_("This file is not a readable PDF."), code="not_pdf") from error


def pades_sign(
    *,
    pdf: bytes,
    certificate: x509.Certificate,
    key: PrivateKeyTypes,
    chain: list[x509.Certificate],
    field_name: str = "Signature1",
    ltv: LtvMaterial | None = None,
) -> bytes:
    writer = pdf_writer(pdf)
    signing_key = asn1_private_key(key)
    signer = signers.SimpleSigner(
        signing_cert=asn1_certificate(certificate),
        signing_key=signing_key,
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        embed_roots=False,
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=ltv is not None,
        validation_context=ltv.validation_context() if ltv is not None else None,
    )
    try:
        return signers.sign_pdf(
            writer, metadata, signer=signer, timestamper=ltv.timestamper() if ltv is not None else None
        ).getvalue()
    except (PdfError, ValueError, TypeError, KeyError, IndexError, RecursionError) as error:
        raise ApplicationError(_("This PDF could not be signed."), code="not_pdf") from error
