"""One-time JWT identifiers (RFC 7523 §3 item 7, RFC 9449 §11.1): the first use wins, replays fail."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from eid.oidc.models import SeenJwtId


def jti_first_use(*, purpose: str, issuer: str, jti: str, expires_at: datetime) -> bool:
    """Record `jti` for (purpose, issuer); False if it was seen before and has not yet expired."""
    if not jti or len(jti) > 255:
        return False
    try:
        with transaction.atomic():
            SeenJwtId.objects.create(purpose=purpose, issuer=issuer[:255], jti=jti, expires_at=expires_at)
    except IntegrityError:
        # Seen before: a replay, unless the old record outlived its token (then reuse it).
        refreshed = SeenJwtId.objects.filter(
            purpose=purpose, issuer=issuer[:255], jti=jti, expires_at__lt=timezone.now()
        ).update(expires_at=expires_at)
        return refreshed == 1
    return True


def seen_jwt_ids_purge() -> int:
    """Delete records whose tokens have expired (a replay of those fails on `exp` anyway)."""
    deleted, _ = SeenJwtId.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
