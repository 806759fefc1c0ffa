"""Department systems as OIDC clients of the client credentials grant (RFC 6749 §4.4).

Such a client acts for its department, not for a resident: it holds only CLIENT_SCOPES (e.g.
`notifications.send`), never a resident scope, and has no redirect URI, response type or consent.
`Client.data["department"]` names the department (its code); `Client.data["environment"] ==
"sandbox"` marks a client whose tokens act like a department's *test* key (nothing delivered).
"""

from dataclasses import dataclass

from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client, Token
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eid.oidc.client_secrets import client_secret_hash
from eid.public import CLIENT_SCOPES, Department, audit_log

SANDBOX = "sandbox"


@dataclass(frozen=True)
class ServiceClient:
    """Who a client-credentials access token speaks for."""

    client_id: str
    department: Department
    scopes: frozenset[str]
    sandbox: bool

    # Stands in for request.user in DRF: a system, not a resident.
    is_authenticated = True
    is_anonymous = False


def service_client_create(
    *, name: str, department: str, scopes: list[str], sandbox: bool = False
) -> tuple[Client, str]:
    """A confidential client (client_secret_basic) for the client credentials grant only.

    Returns (client, secret); the secret is shown once, only its keyed hash is stored."""
    found = Department.objects.filter(code=department).first()
    if found is None:
        raise ValidationError(_("No department with code %(code)s.") % {"code": department})
    scopes = list(dict.fromkeys(scopes))
    wrong = [scope for scope in scopes if scope not in CLIENT_SCOPES]
    if wrong or not scopes:
        raise ValidationError(
            _("A client credentials client takes only these scopes: %(scopes)s")
            % {"scopes": " ".join(CLIENT_SCOPES)}
        )
    client = Client(
        name=name,
        type=Client.Type.CONFIDENTIAL,
        skip_consent=True,  # no resident, so nothing to consent to
        data={
            "department": found.code,
            "environment": SANDBOX if sandbox else "production",
            "token_endpoint_auth_method": "client_secret_basic",
        },
    )
    client.set_redirect_uris([])
    client.set_scopes(scopes)
    client.set_default_scopes(scopes)
    client.set_grant_types([Client.GrantType.CLIENT_CREDENTIALS])
    client.set_response_types([])
    secret = get_adapter().generate_client_secret()
    client.secret = client_secret_hash(secret)
    with transaction.atomic():
        client.full_clean(
            exclude=["secret", "cors_origins", "default_scopes", "owner", "redirect_uris", "response_types"]
        )
        client.save()
        audit_log(
            event_type="oidc.client_created",
            data={
                "client_id": client.id,
                "name": name,
                "grant": "client_credentials",
                "department": found.code,
                "sandbox": sandbox,
            },
        )
    return client, secret


def service_client_for_token(token: Token) -> ServiceClient | None:
    """The department system behind a client-credentials access token; None for a resident's
    token, or a client not linked to an existing department."""
    if token.user_id is not None or token.client is None:
        return None
    client = token.client
    if Client.GrantType.CLIENT_CREDENTIALS not in client.get_grant_types():
        return None
    data = client.data if isinstance(client.data, dict) else {}
    department = Department.objects.filter(code=data.get("department") or "").first()
    if department is None:
        return None
    return ServiceClient(
        client_id=client.id,
        department=department,
        scopes=frozenset(token.get_scopes()),
        sandbox=data.get("environment") == SANDBOX,
    )
