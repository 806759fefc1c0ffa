"""The resident's pages about Login with eID: Connected services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eid.oidc.connected import connected_service_revoke, connected_services
from eid.public import SCOPE_DESCRIPTIONS


@login_required
def connected_services_page(request: HttpRequest) -> HttpResponse:
    rows = [
        {"service": service, "labels": [SCOPE_DESCRIPTIONS.get(scope, scope) for scope in service.scopes]}
        for service in connected_services(user=request.user)
    ]
    return render(request, "idp/connected_services.html", {"rows": rows})


@login_required
@require_POST
def connected_service_withdraw(request: HttpRequest, client_id: str) -> HttpResponse:
    if connected_service_revoke(user=request.user, client_id=client_id, request=request):
        messages.success(
            request, _("The service can no longer use your eID. It will ask you again next time.")
        )
    return redirect("eid_oidc:connected_services")
