"""Celery tasks of the provider: thin wrappers around eid/oidc functions."""

from typing import Any

from celery import shared_task

from eid.oidc.backchannel import BackchannelTemporaryError, backchannel_logout_deliver
from eid.oidc.par import pushed_requests_purge
from eid.oidc.refresh_tokens import spent_refresh_tokens_purge
from eid.oidc.replay import seen_jwt_ids_purge

BACKCHANNEL_MAX_RETRIES = 6


@shared_task(
    bind=True,
    name="oidc.backchannel_logout",
    acks_late=True,
    autoretry_for=(BackchannelTemporaryError,),
    max_retries=BACKCHANNEL_MAX_RETRIES,
    retry_backoff=15,  # 15 s, 30 s, 1 min, 2 min, 4 min, 8 min (with jitter)
    retry_backoff_max=600,
    retry_jitter=True,
)
def backchannel_logout_task(self: Any, client_id: str, sub: str, user_id: int | None, reason: str) -> str:
    retries = self.request.retries
    try:
        return backchannel_logout_deliver(
            client_id=client_id,
            sub=sub,
            user_id=user_id,
            reason=reason,
            attempt=retries,
            final_attempt=retries >= self.max_retries,
            give_up_on_timeout=bool(self.request.is_eager),
        )
    except BackchannelTemporaryError:
        if self.request.is_eager:
            # Eager mode (no broker) with propagating exceptions would hand the retry to the
            # caller, a resident's sign-out: retry in place instead, without the wait.
            return self.apply(args=[client_id, sub, user_id, reason], retries=retries + 1).result
        raise  # autoretry_for schedules the next attempt with backoff


@shared_task(name="oidc.purge_seen_jwt_ids")
def purge_seen_jwt_ids_task() -> int:
    """Deletes expired one-time JWT ids (client assertions, DPoP proofs): a replay of those fails on
    `exp` anyway, so only the table's size is at stake."""
    return seen_jwt_ids_purge()


@shared_task(name="oidc.purge_pushed_authorization_requests")
def purge_pushed_authorization_requests_task() -> int:
    """Deletes pushed authorization requests (RFC 9126) that expired or were used."""
    return pushed_requests_purge()


@shared_task(name="oidc.purge_spent_refresh_tokens")
def purge_spent_refresh_tokens_task() -> int:
    """Forgets rotated refresh tokens past their expiry (refresh_tokens.py)."""
    return spent_refresh_tokens_purge()
