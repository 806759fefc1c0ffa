"""Signal receivers: a payment verdict completes (or leaves waiting) the submission it pays for."""

from typing import Any


def on_payment_status_changed(sender: object, payment: Any, **kwargs: object) -> None:
    if getattr(payment, "service_slug", "") != "eforms":
        return
    from services.eforms.actions import submission_payment_settled

    submission_payment_settled(payment=payment)
