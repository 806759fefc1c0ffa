"""Pushed Authorization Requests (RFC 9126).

A client POSTs its authorization parameters to `/identity/o/par`, authenticated as at the token
endpoint, and gets back a `request_uri`; the resident's browser then carries only `client_id` and
`request_uri` to /authorize. The parameters never pass through the browser, so they cannot be read
or altered there, and the provider has checked the client before any resident sees a page.

The pushed request is stored in the database (any worker can serve the authorization request) under
a hash of its `request_uri`. It must be first used at /authorize within EXPIRES_IN seconds; from that
first visit the resident has INTERACTION_SECONDS to sign in, step up and consent, and the request
is consumed when the authorization response (a code or an error) is produced — once.
"""

import hashlib
import secrets
from datetime import timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from allauth.core.exceptions import RateLimited
from allauth.idp.oidc.internal.clientkit import lookup_client
from allauth.idp.oidc.internal.oauthlib.utils import (
    extract_headers,
    extract_params,
    get_uri,
    get_validator_context,
)
from allauth.idp.oidc.models import Client
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from eid.oidc import dpop, ratelimits
from eid.oidc.clients import client_is_fapi, client_profile
from eid.oidc.models import PushedAuthorizationRequest
from eid.oidc.validator import EidRequestValidator, get_server

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
EXPIRES_IN = 60
INTERACTION_SECONDS = 15 * 60
# Client authentication travels with the push but is no authorization parameter.
_CLIENT_AUTH_PARAMS = ("client_secret", "client_assertion", "client_assertion_type")
# Checked against the resident's session at /authorize, where they are validated again in full.
_SESSION_PARAMS = ("prompt", "id_token_hint", "claims", "max_age")
_PROMPTS = {"none", "login", "consent", "select_account"}
_MAX_BODY = 16 * 1024


class RequestNotSupported(errors.OAuth2Error):
    error = "request_not_supported"
    status_code = 400


class InvalidRequestUri(errors.FatalClientError):
    """A `request_uri` at /authorize that is unknown, another client's, expired or already used."""

    error = "invalid_request_uri"
    status_code = 400


class PushedRequestRequired(errors.FatalClientError):
    error = "invalid_request"
    status_code = 400
    description = "This client must use pushed authorization requests (RFC 9126)."


def _reference_hash(request_uri: str) -> str:
    return hashlib.sha256(request_uri.encode()).hexdigest()


def client_requires_par(client: Client) -> bool:
    """FAPI 2.0 clients, and any client registered with `require_pushed_authorization_requests`."""
    return client_is_fapi(client) or bool(client_profile(client).get("require_pushed_authorization_requests"))


# --- the PAR endpoint ----------------------------------------------------------------------------


def _error(error: errors.OAuth2Error, request: HttpRequest) -> HttpResponse:
    if isinstance(error, errors.InvalidClientError):
        error.status_code = HTTPStatus.UNAUTHORIZED
    elif error.status_code not in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.REQUEST_ENTITY_TOO_LARGE):
        error.status_code = HTTPStatus.BAD_REQUEST  # RFC 9126 §2.3: 400 for every request error
    error.state = None  # a token-endpoint style error (RFC 6749 §5.2): no `state`
    response = dpop.json_error_response(error)
    if error.status_code == HTTPStatus.UNAUTHORIZED and "HTTP_AUTHORIZATION" in request.META:
        response["WWW-Authenticate"] = 'Basic realm="eid"'
    return response


def _authenticate(orequest: Request) -> Client:
    """As at the token endpoint (RFC 9126 §2.1): the portal's validator, so every method it knows."""
    validator = EidRequestValidator()
    if validator.client_authentication_required(orequest):
        if not validator.authenticate_client(orequest):
            raise errors.InvalidClientError(request=orequest)
    elif not validator.authenticate_client_id(orequest.client_id, orequest):
        raise errors.InvalidClientError(request=orequest)
    return orequest.client


def _check_prompt(value: str | None, orequest: Request) -> None:
    prompts = set((value or "").split())
    if not prompts <= _PROMPTS or ("none" in prompts and len(prompts) > 1):
        raise errors.InvalidRequestError(description="Invalid prompt.", request=orequest)


def _validate(params: dict[str, str], orequest: Request) -> None:
    """The checks /authorize makes before showing the resident anything, without creating a grant."""
    _check_prompt(params.get("prompt"), orequest)
    checked = {key: value for key, value in params.items() if key not in _SESSION_PARAMS}
    uri = f"{reverse('idp:oidc:authorization')}?{urlencode(checked)}"
    try:
        _scopes, info = get_server().validate_authorization_request(uri, "GET", "", orequest.headers)
    except errors.FatalClientError as error:
        # Unknown redirect URI and the like: an error to the client, never a redirect (§2.3).
        raise errors.InvalidRequestError(description=error.description, request=orequest) from error
    if info.get("response_type") != "code":
        raise errors.UnsupportedResponseTypeError(request=orequest)
    if info.get("code_challenge_method") != "S256":
        raise errors.InvalidRequestError(
            description="PKCE with code_challenge_method=S256 is required.", request=orequest
        )
    if "dpop_jkt" in params and not dpop.is_jkt(params["dpop_jkt"]):
        raise errors.InvalidRequestError(description="Invalid dpop_jkt.", request=orequest)


def push(request: HttpRequest) -> HttpResponse:
    """RFC 9126 §2: validate and store a pushed authorization request; 201 with its request_uri."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > _MAX_BODY:
        too_large = errors.InvalidRequestError(description="The request is too large.")
        too_large.status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        return _error(too_large, request)
    uri, method, body, headers = extract_params(request)
    orequest = Request(uri, method, body, headers)
    try:
        if not request.content_type == "application/x-www-form-urlencoded" or len(body) > _MAX_BODY:
            raise errors.InvalidRequestError(
                description="Send the parameters as application/x-www-form-urlencoded.", request=orequest
            )
        duplicates = [key for key, values in request.POST.lists() if len(values) > 1]
        if duplicates or request.GET:
            raise errors.InvalidRequestError(
                description="Send each parameter once, in the request body.", request=orequest
            )
        if "request_uri" in request.POST:
            raise errors.InvalidRequestError(
                description="request_uri is not allowed in a pushed authorization request.", request=orequest
            )
        if "request" in request.POST:
            raise RequestNotSupported(description="Request objects are not supported.", request=orequest)
        # RFC 9449 §10.1: a DPoP proof at PAR binds the code to its key, as `dpop_jkt` would. Checked
        # before client authentication, so a nonce retry does not find its client assertion spent.
        proof = dpop.request_proof(request, path=request.path)
        client = _authenticate(orequest)
        params = {key: value for key, value in request.POST.items() if key not in _CLIENT_AUTH_PARAMS}
        if params.setdefault("client_id", client.id) != client.id:
            raise errors.InvalidRequestError(
                description="client_id does not match the authenticated client.", request=orequest
            )
        _validate(params, orequest)
        if proof is not None and params.setdefault("dpop_jkt", proof.jkt) != proof.jkt:
            raise errors.InvalidRequestError(
                description="dpop_jkt does not match the DPoP proof's key.", request=orequest
            )
    except errors.OAuth2Error as error:
        return _error(error, request)
    except RateLimited as error:
        return ratelimits.limited_response(error)
    except ValidationError as error:
        return _error(errors.InvalidRequestError(description="; ".join(error.messages)), request)
    request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(32)
    PushedAuthorizationRequest.objects.create(
        reference_hash=_reference_hash(request_uri),
        client_id=client.id,
        parameters=params,
        expires_at=timezone.now() + timedelta(seconds=EXPIRES_IN),
    )
    response = JsonResponse({"request_uri": request_uri, "expires_in": EXPIRES_IN}, status=HTTPStatus.CREATED)
    response["Cache-Control"] = "no-store"
    if proof is not None:
        response[dpop.NONCE_HEADER] = dpop.nonce_issue()
    return response


# --- at the authorization endpoint ---------------------------------------------------------------


def _load(client_id: str, request_uri: str) -> PushedAuthorizationRequest:
    now = timezone.now()
    pushed = PushedAuthorizationRequest.objects.filter(
        reference_hash=_reference_hash(request_uri), client_id=client_id
    ).first()
    if pushed is None:
        raise InvalidRequestUri(description="Unknown request_uri for this client.")
    if pushed.consumed_at is not None:
        raise InvalidRequestUri(description="This request_uri was already used.")
    if pushed.expires_at <= now:
        raise InvalidRequestUri(description="This request_uri has expired.")
    prompts = str(pushed.parameters.get("prompt", "")).split()
    updates: dict[str, Any] = {}
    if pushed.started_at is None:
        updates.update(started_at=now, expires_at=now + timedelta(seconds=INTERACTION_SECONDS))
    if "login" in prompts and not pushed.login_prompted:
        # This visit asks the resident to sign in again; the return visit must not ask forever.
        updates["login_prompted"] = True
    if updates:
        PushedAuthorizationRequest.objects.filter(pk=pushed.pk).update(**updates)
    elif pushed.login_prompted:
        prompts = [prompt for prompt in prompts if prompt != "login"]
        pushed.parameters = {key: value for key, value in pushed.parameters.items() if key != "prompt"}
        if prompts:
            pushed.parameters["prompt"] = " ".join(prompts)
    return pushed


def authorize_hook(request: HttpRequest) -> errors.OAuth2Error | None:
    """Before /authorize handles a GET: load the pushed parameters a `request_uri` names (RFC 9126 §4:
    every other query parameter is ignored), or refuse clients that must push. Returns an error to
    show the resident (never a redirect: nothing about the request can be trusted yet)."""
    if request.method not in ("GET", "HEAD"):
        return None
    client_id = request.GET.get("client_id")
    request_uri = request.GET.get("request_uri")
    if request_uri is not None:
        if not client_id:
            return errors.InvalidRequestError(description="client_id is required with request_uri.")
        try:
            pushed = _load(client_id, request_uri)
        except InvalidRequestUri as error:
            return error
        query = QueryDict(mutable=True)
        query.update(pushed.parameters)
        query._mutable = False
        request.GET = query
        request.eid_pushed = pushed
        return None
    if isinstance(client_id, str) and client_id:
        # Cached for the validator, which looks the client up next anyway.
        clients = get_validator_context().clients
        if client_id not in clients:
            clients[client_id] = lookup_client(client_id)
        client = clients[client_id]
        if client is not None and client_requires_par(client):
            return PushedRequestRequired()
    return None


def authorize_params(request: HttpRequest) -> tuple[str, str, str, dict[str, str]]:
    """allauth's `extract_params`, with the pushed parameters as the query when a request_uri was used."""
    pushed = getattr(request, "eid_pushed", None)
    if pushed is None:
        return extract_params(request)
    uri = get_uri(request)
    uri = f"{uri.partition('?')[0]}?{urlencode(pushed.parameters)}"
    return uri, request.method or "GET", "", extract_headers(request)


def pushed_id(request: HttpRequest) -> int | None:
    pushed = getattr(request, "eid_pushed", None)
    return pushed.pk if pushed is not None else None


def consume(pushed_pk: int) -> bool:
    """Mark a pushed request used; False if it was used (or expired) already — the caller must then
    drop the authorization response it made."""
    return bool(
        PushedAuthorizationRequest.objects.filter(
            pk=pushed_pk, consumed_at__isnull=True, expires_at__gt=timezone.now()
        ).update(consumed_at=timezone.now())
    )


def pushed_requests_purge() -> int:
    """Delete pushed requests that expired or were used more than an interaction window ago."""
    horizon = timezone.now() - timedelta(seconds=INTERACTION_SECONDS)
    deleted, _ = PushedAuthorizationRequest.objects.filter(
        Q(expires_at__lt=timezone.now()) | Q(consumed_at__lt=horizon)
    ).delete()
    return deleted
