"""Thin HTTP views of the PKI: CA certificates, CRLs, OCSP, the CSR upload and the verification page."""

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eid.assurance import session_assurance_level
from eid.constants import AssuranceLevel
from eid.errors import ApplicationError, PermissionDeniedError
from eid.pki.actions import certificate_issue_from_csr, crl_current
from eid.pki.constants import MAX_CSR_BYTES, MAX_OCSP_REQUEST_BYTES, MAX_VERIFY_BYTES
from eid.pki.forms import VerifyForm
from eid.pki.ocsp import malformed_response, ocsp_respond
from eid.pki.selectors import ca_get, parse_certificate

OCSP_RESPONSE_TYPE = "application/ocsp-response"


def _content_length(request: HttpRequest) -> int:
    """The declared body size, so oversized uploads are refused before they are read."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


@require_GET
@cache_control(public=True, max_age=3600)
def ca_certificate(request: HttpRequest, name: str, extension: str) -> HttpResponse:
    ca = ca_get(name)
    if ca is None:
        raise Http404
    if extension == "pem":
        return HttpResponse(ca.certificate_pem, content_type="application/x-pem-file")
    der = parse_certificate(ca.certificate_pem).public_bytes(serialization.Encoding.DER)
    return HttpResponse(der, content_type="application/pkix-cert")


@require_GET
@cache_control(public=True, max_age=300)
def crl(request: HttpRequest, name: str) -> HttpResponse:
    der = crl_current(ca_name=name)
    if der is None:
        raise Http404
    return HttpResponse(der, content_type="application/pkix-crl")


def _ocsp_http(der: bytes) -> HttpResponse:
    response = HttpResponse(ocsp_respond(der), content_type=OCSP_RESPONSE_TYPE)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # a public protocol endpoint: no cookies, no session, nothing to forge
@require_POST
def ocsp_post(request: HttpRequest) -> HttpResponse:
    if _content_length(request) > MAX_OCSP_REQUEST_BYTES:
        return HttpResponse(malformed_response(), content_type=OCSP_RESPONSE_TYPE)
    body = request.body
    if len(body) > MAX_OCSP_REQUEST_BYTES:
        return HttpResponse(malformed_response(), content_type=OCSP_RESPONSE_TYPE)
    return _ocsp_http(body)


@require_GET
def ocsp_get(request: HttpRequest, encoded: str) -> HttpResponse:
    """RFC 6960 appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}."""
    if len(encoded) > MAX_OCSP_REQUEST_BYTES * 2:
        return HttpResponse(malformed_response(), content_type=OCSP_RESPONSE_TYPE)
    try:
        der = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return HttpResponse(malformed_response(), content_type=OCSP_RESPONSE_TYPE)
    return _ocsp_http(der)


def _error(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


@require_http_methods(["POST"])
def certificate_from_csr(request: HttpRequest) -> HttpResponse:
    """Bring your own key: POST a PKCS#10 request (PEM or DER body); 201 with the certificate PEM."""
    if not request.user.is_authenticated:
        return _error(_("Sign in first."), "not_authenticated", 401)
    if (session_assurance_level(request) or 0) < AssuranceLevel.SUBSTANTIAL:
        return _error(_("Confirm your sign-in with your second factor first."), "step_up_required", 403)
    if _content_length(request) > MAX_CSR_BYTES:
        return _error(_("The certificate request is too large."), "csr_too_large", 413)
    try:
        record = certificate_issue_from_csr(user=request.user, csr_data=request.body, request=request)
    except PermissionDeniedError as error:
        return _error(error.message, error.code, 403)
    except ApplicationError as error:
        status = 413 if error.code == "csr_too_large" else 400
        return _error(error.message, error.code, status)
    return HttpResponse(record.certificate_pem, content_type="application/x-pem-file", status=201)


def _read_upload(upload: UploadedFile | None) -> bytes | None:
    if upload is None:
        return None
    if upload.size is not None and upload.size > MAX_VERIFY_BYTES:
        raise ApplicationError(_("The file is too large."), code="too_large")
    return upload.read(MAX_VERIFY_BYTES + 1)


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """Anyone uploads a signed PDF, or a file and its detached signature, and sees the verdict."""
    from eid.pki.verification import pdf_verify, signature_verify_detached

    form = VerifyForm()
    report = None
    status = 200
    error = ""
    if request.method == "POST":
        # Refuse before parsing: the upload limit of Django's settings does not cover files.
        if _content_length(request) > 2 * MAX_VERIFY_BYTES + 64 * 1024:
            error, status = _("The file is too large."), 413
        else:
            form = VerifyForm(request.POST, request.FILES)
            if not form.is_valid():
                status = 400
            else:
                try:
                    document = _read_upload(form.cleaned_data["document"])
                    signature = _read_upload(form.cleaned_data.get("signature"))
                    if signature:
                        report = signature_verify_detached(data=document, signature=signature)
                    else:
                        report = pdf_verify(pdf=document)
                except ApplicationError as failure:
                    error = failure.message
                    status = 413 if failure.code == "too_large" else 400
    return render(request, "pki/verify.html", {"form": form, "report": report, "error": error}, status=status)
