"""The resident's "Connected services": which clients hold tokens for them, and withdrawing one."""

from dataclasses import dataclass
from datetime import datetime

from allauth.idp.oidc.models import Client, Token
from django.db import transaction
from django.http import HttpRequest

from eid.oidc.backchannel import client_sessions_end
from eid.oidc.consents import consent_forget
from eid.public import SCOPES, User, audit_log

_GRANT_TYPES = [Token.Type.ACCESS_TOKEN, Token.Type.REFRESH_TOKEN]


@dataclass(frozen=True)
class ConnectedService:
    client: Client
    scopes: list[str]
    granted_at: datetime


def connected_services(*, user: User) -> list[ConnectedService]:
    """Every client with a live token for the resident, with what it can see, newest grant first."""
    found: dict[str, tuple[Client, set[str], datetime]] = {}
    tokens = Token.objects.valid().filter(user=user, type__in=_GRANT_TYPES).select_related("client")
    for token in tokens.exclude(client=None):
        client, scopes, first = found.get(token.client_id, (token.client, set(), token.created_at))
        scopes.update(token.get_scopes())
        found[token.client_id] = (client, scopes, min(first, token.created_at))
    order = {scope: index for index, scope in enumerate(SCOPES)}
    services = [
        ConnectedService(client=client, scopes=sorted(scopes, key=lambda s: order.get(s, 99)), granted_at=at)
        for client, scopes, at in found.values()
    ]
    return sorted(services, key=lambda service: service.granted_at, reverse=True)


def connected_service_revoke(*, user: User, client_id: str, request: HttpRequest | None = None) -> bool:
    """Withdraws a client's access: its tokens for this resident are deleted and the client is told
    by back-channel logout. False if it had none."""
    with transaction.atomic():
        deleted = client_sessions_end(user=user, client_ids=[client_id], reason="withdrawn", request=request)
        consent_forget(user=user, client_id=client_id)  # the next sign-in there asks again
        if deleted:
            audit_log(
                event_type="oidc.access_revoked",
                actor=user,
                subject=user,
                request=request,
                data={"client_id": client_id},
            )
    return bool(deleted)
