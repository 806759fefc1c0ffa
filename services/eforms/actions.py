"""Writes for online forms."""

from typing import Any

from eid.public import User
from services.eforms.models import Draft


def drafts_erase_for_resident(*, citizen: User) -> int:
    deleted, _ = Draft.objects.filter(resident=citizen).delete()
    return deleted


def submission_payment_settled(*, payment: Any) -> None:
    pass
