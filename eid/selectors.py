"""Reads about residents and departments."""

from django.db.models import QuerySet

from eid.models import Department, OfficerMembership, User


def department_list() -> QuerySet[Department]:
    return Department.objects.all()


def officer_department_ids(*, officer: User) -> set[int]:
    """The departments whose records this officer may see (none for a resident)."""
    if not officer.is_authenticated:
        return set()
    return set(OfficerMembership.objects.filter(user=officer).values_list("department_id", flat=True))


def officer_memberships(*, officer: User) -> QuerySet[OfficerMembership]:
    return OfficerMembership.objects.filter(user=officer).select_related("department")
