"""PAdES signing of PDFs with pyHanko (baseline B-B: signer and issuing CA certificates embedded)."""

from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eid.errors import ApplicationError
from eid.pki.constants import MAX_VERIFY_BYTES

PDF_MAGIC = b"%PDF-"


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def pdf_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer over `pdf`, or a 4xx-able error for anything that is not a PDF."""
    if len(pdf) > MAX_VERIFY_BYTES:
        raise ApplicationError(_("The PDF is too large."), code="too_large")
    if not pdf.lstrip()[:5] == PDF_MAGIC:
        raise ApplicationError(_("This file is not a PDF."), code="not_pdf")
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, TypeError, KeyError, IndexError) as error:
        raise ApplicationError(_("This file is not a readable PDF."), code="not_pdf") from error


def pades_sign(
    *,
    pdf: bytes,
    certificate: x509.Certificate,
    key: PrivateKeyTypes,
    chain: list[x509.Certificate],
    field_name: str = "Signature1",
) -> bytes:
    writer = pdf_writer(pdf)
    # pyHanko signs with asn1crypto objects: hand it the key as unencrypted PKCS#8, in memory only.
    signing_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_certificate(certificate),
        signing_key=signing_key,
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        embed_roots=False,
    )
    metadata = signers.PdfSignatureMetadata(field_name=field_name, subfilter=SigSeedSubFilter.PADES)
    try:
        return signers.sign_pdf(writer, metadata, signer=signer).getvalue()
    except (PdfError, ValueError, TypeError, KeyError, IndexError) as error:
        raise ApplicationError(_("This PDF could not be signed."), code="not_pdf") from error
