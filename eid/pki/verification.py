"""Verification of detached CMS signatures and signed PDFs against the portal's CA, with pyHanko.

Trust comes only from the portal's own root (never the system store); revocation data are the
portal's own current CRLs, handed in directly (no network fetch), so a verdict is reproducible.
"""

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import cms as asn1_cms
from asn1crypto import pem as asn1_pem
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_detached_cms,
    validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext

from eid.errors import ApplicationError
from eid.pki.actions import crl_current
from eid.pki.builders import signature_code_of_signer
from eid.pki.constants import ISSUING_CA, ROOT_CA, RevocationReason, Status
from eid.pki.models import IssuedCertificate
from eid.pki.pades import PDF_MAGIC, asn1_certificate
from eid.pki.selectors import ca_get, parse_certificate

logger = logging.getLogger(__name__)

# Whatever a hostile upload makes the parsers raise: the verdict is "cannot read", never a 500.
# RecursionError: pyHanko's PDF parser recurses per nesting level, so deeply nested arrays overflow it.
_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, PdfError, RecursionError)


@dataclass(frozen=True)
class VerificationReport:
    """What a verifier learns: who signed, when (as the signer claims), and whether it held."""

    kind: str  # "cms" or "pdf"
    intact: bool  # the content is exactly what was signed
    valid_now: bool  # intact, chains to the portal's root, not revoked, not expired
    valid_at_signing: bool  # the same at the signing time the signature states
    signer: str
    serial: str
    signing_time: datetime | None
    certificate_status: str  # "good", "revoked", or "unknown" (not issued by the portal)
    revoked_at: datetime | None
    revocation_reason: str
    code: str
    # PDF only: a signature time-stamp and, in the document security store, every certificate and CRL
    # needed to validate it from the root alone (PAdES B-LT), so it stays verifiable offline.
    ltv: bool = False


def _context(moment: datetime | None) -> ValidationContext:
    root, issuing = ca_get(ROOT_CA), ca_get(ISSUING_CA)
    if root is None or issuing is None:
        raise ApplicationError(_("The certificate authority is not set up yet."), code="pki_missing")
    return ValidationContext(
        trust_roots=[asn1_certificate(parse_certificate(root.certificate_pem))],
        other_certs=[asn1_certificate(parse_certificate(issuing.certificate_pem))],
        crls=[crl_current(ca_name=ROOT_CA), crl_current(ca_name=ISSUING_CA)],
        allow_fetching=False,
        revocation_mode="hard-fail",
        moment=moment,
        # Today's CRL still tells whether the certificate was already revoked at the signing time.
        retroactive_revinfo=moment is not None,
    )


def _report(kind: str, validate: object, signer_info: asn1_cms.SignerInfo) -> VerificationReport:
    """`validate(context)` returns a pyHanko status; run it now and at the stated signing time."""
    now = validate(_context(None))
    signing_time = now.signer_reported_dt
    then = validate(_context(signing_time)) if signing_time is not None else None
    serial = format(now.signing_cert.serial_number, "x")
    # By the whole certificate, not its serial: serials are public, so a look-alike CA's certificate
    # reusing one must not borrow the status of the portal's certificate.
    entry = IssuedCertificate.objects.filter(fingerprint_sha256=now.signing_cert.sha256.hex()).first()
    return VerificationReport(
        kind=kind,
        intact=bool(now.intact),
        valid_now=bool(now.bottom_line),
        valid_at_signing=bool(then is not None and then.bottom_line),
        signer=now.signing_cert.subject.human_friendly,
        serial=serial,
        signing_time=signing_time,
        certificate_status=entry.status if entry is not None else "unknown",
        revoked_at=entry.revoked_at if entry is not None and entry.status == Status.REVOKED else None,
        revocation_reason=(
            str(RevocationReason(entry.revocation_reason).label)
            if entry is not None and entry.revocation_reason
            else ""
        ),
        code=signature_code_of_signer(signer_info),
    )


def signature_verify_detached(*, data: bytes, signature: bytes) -> VerificationReport:
    """Verify a detached CMS signature (DER or PEM) over `data`."""
    try:
        if signature.lstrip().startswith(b"-----BEGIN"):
            _type, _headers, signature = asn1_pem.unarmor(signature)
        content_info = asn1_cms.ContentInfo.load(signature)
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = content_info["content"]
        signer_info = signed_data["signer_infos"][0]
        signed_data.native  # noqa: B018 - parse it all now: asn1crypto is lazy
    except _UNREADABLE as error:
        raise ApplicationError(
            _("The signature file could not be read."), code="signature_malformed"
        ) from error
    try:
        return _report(
            "cms",
            lambda context: asyncio.run(
                async_validate_detached_cms(data, signed_data, signer_validation_context=context)
            ),
            signer_info,
        )
    except _UNREADABLE as error:
        raise ApplicationError(
            _("The signature could not be checked."), code="signature_malformed"
        ) from error


def pdf_verify(*, pdf: bytes) -> VerificationReport:
    """Verify the last signature of a signed PDF (the one covering the most of the file)."""
    if pdf.lstrip()[:5] != PDF_MAGIC:
        raise ApplicationError(_("This file is not a PDF."), code="not_pdf")
    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except _UNREADABLE as error:
        raise ApplicationError(_("This file is not a readable PDF."), code="not_pdf") from error
    if not signatures:
        raise ApplicationError(_("This PDF has no signature."), code="no_signature")
    embedded = signatures[-1]
    try:
        report = _report(
            "pdf", lambda context: validate_pdf_signature(embedded, context), embedded.signer_info
        )
        return dataclasses.replace(report, ltv=report.intact and pdf_ltv_complete(embedded))
    except _UNREADABLE as error:
        raise ApplicationError(
            _("The signature could not be checked."), code="signature_malformed"
        ) from error


def pdf_ltv_complete(embedded: EmbeddedPdfSignature) -> bool:
    """Whether the PDF carries its own long-term validation data (PAdES B-LT).

    The signature must hold a valid time-stamp token, and validate from the portal's root alone
    with only the certificates and CRLs/OCSP responses in the document security store: nothing from
    the portal's database, nothing fetched.
    """
    if embedded.signer_info["unsigned_attrs"].native is None:
        return False
    if not any(
        attr["type"].native == "signature_time_stamp_token" for attr in embedded.signer_info["unsigned_attrs"]
    ):
        return False
    root = ca_get(ROOT_CA)
    dss = DocumentSecurityStore.read_dss(embedded.reader) if "/DSS" in embedded.reader.root else None
    if root is None or dss is None:
        return False
    context_settings = {
        "trust_roots": [asn1_certificate(parse_certificate(root.certificate_pem))],
        "allow_fetching": False,
        "revocation_mode": "hard-fail",
    }
    status = validate_pdf_signature(
        embedded,
        signer_validation_context=dss.as_validation_context(context_settings),
        ts_validation_context=dss.as_validation_context(context_settings),
    )
    return bool(
        status.bottom_line and status.timestamp_validity is not None and status.timestamp_validity.valid
    )
