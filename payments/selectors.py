import datetime
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from eid.public import User
from payments.models import Payment, PaymentStatus, Refund

PAID = [PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED]


def access_payment_for_citizen(*, citizen: User, public_id: str) -> Payment:
    """The same 404 for a payment that does not exist and one that is another resident's."""
    try:
        return Payment.objects.select_related("department").get(public_id=public_id, citizen=citizen)
    except (Payment.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def access_payment_for_officer(*, department_ids: set[int], public_id: str) -> Payment:
    try:
        return Payment.objects.select_related("department", "citizen").get(
            public_id=public_id, department_id__in=department_ids
        )
    except (Payment.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class ReconciliationRow:
    department_code: str
    service_slug: str
    count: int
    gross: int
    refunds: int

    @property
    def net(self) -> int:
        return self.gross - self.refunds


def reconciliation_report(
    *, department_ids: set[int], start: datetime.datetime, end: datetime.datetime
) -> list[ReconciliationRow]:
    """Per department and service: payments completed and refunds made in [start, end). Two queries."""
    paid = (
        Payment.objects.filter(
            department_id__in=department_ids, status__in=PAID, succeeded_at__gte=start, succeeded_at__lt=end
        )
        .values("department__code", "service_slug")
        .annotate(count=Count("id"), gross=Sum("amount"))
    )
    refunds = (
        Refund.objects.filter(
            payment__department_id__in=department_ids, created_at__gte=start, created_at__lt=end
        )
        .values("payment__department__code", "payment__service_slug")
        .annotate(total=Sum("amount"))
    )
    refunded = {(r["payment__department__code"], r["payment__service_slug"]): r["total"] for r in refunds}
    keys = {(row["department__code"], row["service_slug"]): row for row in paid}
    rows = []
    for key in sorted(set(keys) | set(refunded)):
        row = keys.get(key, {})
        rows.append(
            ReconciliationRow(
                department_code=key[0],
                service_slug=key[1],
                count=row.get("count", 0),
                gross=row.get("gross", 0) or 0,
                refunds=refunded.get(key, 0) or 0,
            )
        )
    return rows


def payments_for_departments(*, department_ids: set[int]) -> QuerySet[Payment]:
    return Payment.objects.filter(department_id__in=department_ids).select_related("department", "citizen")
