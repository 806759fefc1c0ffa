"""The payment ledger: money rules, the state machine, binding to the resident, refunds, reports."""

import datetime

import pytest
from django.utils import timezone

from eid.public import ApplicationError, PermissionDeniedError
from payments.actions import payment_refund, payment_settle, payment_start, payment_status_changed
from payments.models import Payment, PaymentStatus
from payments.selectors import reconciliation_report
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory


def _paid(payer: object, service: object, amount: int = 12_000, reference: str = "PERMIT-1") -> Payment:
    started = payment_start(
        citizen=payer, service=service, amount=amount, reference=reference, description="Parking permit"
    )
    payment_settle(payment=started.payment, status=PaymentStatus.SUCCEEDED, source="test")
    started.payment.refresh_from_db()
    return started.payment


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(0, "HKD"), (-100, "HKD"), (12.5, "HKD"), ("100", "HKD"), (True, "HKD"), (100, "USD")],
)
def test_bad_amounts_and_currencies_are_refused(
    payer: object, service: object, amount: object, currency: str
) -> None:
    with pytest.raises(ApplicationError):
        payment_start(
            citizen=payer, service=service, amount=amount, currency=currency, reference="R", description="x"
        )
    assert not Payment.objects.exists()


def test_start_records_the_payment_and_points_at_the_sandbox(payer: object, service: object) -> None:
    started = payment_start(
        citizen=payer, service=service, amount=12_000, reference="PERMIT-1", description="Permit"
    )
    payment = started.payment
    assert (payment.amount, payment.currency, payment.status) == (12_000, "HKD", PaymentStatus.PENDING)
    assert started.redirect_url == f"/en/payments/sandbox/{payment.public_id}/"
    assert list(payment.transitions.values_list("to_status", flat=True)) == ["created", "pending"]


def test_starting_again_resumes_the_same_payment(payer: object, service: object) -> None:
    """A double press of the pay button never creates a second charge."""
    first = payment_start(citizen=payer, service=service, amount=500, reference="R", description="x")
    second = payment_start(citizen=payer, service=service, amount=500, reference="R", description="x")
    assert first.payment.pk == second.payment.pk
    assert Payment.objects.count() == 1


def test_nobody_pays_for_another_residents_reference(payer: object, service: object) -> None:
    payment_start(citizen=payer, service=service, amount=500, reference="BOOKING-9", description="x")
    with pytest.raises(PermissionDeniedError):
        payment_start(
            citizen=UserFactory(), service=service, amount=500, reference="BOOKING-9", description="x"
        )


def test_the_amount_of_a_started_payment_cannot_change(payer: object, service: object) -> None:
    payment_start(citizen=payer, service=service, amount=500, reference="R", description="x")
    with pytest.raises(ApplicationError):
        payment_start(citizen=payer, service=service, amount=1, reference="R", description="x")


def test_a_paid_reference_cannot_be_paid_again(payer: object, service: object) -> None:
    _paid(payer, service, reference="R")
    with pytest.raises(ApplicationError):
        payment_start(citizen=payer, service=service, amount=12_000, reference="R", description="x")


def test_settling_twice_or_out_of_order_changes_nothing(payer: object, service: object) -> None:
    payment = _paid(payer, service)
    assert not payment_settle(payment=payment, status=PaymentStatus.SUCCEEDED, source="replay")
    assert not payment_settle(payment=payment, status=PaymentStatus.FAILED, source="late event")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.transitions.count() == 3


def test_a_failed_payment_can_be_retried(payer: object, service: object) -> None:
    started = payment_start(citizen=payer, service=service, amount=500, reference="R", description="x")
    payment_settle(payment=started.payment, status=PaymentStatus.FAILED, source="test")
    again = payment_start(citizen=payer, service=service, amount=500, reference="R", description="x")
    assert again.payment.pk == started.payment.pk
    again.payment.refresh_from_db()
    assert again.payment.status == PaymentStatus.PENDING


def test_services_hear_of_each_change(
    payer: object, service: object, django_capture_on_commit_callbacks: object
) -> None:
    heard = []

    def listener(sender: object, payment: Payment, **kwargs: object) -> None:
        heard.append(payment.status)

    payment_status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _paid(payer, service)
    finally:
        payment_status_changed.disconnect(listener)
    assert heard[-1] == PaymentStatus.SUCCEEDED


def test_partial_then_full_refund_by_the_owning_department(
    payer: object, service: object, cashier: object
) -> None:
    payment = _paid(payer, service, amount=10_000)
    payment_refund(payment=payment, amount=2_500, reason="Permit shortened", by=cashier)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded, payment.net_amount) == (
        "partially_refunded",
        2_500,
        7_500,
    )
    payment_refund(payment=payment, amount=7_500, reason="Permit cancelled", by=cashier)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", 10_000)


@pytest.mark.parametrize("amount", [0, -1, 10_001])
def test_a_refund_must_be_within_what_is_left(
    payer: object, service: object, cashier: object, amount: int
) -> None:
    payment = _paid(payer, service, amount=10_000)
    with pytest.raises(ApplicationError):
        payment_refund(payment=payment, amount=amount, reason="x", by=cashier)
    payment.refresh_from_db()
    assert payment.amount_refunded == 0


def test_refunds_need_a_reason_and_the_owning_department(
    payer: object, service: object, cashier: object
) -> None:
    payment = _paid(payer, service)
    with pytest.raises(ApplicationError):
        payment_refund(payment=payment, amount=100, reason=" ", by=cashier)
    outsider = OfficerMembershipFactory(department=DepartmentFactory(code="lcsd")).user
    with pytest.raises(PermissionDeniedError):
        payment_refund(payment=payment, amount=100, reason="x", by=outsider)
    with pytest.raises(PermissionDeniedError):
        payment_refund(payment=payment, amount=100, reason="x", by=payer)


def test_an_officer_cannot_refund_their_own_payment(service: object, cashier: object) -> None:
    """Separation of duties: the cashier paid as a resident; a colleague may refund it, not they."""
    payment = _paid(cashier, service, amount=10_000)
    with pytest.raises(PermissionDeniedError) as caught:
        payment_refund(payment=payment, amount=10_000, reason="x", by=cashier)
    assert caught.value.code == "own_payment"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.SUCCEEDED, 0)
    colleague = OfficerMembershipFactory(department=payment.department).user
    payment_refund(payment=payment, amount=10_000, reason="Permit cancelled", by=colleague)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_an_unpaid_payment_cannot_be_refunded(payer: object, service: object, cashier: object) -> None:
    started = payment_start(citizen=payer, service=service, amount=500, reference="R", description="x")
    with pytest.raises(ApplicationError):
        payment_refund(payment=started.payment, amount=100, reason="x", by=cashier)


def test_the_reconciliation_report(
    payer: object, service: object, cashier: object, transport: object
) -> None:
    first = _paid(payer, service, amount=10_000, reference="A")
    _paid(payer, service, amount=5_000, reference="B")
    payment_start(citizen=payer, service=service, amount=999, reference="C", description="unpaid")
    payment_refund(payment=first, amount=1_000, reason="x", by=cashier)
    now = timezone.now()
    (row,) = reconciliation_report(
        department_ids={transport.pk},
        start=now - datetime.timedelta(days=1),
        end=now + datetime.timedelta(days=1),
    )
    assert (row.count, row.gross, row.refunds, row.net) == (2, 15_000, 1_000, 14_000)
    assert (
        reconciliation_report(
            department_ids={transport.pk},
            start=now + datetime.timedelta(days=1),
            end=now + datetime.timedelta(days=2),
        )
        == []
    )


def test_money_is_shown_from_cents_without_floats() -> None:
    from payments.templatetags.payments_tags import money

    assert money(12_345) == "HK$123.45"
    assert money(100_000_005) == "HK$1,000,000.05"
    assert money(7) == "HK$0.07"
