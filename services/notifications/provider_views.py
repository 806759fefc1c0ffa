"""Delivery receipts from the SMS provider (Twilio's status callbacks), verified by eid.sms."""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eid.public import sms_status_from_callback
from services.notifications import actions

logger = logging.getLogger(__name__)


@csrf_exempt  # the provider's signature authenticates the request, not a session
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    """204 once recorded (and for a message the portal does not know, so the provider stops);
    403 when the signature does not verify."""
    # The provider signed the URL it was given: the configured origin, never the Host header.
    url = settings.SITE_URL + request.get_full_path()
    params = {name: request.POST.get(name, "") for name in request.POST}
    receipt = sms_status_from_callback(url=url, params=params, headers=dict(request.headers))
    if receipt is None:
        return HttpResponse("The signature does not verify.", status=403, content_type="text/plain")
    status = actions.sms_status_record(
        provider_reference=receipt.reference, outcome=receipt.outcome, reason=receipt.reason
    )
    if status is None:
        logger.warning("Delivery receipt for an unknown SMS %s", receipt.reference)
    return HttpResponse(status=204)
