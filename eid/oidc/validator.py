"""allauth's oauthlib request validator, with the defects listed in ../shared/STACK.md fixed.

allauth builds its oauthlib server around its own validator; the portal's views (eid/oidc/views.py)
use `get_server()` below instead, which differs only where a method is overridden here.
"""

import uuid
from typing import Any

from allauth.core import context
from allauth.core.internal import httpkit
from allauth.idp.oidc import app_settings
from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.internal.oauthlib.request_validator import OAuthLibRequestValidator
from allauth.idp.oidc.internal.oauthlib.server import generate_access_token, generate_refresh_token
from allauth.idp.oidc.internal.oauthlib.utils import get_validator_context
from allauth.idp.oidc.models import Client, Token
from django.core.cache import cache
from django.utils import timezone
from oauthlib.common import Request
from oauthlib.openid import Server

from eid.oidc import dpop, ratelimits
from eid.oidc.claims import primary_email_extras, remember_primary_email
from eid.oidc.client_assertions import claimed_client_id, client_from_assertion, presented_assertion
from eid.oidc.client_secrets import basic_credentials, client_secret_matches
from eid.oidc.clients import client_accepts_secret
from eid.oidc.consents import remembered_scopes
from eid.oidc.id_tokens import id_token_hint_claims, id_token_sign
from eid.oidc.refresh_tokens import (
    new_family,
    refresh_token_reused,
    refresh_token_spent,
    token_family,
    with_family,
)
from eid.oidc.session import session_authentication
from eid.oidc.subjects import subject_record
from eid.prepared import PreparedSelect
from eid.public import CLIENT_SCOPES

# How long a redeemed code is remembered, so a replay can revoke what it issued (RFC 6749 §4.1.2).
SPENT_CODE_SECONDS = 10 * 60


def _spent_code_key(client_id: str, code: str) -> str:
    return f"eid.oidc.spent_code[{client_id}:{code}]"


# Userinfo's and the REST API's one query: the valid access token, its resident, client and the
# resident's email (allauth's `Token.objects.valid().by_value()`, compiled once: eid/prepared.py).
_ACCESS_TOKEN_WITH_USER_AND_CLIENT = PreparedSelect(
    Token,
    related=("user", "client"),
    where="t0.{type} = %s AND t0.{hash} = %s AND (t0.{expires_at} IS NULL OR t0.{expires_at} > %s)",
    params=("type", "hash", "expires_at"),
    extras=primary_email_extras(),
)


# Every token, introspection, revocation and PAR request's client (allauth's `lookup_client`).
_CLIENT = PreparedSelect(Client, where="t0.{id} = %s", params=("id",))


# The refresh grant's token, its resident and their email (allauth's `Token.objects.lookup`).
_REFRESH_TOKEN_WITH_USER = PreparedSelect(
    Token,
    related=("user",),
    where=(
        "t0.{client_id} = %s AND t0.{type} = %s AND t0.{hash} = %s"
        " AND (t0.{expires_at} IS NULL OR t0.{expires_at} > %s)"
    ),
    params=("client", "type", "hash", "expires_at"),
    extras=primary_email_extras(),
)


class EidRequestValidator(OAuthLibRequestValidator):
    def _lookup_client(self, request: Request, client_id: str | None) -> Client | None:
        # With client_secret_basic the body has no client_id: allauth would still query for
        # `id IS NULL` (one wasted query per token request).
        if not client_id:
            return None
        if app_settings.CIMD_ENABLED:  # client-ID metadata documents: allauth's own look-up
            return super()._lookup_client(request, client_id)
        clients = get_validator_context().clients  # allauth's per-request cache
        if client_id not in clients:
            clients[client_id] = _CLIENT.first(client_id)
        return clients[client_id]

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        """Rate limited (ratelimits.py): an IP over its failed-authentication budget is refused
        before any credential is checked; an authenticated client spends its own budget."""
        ratelimits.client_auth_allowed(context.request)
        if not self._authenticate_client(request):
            ratelimits.client_auth_failed(context.request)
            return False
        ratelimits.client_consume(context.request, request.client.id)
        return True

    def authenticate_client_id(self, client_id: str, request: Request, *args: Any, **kwargs: Any) -> bool:
        ratelimits.client_auth_allowed(context.request)  # public clients: failures count too
        if super().authenticate_client_id(client_id, request, *args, **kwargs):
            return True
        ratelimits.client_auth_failed(context.request)
        return False

    def _authenticate_client(self, request: Request) -> bool:
        """client_secret_basic (credentials URL-decoded, RFC 6749 §2.3.1), client_secret_post, or
        private_key_jwt (client_assertions.py); each client only by the method it registered."""
        if presented_assertion(request) is not None:
            return self._authenticate_client_assertion(request)
        ctx = get_validator_context()
        authorization = request.headers.get("Authorization", "")
        candidates: list[str] = []
        decoded = basic_credentials(authorization)
        if decoded is not None:
            client_id, secret = decoded
            candidates.append(secret)
            # Many clients do not form-encode; accept the secret as sent too (one more HMAC).
            _raw_id, raw_secret = httpkit.extract_basic_auth(request.headers)
            if raw_secret and raw_secret != secret:
                candidates.append(raw_secret)
        elif (
            not authorization
            and Client.AuthenticationMethod.CLIENT_SECRET_POST in ctx.supported_auth_methods
            and isinstance(getattr(request, "client_secret", None), str)
        ):
            client_id = getattr(request, "client_id", None)
            candidates.append(request.client_secret)
        else:
            return False
        if not isinstance(client_id, str) or not all(candidates):
            return False
        client = self._lookup_client(request, client_id)
        if client is None or client.type != Client.Type.CONFIDENTIAL or not client_accepts_secret(client):
            return False
        if not any(self._secret_matches(client, secret) for secret in candidates):
            return False
        self._use_client(request, client)
        return True

    def _authenticate_client_assertion(self, request: Request) -> bool:
        """private_key_jwt (RFC 7523 §3); one method per request (RFC 6749 §2.3)."""
        if request.headers.get("Authorization") or getattr(request, "client_secret", None):
            return False
        client = client_from_assertion(request, lookup=lambda sub: self._lookup_client(request, sub))
        if client is None:
            return False
        self._use_client(request, client)
        return True

    @staticmethod
    def _secret_matches(client: Client, secret: str) -> bool:
        if client_secret_matches(secret, client.secret):
            return True
        # Clients registered before the keyed hash (or through allauth's own admin/DCR forms)
        # still carry a password hash: the slow check remains their path until re-issued.
        return not client.secret.startswith("hmac-") and client.check_secret(secret)

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Client, request: Request, *args, **kwargs
    ) -> bool:
        """A department system's scopes (CLIENT_SCOPES) only on the client credentials grant, and
        only those there: never on a resident's consent screen, and no resident data without one."""
        for_system = request.grant_type == Client.GrantType.CLIENT_CREDENTIALS
        if any((scope in CLIENT_SCOPES) != for_system for scope in scopes):
            return False
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: Request
    ) -> list:
        # Asked before client authentication; a private_key_jwt client need not send client_id.
        return super().get_authorization_code_scopes(
            client_id or claimed_client_id(request), code, redirect_uri, request
        )

    def validate_user_match(self, id_token_hint: str, scopes: Any, claims: Any, request: Request) -> bool:
        """An id_token_hint names the signed-in resident; allauth's check knows RS256 only."""
        if id_token_hint:
            user = context.request.user
            payload = id_token_hint_claims(id_token_hint, client_id=request.client.id)
            if payload is None or not user.is_authenticated:
                return False
            if payload.get("sub") != get_adapter().get_user_sub(request.client, user):
                return False
        return super().validate_user_match(None, scopes, claims, request)

    def is_pkce_required(self, client_id: str, request: Request) -> bool:
        # FAPI 2.0 and OAuth 2.1: PKCE for every client, confidential ones included.
        return True

    def validate_silent_authorization(self, request: Request) -> bool:
        """prompt=none succeeds only if the resident granted these scopes to *this* client.

        allauth counts tokens the resident holds at any client, so one consent elsewhere lets a
        client that was never consented to obtain a code silently.
        """
        if request.client.skip_consent:
            return True  # a first-party client registered as needing no consent
        remembered = remembered_scopes(
            user=context.request.user,
            client_id=request.client.id,
            requested=request.scopes,
            fully_granted=True,
        )
        if remembered is not None:
            return True  # consents.py: agreed to all of this before, and not withdrawn since
        granted: set[str] = set()
        tokens = Token.objects.valid().filter(
            user=context.request.user,
            client=request.client,
            type__in=[Token.Type.REFRESH_TOKEN, Token.Type.ACCESS_TOKEN],
        )
        for scopes in tokens.values_list("scopes", flat=True):
            granted.update(scope for scope in scopes.split("\n") if scope)
        return bool(granted) and set(request.scopes).issubset(granted)

    def save_authorization_code(self, client_id: str, code: dict, request: Request, *args, **kwargs) -> None:
        # The code remembers what this sign-in proved: the token request has no resident session.
        session = session_authentication(context.request)
        code = dict(code, eid_session=session)
        if jkt := getattr(request, "dpop_jkt", None):
            code["dpop_jkt"] = jkt  # RFC 9449 §10: only a proof by this key redeems the code
        subject_record(client=request.client, user=request.user)
        super().save_authorization_code(client_id, code, request, *args, **kwargs)

    def validate_code(
        self, client_id: str, code: str, client: Client, request: Request, *args, **kwargs
    ) -> bool:
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            self._revoke_tokens_of_spent_code(client_id, code)
            return False
        stored = self._lookup_authorization_code(request, client_id, code) or {}
        get_validator_context().eid_session = stored.get("code", {}).get("eid_session")
        dpop.check_token_request(request, bound_jkt=stored.get("code", {}).get("dpop_jkt"))
        return True

    def save_bearer_token(self, token: dict, request: Request, *args, **kwargs) -> None:
        super().save_bearer_token(token, request, *args, **kwargs)
        adapter = get_adapter()
        ctx = get_validator_context()
        issued = [token[name] for name in ("access_token", "refresh_token") if token.get(name)]
        ctx.eid_issued_hashes = [adapter.hash_token(value) for value in issued]

    def _prep_refresh_token(self, ctx: Any, refresh_token: str, request: Request) -> Token:
        spent = ctx.refresh_token
        family = (token_family(spent) if spent is not None else None) or new_family()
        ctx.eid_family = family  # the access token issued with it joins the family
        if spent is not None and app_settings.ROTATE_REFRESH_TOKEN:
            refresh_token_spent(token=spent, family=family)  # before allauth deletes it
        token = super()._prep_refresh_token(ctx, refresh_token, request)
        token.data = with_family(token.data, family)
        session = getattr(ctx, "eid_session", None)
        if session:
            # A refreshed ID token reports the original sign-in, not a missing or lower `acr`;
            # set before allauth's bulk insert, so it costs no extra query.
            token.data = {**(token.data or {}), "eid_session": session}
        token.data = dpop.bind(token.data, getattr(ctx, "eid_dpop_jkt", None))
        return token

    def _prep_access_token(self, ctx: Any, token: dict, request: Request) -> Token:
        access_token = super()._prep_access_token(ctx, token, request)
        access_token.data = with_family(access_token.data, getattr(ctx, "eid_family", None))
        if session := getattr(ctx, "eid_session", None):
            # The sign-in behind the token, for userinfo's acr, amr and auth_time.
            access_token.data = {**(access_token.data or {}), "eid_session": session}
        if jkt := getattr(ctx, "eid_dpop_jkt", None):
            # RFC 9449 §5: bound to the proof's key (no extra query: set before the bulk insert).
            access_token.data = dpop.bind(access_token.data, jkt)
            token["token_type"] = "DPoP"  # noqa: S105 (a token type, not a secret)
        return access_token

    def validate_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        """allauth's checks, with the token's user and client read in the token's query (userinfo:
        1 query instead of 4, the email claim included), then the DPoP binding (RFC 9449 §7)."""
        if not token or context.request.GET.get("access_token") == token:
            return False  # never from the query string: it leaks to logs and Referer headers
        instance = _ACCESS_TOKEN_WITH_USER_AND_CLIENT.first(
            Token.Type.ACCESS_TOKEN, get_adapter().hash_token(token), timezone.now()
        )
        if instance is None or instance.client is None:
            return False
        if instance.user is not None and not instance.user.is_active:
            return False
        if instance.user is not None:
            remember_primary_email(instance.user, instance)
        granted_scopes = instance.get_scopes()
        if not set(scopes).issubset(granted_scopes):
            return False
        ctx = get_validator_context()
        if (
            instance.client.type == Client.Type.PUBLIC
            and Client.AuthenticationMethod.NONE not in ctx.supported_auth_methods
        ):
            return False
        request.user = instance.user
        self._use_client(request, instance.client)
        request.scopes = granted_scopes
        ctx.access_token = instance
        request.access_token = token
        return dpop.sender_constraint_met(ctx)

    def get_userinfo_claims(self, request: Request) -> dict:
        """allauth's claims, plus the sign-in behind the access token: `acr` (the level it reached),
        `amr` and `auth_time`, as in the ID token (OIDC Core §5.3.2 allows any claim here)."""
        claims = super().get_userinfo_claims(request)
        data = get_validator_context().access_token.data
        session = data.get("eid_session") if isinstance(data, dict) else None
        if isinstance(session, dict):
            claims.update({key: session[key] for key in ("acr", "amr", "auth_time") if key in session})
        return claims

    def validate_refresh_token(
        self, refresh_token: str, client: Client, request: Request, *args, **kwargs
    ) -> bool:
        """allauth's look-up in one prepared query (the token, its resident and their email); a
        refresh token already rotated revokes its family (refresh_tokens.py)."""
        token_hash = get_adapter().hash_token(refresh_token)
        stored = _REFRESH_TOKEN_WITH_USER.first(
            client.pk, Token.Type.REFRESH_TOKEN, token_hash, timezone.now()
        )
        if stored is None:
            refresh_token_reused(client_id=client.pk, token_hash=token_hash, request=context.request)
            return False
        if stored.user is None or not stored.user.is_active:
            return False
        remember_primary_email(stored.user, stored)
        request.user = stored.user
        ctx = get_validator_context()
        ctx.refresh_token = stored
        data = stored.data if isinstance(stored.data, dict) else {}
        ctx.eid_session = data.get("eid_session")
        dpop.check_token_request(request, bound_jkt=dpop.token_jkt(data), refresh=True)
        return True

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args, **kwargs
    ) -> None:
        hashes = getattr(get_validator_context(), "eid_issued_hashes", [])
        cache.set(_spent_code_key(client_id, code), hashes, timeout=SPENT_CODE_SECONDS)
        super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)

    @staticmethod
    def _revoke_tokens_of_spent_code(client_id: str, code: str) -> None:
        """A replayed code: the first redemption may have been the attacker's; revoke its tokens."""
        hashes = cache.get(_spent_code_key(client_id, code))
        if hashes:
            Token.objects.filter(client_id=client_id, hash__in=hashes).delete()

    def finalize_id_token(self, id_token: dict, token: dict, token_handler: Any, request: Request) -> str:
        adapter = get_adapter()
        id_token["iss"] = adapter.get_issuer()
        id_token["exp"] = id_token["iat"] + app_settings.ID_TOKEN_EXPIRES_IN
        id_token["jti"] = uuid.uuid4().hex
        ctx = get_validator_context()
        id_token.update(
            adapter.get_claims("id_token", request.user, request.client, request.scopes, email=ctx.email)
        )
        adapter.populate_id_token(
            id_token, request.client, request.scopes, session=getattr(ctx, "eid_session", None)
        )
        # In the client's algorithm (ES256/PS256 for FAPI); parsed keys are cached per process.
        return id_token_sign(id_token, request.client)


def request_client(client_id: str | None) -> Client | None:
    """The client named in this HTTP request, from the validator's per-request cache: a consent
    round trip looks it up once per request however often the view and oauthlib ask."""
    return EidRequestValidator()._lookup_client(None, client_id)


class EidServer(Server):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            token_generator=generate_access_token,
            refresh_token_generator=generate_refresh_token,
            request_validator=EidRequestValidator(),
            token_expires_in=app_settings.ACCESS_TOKEN_EXPIRES_IN,
            **kwargs,
        )


def get_server(**kwargs: Any) -> EidServer:
    return EidServer(**kwargs)
