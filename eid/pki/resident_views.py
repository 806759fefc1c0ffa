"""The resident's signing page: get a certificate, revoke it, sign a file or a PDF (thin views)."""

import base64
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eid.constants import AssuranceLevel
from eid.errors import ApplicationError
from eid.pki.actions import (
    certificate_issue_for_resident,
    certificate_revoke,
    pdf_sign_for_resident,
    second_factor_is_fresh,
    sign_for_resident,
)
from eid.pki.constants import MAX_VERIFY_BYTES, RevocationReason
from eid.pki.forms import SignForm
from eid.pki.selectors import certificate_current_for_user


def _reauthenticate(request: HttpRequest) -> HttpResponse:
    """Send the resident to confirm with their second factor, then back here."""
    here = reverse("signing:home")
    return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': here})}")


@login_required
@require_http_methods(["GET", "POST"])
def signing_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict = {"form": SignForm(), "error": "", "result": None}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        # Issuing and signing use the portal-held key: each needs a fresh second factor.
        if action in {"issue", "sign"} and not second_factor_is_fresh(request, user):
            return _reauthenticate(request)
        try:
            if action == "issue":
                certificate_issue_for_resident(user=user, request=request)
                return redirect("signing:home")
            if action == "revoke":
                certificate = certificate_current_for_user(user, remote_key=True)
                if certificate is not None:
                    certificate_revoke(
                        certificate=certificate,
                        by=user,
                        reason=RevocationReason.KEY_COMPROMISE,
                        request=request,
                    )
                return redirect("signing:home")
            if action == "sign":
                form = SignForm(request.POST, request.FILES)
                context["form"] = form
                if not form.is_valid():
                    status = 400
                else:
                    upload = form.cleaned_data["document"]
                    if upload.size > MAX_VERIFY_BYTES:
                        raise ApplicationError(_("The file is too large."), code="too_large")
                    data = upload.read()
                    if form.cleaned_data["as_pdf"]:
                        result = pdf_sign_for_resident(user=user, pdf=data, request=request)
                        filename, media_type = f"signed-{upload.name}", "application/pdf"
                    else:
                        result = sign_for_resident(user=user, data=data, request=request)
                        filename, media_type = f"{upload.name}.p7s", "application/pkcs7-signature"
                    # Nothing is stored: the signed output goes back in the page as a download link.
                    context["result"] = {
                        "code": result.code,
                        "filename": filename,
                        "href": f"data:{media_type};base64,{base64.b64encode(result.signature).decode()}",
                    }
            else:
                status = 400
        except ApplicationError as failure:
            context["error"] = failure.message
            status = 413 if failure.code == "too_large" else 400
    context.update(
        certificate=certificate_current_for_user(user, remote_key=True),
        verified=user.assurance_level >= AssuranceLevel.SUBSTANTIAL,
    )
    return render(request, "pki/signing.html", context, status=status)
