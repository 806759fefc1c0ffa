"""Payment pages: the receipt, the sandbox's pay page, Stripe's webhook, and the officers' pages."""

import csv
import datetime

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eid.public import ApplicationError, officer_department_ids
from payments import actions, selectors
from payments.forms import RefundForm, ReportForm
from payments.models import PaymentStatus
from payments.providers import get_provider
from payments.tasks import stripe_event_task
from payments.webhooks import STRIPE_EVENTS

SANDBOX_OUTCOMES = {
    "pay": PaymentStatus.SUCCEEDED,
    "decline": PaymentStatus.FAILED,
    "cancel": PaymentStatus.CANCELLED,
}


# Stripe.js and its iframes (card fields, 3-D Secure): allowed on the card page only.
STRIPE_CSP = {
    "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}
# Stripe.js locales for the portal's languages.
STRIPE_LOCALES = {"en": "en", "zh-hant": "zh-HK", "zh-hans": "zh"}


@login_required
def payment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    payment = selectors.access_payment_for_citizen(citizen=request.user, public_id=public_id)
    back_from_stripe = (
        payment.provider == "stripe"
        and bool(payment.provider_reference)
        and request.GET.get("payment_intent") == payment.provider_reference
    )
    if back_from_stripe and payment.status == PaymentStatus.PENDING:
        # Back from Stripe.js: the query string is the browser's word, so ask Stripe itself
        # (the webhook settles it too; whichever comes second changes nothing).
        verdict = get_provider("stripe").status(payment)
        if verdict in {PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED}:
            actions.payment_settle(payment=payment, status=verdict, source="stripe:retrieve")
            payment.refresh_from_db()
    if back_from_stripe and (after := actions.payment_return_url(payment)) != request.path:
        # Settled or still processing: on to the service's own page when it gave one.
        return HttpResponseRedirect(after)
    return render(request, "payments/detail.html", {"payment": payment})


@login_required
@csp_update(STRIPE_CSP)
def stripe_card_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """Stripe's Payment Element: card details and 3-D Secure stay between the browser and Stripe."""
    payment = selectors.access_payment_for_citizen(citizen=request.user, public_id=public_id)
    if settings.PAYMENTS_PROVIDER != "stripe" or payment.provider != "stripe":
        raise Http404
    detail = reverse("payments:detail", kwargs={"public_id": payment.public_id})
    if payment.status != PaymentStatus.PENDING:
        return HttpResponseRedirect(detail)
    response = render(
        request,
        "payments/stripe_card.html",
        {
            "payment": payment,
            "client_secret": get_provider("stripe").client_secret(payment),
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "return_url": request.build_absolute_uri(detail),
            "stripe_locale": STRIPE_LOCALES.get(get_language(), "auto"),
        },
    )
    response["Cache-Control"] = "private, no-store"  # the client secret must not be cached
    return response


@login_required
def receipt_download(request: HttpRequest, public_id: str) -> HttpResponse:
    """The sealed receipt PDF, in the page's language: the payer's only, and only once paid."""
    from payments.receipts import receipt_sealed

    payment = selectors.access_payment_for_citizen(citizen=request.user, public_id=public_id)
    if payment.status not in selectors.PAID:
        raise Http404
    sealed = receipt_sealed(payment=payment, language=get_language())
    response = HttpResponse(sealed.signature, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.public_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def sandbox_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """The offline payment sandbox: pay, decline or cancel without a card. Never in production."""
    if settings.PAYMENTS_PROVIDER != "sandbox" or settings.PORTAL_ENVIRONMENT == "production":
        raise Http404
    payment = selectors.access_payment_for_citizen(citizen=request.user, public_id=public_id)
    if payment.provider != "sandbox":
        raise Http404
    if request.method == "POST":
        outcome = SANDBOX_OUTCOMES.get(request.POST.get("outcome", ""))
        if outcome is None:
            return HttpResponseBadRequest(_("Choose to pay, decline or cancel."))
        # A second press of the button finds the payment settled and changes nothing.
        actions.payment_settle(payment=payment, status=outcome, source="sandbox")
        return HttpResponseRedirect(actions.payment_return_url(payment))
    return render(request, "payments/sandbox.html", {"payment": payment})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    from payments.stripe_api import webhook_event

    if len(request.body) > 512 * 1024:
        return HttpResponse(status=413)
    try:
        event = webhook_event(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except ValueError:
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    if event.type not in STRIPE_EVENTS:
        return HttpResponse("ignored", content_type="text/plain")
    intent = event.data.object
    # Verified here, applied by a worker: Stripe gets its 2xx at once, and the task is idempotent
    # (each event id is applied once), so a redelivery or a retried task changes nothing twice.
    stripe_event_task.delay_on_commit(event.id, event.type, getattr(intent, "id", ""))
    return HttpResponse("queued", content_type="text/plain")


def _officer_departments(request: HttpRequest) -> set[int]:
    department_ids = officer_department_ids(officer=request.user)
    if not department_ids:
        raise Http404
    return department_ids


@login_required
def officer_report(request: HttpRequest) -> HttpResponse:
    department_ids = _officer_departments(request)
    today = timezone.localdate()
    form = ReportForm(request.GET or {"start": today.replace(day=1), "end": today})
    rows, status = [], 200
    if form.is_valid():
        start, end = form.bounds()
        rows = selectors.reconciliation_report(department_ids=department_ids, start=start, end=end)
        if request.GET.get("format") == "csv":
            return _report_csv(rows, form.cleaned_data["start"], form.cleaned_data["end"])
    else:
        status = 400
    recent = selectors.payments_for_departments(department_ids=department_ids)[:50]
    return render(
        request, "payments/officer_report.html", {"form": form, "rows": rows, "recent": recent}, status=status
    )


def _report_csv(rows: list, start: datetime.date, end: datetime.date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payments-{start}-{end}.csv"'
    writer = csv.writer(response)
    writer.writerow(["department", "service", "count", "gross_cents", "refunds_cents", "net_cents"])
    for row in rows:
        writer.writerow([row.department_code, row.service_slug, row.count, row.gross, row.refunds, row.net])
    return response


@login_required
def officer_payment(request: HttpRequest, public_id: str) -> HttpResponse:
    department_ids = _officer_departments(request)
    payment = selectors.access_payment_for_officer(department_ids=department_ids, public_id=public_id)
    form = RefundForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.payment_refund(
                    payment=payment,
                    amount=form.amount_in_cents(),
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The refund was made."))
                return HttpResponseRedirect(request.path)
        status = 400
    return render(request, "payments/officer_payment.html", {"payment": payment, "form": form}, status=status)
