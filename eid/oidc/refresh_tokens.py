"""Refresh-token families: each rotation remembered, a reuse revokes the family (RFC 9700 §4.14.2).

A family is the chain of tokens since one code exchange: the refresh token issued with the code and
every refresh token (and access token) issued by rotating it carry the same `eid_family` id in their
`data`. Rotation records the old token's hash (SpentRefreshToken). A spent refresh token presented
again means it was copied: the legitimate client and an attacker both hold the chain, and the
provider cannot tell which is which, so every token of the family is revoked and the request fails
with `invalid_grant`; the client must send the resident through authorization again.
"""

import uuid
from datetime import timedelta
from typing import Any

from allauth.idp.oidc.models import Token
from django.http import HttpRequest
from django.utils import timezone

from eid.oidc.models import SpentRefreshToken
from eid.public import audit_log

FAMILY_KEY = "eid_family"
# How long a spent token is remembered when its own expiry is unknown (refresh tokens without one).
SPENT_RETENTION = timedelta(days=90)


def new_family() -> str:
    return uuid.uuid4().hex


def token_family(token: Token) -> str | None:
    data = token.data if isinstance(token.data, dict) else {}
    family = data.get(FAMILY_KEY)
    return family if isinstance(family, str) else None


def with_family(data: Any, family: str | None) -> Any:
    """`data` (a token's JSON) carrying the family id."""
    if family is None:
        return data
    return {**(data if isinstance(data, dict) else {}), FAMILY_KEY: family}


def refresh_token_spent(*, token: Token, family: str) -> None:
    """Remember a refresh token that is being rotated (inside the token request's transaction)."""
    SpentRefreshToken.objects.create(
        hash=token.hash,
        client_id=token.client_id or "",
        user_id=token.user_id,
        family=family,
        expires_at=token.expires_at or timezone.now() + SPENT_RETENTION,
    )


def refresh_token_reused(*, client_id: str, token_hash: str, request: HttpRequest | None) -> bool:
    """If `token_hash` is a spent refresh token of this client: revoke its family, audit, True."""
    spent = (
        SpentRefreshToken.objects.filter(hash=token_hash, client_id=client_id).select_related("user").first()
    )
    if spent is None:
        return False
    revoked, _ = Token.objects.filter(client_id=client_id, data__eid_family=spent.family).delete()
    audit_log(
        event_type="oidc.refresh_token_reused",
        subject=spent.user,
        request=request,
        data={"client_id": client_id, "family": spent.family, "tokens_revoked": revoked},
    )
    return True


def spent_refresh_tokens_purge() -> int:
    """Forget spent tokens past their expiry (presented again, they fail as unknown anyway)."""
    deleted, _ = SpentRefreshToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
