"""The registration officers' revocation page: find a resident's certificates, revoke one (thin views).

Only officers of departments that verify identity see it; others get the same 404 as a missing page.
Finding a resident and revoking are both written to the audit trail.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eid.audit.chain import audit_log
from eid.errors import ApplicationError
from eid.models import User
from eid.pki.actions import certificate_revoke
from eid.pki.constants import Profile, RevocationReason, Status
from eid.pki.forms import OfficerRevokeForm, OfficerSearchForm
from eid.pki.models import IssuedCertificate
from eid.verification import verification_departments_for_officer


def _require_officer(request: HttpRequest) -> None:
    if not verification_departments_for_officer(officer=request.user):
        raise Http404


def _resident_certificates(query: str) -> list[IssuedCertificate]:
    query = query.strip()
    certificates = IssuedCertificate.objects.filter(profile=Profile.RESIDENT_SIGNING).select_related("user")
    if "@" in query:
        user = User.objects.filter(email__iexact=query).first()
        return list(certificates.filter(user=user)) if user is not None else []
    return list(certificates.filter(serial=query.lower().removeprefix("0x").replace(":", "")))


@login_required
@require_http_methods(["GET"])
def certificate_search(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    form = OfficerSearchForm(request.GET or None)
    certificates: list[IssuedCertificate] | None = None
    if form.is_valid():
        certificates = _resident_certificates(form.cleaned_data["query"])
        audit_log(
            event_type="pki.certificates_looked_up",
            actor=request.user,
            request=request,
            data={"query": form.cleaned_data["query"], "found": [item.serial for item in certificates]},
        )
    return render(
        request,
        "pki/officer_certificates.html",
        {"form": form, "certificates": certificates, "revoke_form": OfficerRevokeForm(), "good": Status.GOOD},
    )


@login_required
@require_http_methods(["POST"])
def certificate_officer_revoke(request: HttpRequest, certificate_id: int) -> HttpResponse:
    _require_officer(request)
    certificate = get_object_or_404(
        IssuedCertificate.objects.select_related("user"), pk=certificate_id, profile=Profile.RESIDENT_SIGNING
    )
    form = OfficerRevokeForm(request.POST)
    back = f"{reverse('back_office_certificates')}?query={certificate.serial}"
    if not form.is_valid():
        messages.error(request, _("Choose a reason for the revocation."))
        return redirect(back)
    try:
        certificate_revoke(
            certificate=certificate,
            by=request.user,
            reason=RevocationReason(form.cleaned_data["reason"]),
            request=request,
        )
    except ApplicationError as failure:
        messages.error(request, failure.message)
    else:
        messages.success(request, _("Certificate %(serial)s is revoked.") % {"serial": certificate.serial})
    return redirect(back)
