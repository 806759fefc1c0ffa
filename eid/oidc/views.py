"""allauth's OIDC endpoints, subclassed where the portal differs (see validator.py for the rest).

Each override says why. The views stay allauth's: same templates, forms and URL names
(`idp:oidc:*`), so allauth's own code that reverses them keeps working.
"""

from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from allauth.account.internal.decorators import login_not_required
from allauth.core.exceptions import RateLimited
from allauth.core.internal import ratelimit
from allauth.core.internal.httpkit import add_query_params
from allauth.idp.oidc import app_settings
from allauth.idp.oidc import views as allauth_views
from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.forms import AuthorizationForm, RPInitiatedLogoutForm
from allauth.idp.oidc.internal.oauthlib.utils import (
    convert_response,
    extract_params,
    get_validator_context,
    respond_json_error,
)
from allauth.idp.oidc.internal.resources import get_resources
from allauth.idp.oidc.models import Client
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauthlib.oauth2.rfc6749 import errors

from eid.oidc import dpop, form_action, par, ratelimits
from eid.oidc.consents import consent_remember, remembered_scopes
from eid.oidc.discovery import discovery_document, jwks_published
from eid.oidc.logout_forms import LogoutForm
from eid.oidc.onboarding import client_declaration, sandbox_refuses
from eid.oidc.reauthentication import authentication_asked, reauthenticate_if_stale, reauthentication_path
from eid.oidc.session import required_level
from eid.oidc.validator import get_server, request_client
from eid.public import SCOPES, AssuranceLevel, audit_log, session_assurance_level

ERROR_TEMPLATE = "idp/oidc/error.html"


class UnmetAuthenticationRequirements(errors.OAuth2Error):
    """OpenID Connect Unmet Authentication Requirements 1.0: the level asked for was not reached."""

    error = "unmet_authentication_requirements"


def error_page(request: HttpRequest, error: Exception | None = None, form: Any = None) -> HttpResponse:
    """allauth's error page, with a 4xx status (allauth answers 200, which caches and monitors
    read as success)."""
    status = getattr(error, "status_code", None) or HTTPStatus.BAD_REQUEST
    if status < HTTPStatus.BAD_REQUEST or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        status = HTTPStatus.BAD_REQUEST
    return render(request, ERROR_TEMPLATE, {"error": error, "error_form": form}, status=status)


def sandbox_refusal(request: HttpRequest, client: Client | None) -> HttpResponse | None:
    """Sandbox credentials sign in demo residents only (onboarding.py): a clear page, no redirect."""
    if client is not None and sandbox_refuses(client=client, user=request.user):
        context = {"client": client}
        return render(request, "idp/partners/sandbox_refused.html", context, status=HTTPStatus.FORBIDDEN)
    return None


def allow_form_redirect(response: HttpResponse, uri: str | None) -> HttpResponse:
    """CSP `form-action` also governs the redirects after a form is sent: a page whose form answers
    with a redirect to a client (consent, logout confirmation) allows that client's origin, which
    the provider has checked against the client's registration before rendering the page."""
    if uri:
        parts = urlsplit(uri)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"
        response._csp_update = {"form-action": [origin]}
    return response


def step_up_url(level: AssuranceLevel, next_url: str) -> str:
    return f"{reverse('eid:step_up')}?{urlencode({'level': int(level), 'next': next_url})}"


def consent_items(requested: list[str], chosen: set[str]) -> list[dict[str, Any]]:
    """The consent page's lines, in the portal's scope order; `openid` cannot be left out."""
    labels = get_adapter().scope_display
    order = {scope: index for index, scope in enumerate(SCOPES)}
    return [
        {
            "value": scope,
            "label": labels.get(scope, scope),
            "checked": scope in chosen,
            "required": scope == "openid",
        }
        for scope in sorted(requested, key=lambda scope: order.get(scope, len(order)))
    ]


class AuthorizationView(allauth_views.AuthorizationView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if limited := ratelimits.authorize_limit(request):
            return limited  # the portal's 429 page: nothing in the request is trusted yet
        refused = par.authorize_hook(request)  # RFC 9126: a pushed request's parameters, or a refusal
        if refused is not None:
            return error_page(request, refused)
        response = self._spend_pushed_request(super().dispatch(request, *args, **kwargs))
        location = response.get("Location", "")
        if response.status_code == HTTPStatus.FOUND and location.startswith("/"):
            # Off to sign in or step up: those pages' forms must be able to end at this client.
            form_action.pending_client_remember(request, request.GET.get("client_id"))
        else:
            form_action.pending_client_forget(request)
        # Redirects back to a client are absolute (its redirect URI); the portal's own (sign-in,
        # step-up) are paths. RFC 9207: every authorization response names its issuer, so a
        # client talking to several providers cannot be tricked into a mix-up.
        if response.status_code == HTTPStatus.FOUND and location and not location.startswith("/"):
            response["Location"] = add_query_params(location, {"iss": get_adapter().get_issuer()})
        return response

    def _handle_login_prompt(self, request: HttpRequest, prompts: list[str]) -> HttpResponse:
        """prompt=login: allauth sends a signed-in resident to password re-authentication; a session
        whose level rests on a second factor re-authenticates with it (reauthentication.py)."""
        response = super()._handle_login_prompt(request, prompts)
        location = urlsplit(response["Location"])
        if request.user.is_authenticated and location.path == reverse("account_reauthenticate"):
            response["Location"] = f"{reauthentication_path(request)}?{location.query}"
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = self._login_required(request)
        if response:
            authentication_asked(request)  # max_age: the sign-in about to happen is fresh enough
            return response
        orequest = par.authorize_params(request)
        try:
            server = get_server()
            self._scopes, self._request_info = server.validate_authorization_request(*orequest)
            self._request_info["resources"] = get_resources(request)
            self._require_s256()
            self._keep_dpop_jkt()
            if refusal := sandbox_refusal(request, self._request_info["request"].client):
                return refusal
            # Kept in the signed form so the consent POST can check the level again.
            self._request_info["eid_acr_values"] = request.GET.get("acr_values", "")
            self._request_info["eid_query"] = request.META.get("QUERY_STRING", "")
            prompt_none = "none" in self._request_info.get("prompt", ())
            oauth_request = self._request_info["request"]
            if reauthenticate := reauthenticate_if_stale(request, oauth_request, prompt_none=prompt_none):
                return reauthenticate
            step_up = self._step_up_if_needed(prompt_none=prompt_none)
            if step_up is not None:
                return step_up
            if prompt_none:
                oresponse = server.create_authorization_response(*orequest, scopes=self._scopes)
                return convert_response(*oresponse)
        except (errors.FatalClientError, ValidationError) as error:
            # No trustworthy redirect URI: tell the resident, never redirect (RFC 6749 §4.1.2.1).
            return error_page(request, error)
        except errors.OAuth2Error as error:
            return allauth_views._ClientHttpResponseRedirect(error.in_uri(error.redirect_uri))
        # prompt=consent asks even a client registered to skip consent (OIDC Core §3.1.2.1).
        prompts = self._request_info.get("prompt", ())
        if self._request_info["request"].client.skip_consent and "consent" not in prompts:
            return self._skip_consent()
        if "consent" not in prompts:
            remembered = remembered_scopes(
                user=request.user, client_id=self._request_info["client_id"], requested=self._scopes
            )
            if remembered is not None:
                return self._grant_remembered(*remembered)
        return super(allauth_views.AuthorizationView, self).get(request, *args, **kwargs)

    def _grant_remembered(self, scopes: list[str], email: str) -> HttpResponse:
        """The resident agreed to this before (consents.py): a code for what they allowed then,
        without the page; audited like any grant."""
        self._remembered = True
        form_kwargs = self.get_form_kwargs()
        form_kwargs["data"] = {"scopes": scopes, "request": "remembered", "email": email}
        form = self.form_class(**form_kwargs)
        if not form.is_valid():  # e.g. the chosen address is gone: ask again
            return super(allauth_views.AuthorizationView, self).get(self.request)
        return self.form_valid(form)

    def _require_s256(self) -> None:
        """PKCE with S256 for every client: `plain` gives no protection once the request leaks."""
        if self._request_info.get("code_challenge_method") != "S256":
            raise errors.InvalidRequestError(
                description="PKCE with code_challenge_method=S256 is required.",
                request=self._request_info["request"],
            )

    def _keep_dpop_jkt(self) -> None:
        """RFC 9449 §10: `dpop_jkt` binds the code to a key; kept in the signed form for the code."""
        self._request_info["eid_pushed_id"] = par.pushed_id(self.request)
        jkt = self.request.GET.get("dpop_jkt")
        if jkt is None:
            return
        if not dpop.is_jkt(jkt):
            raise errors.InvalidRequestError(
                description="Invalid dpop_jkt.", request=self._request_info["request"]
            )
        self._request_info["dpop_jkt"] = jkt

    def _spend_pushed_request(self, response: HttpResponse) -> HttpResponse:
        """RFC 9126 §4: a pushed request yields one authorization response (a code or an error); the
        sign-in, step-up and consent pages on the way do not use it up."""
        info = getattr(self, "_request_info", None) or {}
        pushed = par.pushed_id(self.request) or info.get("eid_pushed_id")
        location = response.get("Location", "")
        final = response.status_code >= HTTPStatus.BAD_REQUEST or (
            response.status_code == HTTPStatus.FOUND and bool(location) and not location.startswith("/")
        )
        if pushed is None or not final or par.consume(pushed):
            return response
        used = par.InvalidRequestUri(description="This request_uri was already used or has expired.")
        return error_page(self.request, used)

    def _step_up_if_needed(self, *, prompt_none: bool) -> HttpResponse | None:
        """A level asked for with acr_values that this session has not reached: step up, or with
        prompt=none an error; never a code carrying a lower `acr` than was asked for."""
        required = required_level(self._request_info.get("eid_acr_values"))
        if required is None or (session_assurance_level(self.request) or 0) >= required:
            return None
        if prompt_none:
            raise UnmetAuthenticationRequirements(
                description="The session does not meet the requested acr_values.",
                request=self._request_info["request"],
            )
        authorize_url = f"{reverse('idp:oidc:authorization')}?{self._request_info['eid_query']}"
        return HttpResponseRedirect(step_up_url(required, authorize_url))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # FormView's context: allauth's would query the client again; oauthlib has just loaded it.
        context = super(allauth_views.AuthorizationView, self).get_context_data(**kwargs)
        context["client"] = request_client(self._request_info["client_id"])
        context["site"] = get_current_site(self.request)
        form = context["form"]
        chosen = set(form["scopes"].value() or [])
        context["scope_items"] = consent_items(self._scopes, chosen)
        uris = context["client"].get_redirect_uris()
        context["client_host"] = urlsplit(uris[0]).hostname if uris else ""
        # Who runs the client and why it asks, as registered in onboarding.
        context["client_organisation"], context["client_purpose"] = client_declaration(context["client"])
        return context

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **response_kwargs)
        redirect_uri = (getattr(self, "_request_info", None) or {}).get("redirect_uri")
        return allow_form_redirect(response, redirect_uri)

    def form_valid(self, form: AuthorizationForm) -> HttpResponse:
        # Cached for the request: oauthlib's validation below asks for the same client.
        client = request_client(self._request_info.get("client_id"))
        if refusal := sandbox_refusal(self.request, client):
            return refusal
        step_up = self._step_up_if_needed(prompt_none=False)
        if step_up is not None:
            return step_up
        orequest = par.authorize_params(self.request)
        credentials = {"user": self.request.user, **self._request_info}
        for local in ("resources", "eid_acr_values", "eid_query", "eid_pushed_id"):
            credentials.pop(local, None)
        ctx = get_validator_context()
        ctx.requested_resources = self._request_info.get("resources")
        try:
            if email := form.cleaned_data.get("email"):
                ctx.email = email
            scopes = form.cleaned_data["scopes"]
            oresponse = get_server().create_authorization_response(
                *orequest, scopes=scopes, credentials=credentials
            )
            response = convert_response(*oresponse)
        except errors.FatalClientError as error:
            return error_page(self.request, error)
        if response.status_code == HTTPStatus.FOUND:
            remembered = getattr(self, "_remembered", False)
            client_id = self._request_info.get("client_id")
            if not remembered:
                consent_remember(
                    user=self.request.user,
                    client_id=client_id,
                    requested=self._scopes,
                    granted=scopes,
                    email=form.cleaned_data.get("email") or "",
                )
            # The resident's "who used my identity" ledger records each grant.
            audit_log(
                event_type="oidc.consent_granted",
                actor=self.request.user,
                subject=self.request.user,
                request=self.request,
                data={"client_id": client_id, "scopes": list(scopes), "remembered": remembered},
            )
        return response


class TokenView(allauth_views.TokenView):
    def _create_token_response(
        self, request: HttpRequest, *, user: Any = None, data: Any = None
    ) -> HttpResponse:
        # RFC 9449 §5: a DPoP proof binds the tokens issued here to its key.
        try:
            proof = dpop.request_proof(request, path=request.path)
        except errors.OAuth2Error as error:
            return dpop.json_error_response(error)
        get_validator_context().eid_dpop_jkt = proof.jkt if proof else None
        orequest = extract_params(request)
        try:
            oresponse = get_server(
                pre_token=[lambda orequest: self._pre_token(orequest, user, data)],
            ).create_token_response(*orequest)
        except RateLimited as error:
            return ratelimits.limited_response(error)
        response = convert_response(*oresponse)
        if proof is not None:
            response[dpop.NONCE_HEADER] = dpop.nonce_issue()
        return response


class UserInfoView(allauth_views.UserInfoView):
    def _respond(self, request: HttpRequest) -> HttpResponse:
        if limited := ratelimits.userinfo_limit(request):
            return limited
        try:
            orequest = dpop.resource_params(request, extract_params(request))  # RFC 9449 §7
        except dpop.ResourceError as error:
            return dpop.resource_error_response(error.error, error.description)
        try:
            response = convert_response(*get_server().create_userinfo_response(*orequest))
        except errors.OAuth2Error as error:
            return dpop.resource_failure(request, respond_json_error(request, error))
        # The resident's personal data: no cache may keep it (oauthlib sets this for tokens only).
        response["Cache-Control"] = "no-store"
        return response


class RevokeView(allauth_views.RevokeView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            oresponse = get_server().create_revocation_response(*extract_params(request))
        except RateLimited as error:
            return ratelimits.limited_response(error)
        return convert_response(*oresponse)


class IntrospectView(allauth_views.IntrospectView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """RFC 7662 through the portal's validator (private_key_jwt, hashed secrets); allauth's own
        rules otherwise: a client sees only its own tokens unless
        IDP_OIDC_INTROSPECTION_CROSS_CLIENT_ALLOWED, and its rate limits (per client; per IP only for
        failed authentications, ratelimits.py)."""
        get_validator_context().supported_auth_methods = app_settings.INTROSPECTION_AUTH_METHODS
        try:
            ratelimit.consume(
                request=request, app="allauth.idp.oidc", action="introspect_ip", raise_exception=True
            )
            oresponse = get_server().create_introspect_response(*extract_params(request))
        except RateLimited as error:
            return ratelimits.limited_response(error)
        return convert_response(*oresponse)


class JwksView(allauth_views.JwksView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        body, cache_control = jwks_published()  # rebuilt at most once a minute (discovery.py)
        response = HttpResponse(body, content_type="application/json")
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = cache_control
        return response


class ConfigurationView(allauth_views.ConfigurationView):
    def get(self, request: HttpRequest) -> HttpResponse:
        """Discovery (OIDC Discovery §3): built once per process (discovery.py)."""
        response = HttpResponse(discovery_document(), content_type="application/json")
        response["Access-Control-Allow-Origin"] = "*"
        return response


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class PushedAuthorizationView(View):
    """RFC 9126 §2: POST only; the client authenticates as at the token endpoint (see par.py)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return par.push(request)


class LogoutView(allauth_views.LogoutView):
    form_class = LogoutForm  # id_token_hint in ES256 and PS256 too

    def form_invalid(self, form: RPInitiatedLogoutForm) -> HttpResponse:
        return error_page(self.request, form=form)

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **response_kwargs)
        cleaned = getattr(context.get("form"), "cleaned_data", None) or {}
        return allow_form_redirect(response, cleaned.get("post_logout_redirect_uri"))


authorization = AuthorizationView.as_view()
token = TokenView.as_view()
user_info = UserInfoView.as_view()
revoke = RevokeView.as_view()
introspect = IntrospectView.as_view()
jwks = JwksView.as_view()
logout = LogoutView.as_view()
pushed_authorization = PushedAuthorizationView.as_view()
configuration = ConfigurationView.as_view()
