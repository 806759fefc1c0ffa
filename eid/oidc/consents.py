"""Remembered consent: a resident is not asked again for what they already agreed to share.

Per client: the scopes the client asked for and the subset the resident allowed (optional claims
may be declined). A later request for no more than was asked then gets a code for the allowed part
without the consent page; anything new, `prompt=consent`, or a withdrawal in "Connected services"
asks again.
"""

from collections.abc import Iterable

from eid.oidc.models import ConsentRecord
from eid.public import User


def _scope_text(scopes: Iterable[str]) -> str:
    return " ".join(sorted(set(scopes)))


def consent_remember(
    *, user: User, client_id: str, requested: Iterable[str], granted: Iterable[str], email: str = ""
) -> None:
    record = ConsentRecord(
        user=user,
        client_id=client_id,
        requested=_scope_text(requested),
        granted=_scope_text(granted),
        email=email,
    )
    # One upsert (INSERT … ON CONFLICT DO UPDATE) rather than update_or_create's four statements.
    ConsentRecord.objects.bulk_create(
        [record],
        update_conflicts=True,
        unique_fields=["user", "client_id"],
        update_fields=["requested", "granted", "email", "granted_at"],
    )


def remembered_scopes(
    *, user: User, client_id: str, requested: Iterable[str], fully_granted: bool = False
) -> tuple[list[str], str] | None:
    """(the scopes to grant, the chosen email) if an earlier consent covers this request, else None.

    Covered: the client asks for no scope it did not ask for then. `fully_granted` (prompt=none,
    which must not silently narrow the request) also needs every requested scope to have been
    allowed.
    """
    record = ConsentRecord.objects.filter(user=user, client_id=client_id).first()
    if record is None:
        return None
    wanted = set(requested)
    granted = set(record.granted.split())
    if not wanted <= set(record.requested.split()) or (fully_granted and not wanted <= granted):
        return None
    return sorted(wanted & granted), record.email


def consent_forget(*, user: User, client_id: str) -> None:
    ConsentRecord.objects.filter(user=user, client_id=client_id).delete()
