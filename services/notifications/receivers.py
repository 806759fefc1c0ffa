"""Delivers eID notices (verification steps, security events) to the resident's inbox."""

from eid.public import Department, User
from services.notifications.actions import message_deliver


def deliver_resident_notice(
    sender: object,
    *,
    user: User,
    department_code: str,
    notification_type: str,
    subject: str,
    body: str,
    **kwargs: object,
) -> None:
    department = Department.objects.filter(code=department_code).first() if department_code else None
    message_deliver(
        recipient=user, department=department, subject=subject, body=body, notification_type=notification_type
    )
