"""OpenID Connect Back-Channel Logout 1.0: telling relying parties that a resident's session ended.

When a resident signs out of the portal, signs out through a client (RP-initiated logout), withdraws
a client's access on "Connected services", or their account is closed, their tokens at the clients
concerned are revoked and each client that registered a `backchannel_logout_uri` is sent a logout
token: a JWT signed with the provider's key, `typ: logout+jwt` (§2.4), posted form-encoded by a
Celery task that retries network errors and 5xx answers with exponential backoff.

The `sub` is the one the client knows (pairwise per sector, stable per department); `sid` is not
sent, so discovery says `backchannel_logout_session_supported: false`.

The URI is the partner's to choose: the post goes through eid/outbound.py (public addresses only,
pinned to the checked address, no redirects — one would re-send the token somewhere not registered).
"""

import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client, Token
from django.db import transaction
from django.http import HttpRequest

from eid.oidc.clients import client_profile
from eid.oidc.id_tokens import id_token_sign
from eid.outbound import OutboundError, outbound_request
from eid.public import User, audit_log

logger = logging.getLogger(__name__)

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 - a media type, not a secret
# Long enough for a slow network hop, short enough that a captured token is soon worthless (§2.4).
LOGOUT_TOKEN_SECONDS = 120
POST_TIMEOUT_SECONDS = 5
_GRANT_TYPES = [Token.Type.ACCESS_TOKEN, Token.Type.REFRESH_TOKEN]


class BackchannelTemporaryError(Exception):
    """The client did not answer, or answered 5xx: worth trying again later."""


def backchannel_logout_uri(client: Client) -> str | None:
    uri = client_profile(client).get("backchannel_logout_uri")
    return uri if isinstance(uri, str) and uri else None


def _sign(claims: dict[str, Any], *, client: Client) -> str:
    # In the algorithm and key of the client's ID tokens (ES256/PS256 for FAPI clients, RS256 else).
    return id_token_sign(claims, client, typ=LOGOUT_TOKEN_TYPE)


def logout_token_create(*, client: Client, sub: str) -> str:
    """A logout token (§2.4): iss, aud, iat, exp, jti, sub and the logout event; never a nonce."""
    now = int(time.time())
    claims = {
        "iss": get_adapter().get_issuer(),
        "aud": client.id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": uuid.uuid4().hex,
        "sub": sub,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    return _sign(claims, client=client)


def client_sessions_end(
    *,
    user: User,
    reason: str,
    client_ids: Iterable[str] | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Revokes the resident's tokens at these clients (every client if None) and schedules a
    back-channel logout to each of them that registered a URI. Returns the clients concerned."""
    from eid.oidc.tasks import backchannel_logout_task  # tasks import this module

    tokens = Token.objects.filter(user=user, type__in=_GRANT_TYPES).exclude(client=None)
    if client_ids is not None:
        tokens = tokens.filter(client_id__in=list(client_ids))
    with transaction.atomic():
        holding = set(tokens.valid().values_list("client_id", flat=True))
        tokens.delete()
        clients = list(Client.objects.filter(pk__in=holding))
        adapter = get_adapter()
        for client in clients:
            if backchannel_logout_uri(client) is None:
                continue
            sub = adapter.get_user_sub(client, user)
            # After commit: a worker must not act on revocations that were rolled back.
            backchannel_logout_task.delay_on_commit(client.id, sub, user.pk, reason)
        if clients:
            audit_log(
                event_type="oidc.sessions_ended",
                actor=user if request is not None else None,
                subject=user,
                request=request,
                data={"client_ids": sorted(client.id for client in clients), "reason": reason},
            )
    return [client.id for client in clients]


def backchannel_logout_deliver(
    *,
    client_id: str,
    sub: str,
    user_id: int | None,
    reason: str,
    attempt: int,
    final_attempt: bool,
    give_up_on_timeout: bool = False,
) -> str:
    """Posts one logout token. "sent", "rejected" (the client refused it: permanent), "failed" (no
    answer on the last attempt), "refused" (the URI points inside the provider's network) or
    "skipped" (the client is gone or no longer registers a URI).

    Raises BackchannelTemporaryError when a later attempt may succeed.
    """
    client = Client.objects.filter(pk=client_id).first()
    uri = backchannel_logout_uri(client) if client is not None else None
    if client is None or uri is None:
        return "skipped"
    detail: dict[str, Any] = {"client_id": client_id, "reason": reason, "attempt": attempt + 1}
    token = logout_token_create(client=client, sub=sub)
    try:
        response = outbound_request(
            "POST",
            uri,
            body=urlencode({"logout_token": token}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=POST_TIMEOUT_SECONDS,
        )
    except OutboundError as error:
        if error.refused:  # the URI points inside the provider's network (or is not https)
            _audit(
                user_id,
                "oidc.backchannel_logout_failed",
                {**detail, "error": error.reason, "permanent": True},
            )
            return "refused"
        status, detail["error"] = None, error.reason
        # In process (no worker) a retry would hold up the resident's sign-out for another timeout.
        final_attempt = final_attempt or (give_up_on_timeout and error.reason == "timeout")
    else:
        status = response.status
        detail["status"] = status
        if 200 <= status < 300:
            _audit(user_id, "oidc.backchannel_logout_sent", detail)
            return "sent"
        if status < 500:
            # §2.8: 400 means the client found the token invalid or could not log out; resending
            # the same kind of token will not change its mind.
            _audit(user_id, "oidc.backchannel_logout_failed", {**detail, "permanent": True})
            return "rejected"
    if final_attempt:
        _audit(user_id, "oidc.backchannel_logout_failed", {**detail, "permanent": False})
        return "failed"
    logger.info("Back-channel logout to %s failed (attempt %s): %s", client_id, attempt + 1, detail)
    raise BackchannelTemporaryError(f"{client_id}: {detail.get('status') or detail.get('error')}")


def _audit(user_id: int | None, event_type: str, data: dict[str, Any]) -> None:
    subject = User.objects.filter(pk=user_id).first() if user_id is not None else None
    audit_log(event_type=event_type, subject=subject, data=data)
