"""A relying party's side of the code flow, driven through Django's test client."""

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.test import Client as BrowserClient
from jose import jwt as jose_jwt

from eid.oidc.clients import NewClient, client_create
from tests.factories import TEST_PASSWORD

AUTHORIZE = "/identity/o/authorize"
TOKEN = "/identity/o/api/token"
USERINFO = "/identity/o/api/userinfo"
JWKS = "/.well-known/jwks.json"
DISCOVERY = "/.well-known/openid-configuration"


def new_client(
    *, name: str = "Harbour Bank", redirect_uri: str = "https://bank.example/callback", **kwargs: object
) -> NewClient:
    kwargs.setdefault("scopes", ["openid", "profile", "email", "address", "eid.assurance"])
    return client_create(name=name, redirect_uris=[redirect_uri], **kwargs)


def verify_id_token(web: BrowserClient, id_token: str, client_id: str, access_token: str) -> dict:
    """What a partner's stack does: keys from the JWKS endpoint, RS256 only, audience, issuer and
    at_hash (python-jose)."""
    jwks = web.get(JWKS).json()
    return jose_jwt.decode(
        id_token,
        jwks,
        algorithms=["RS256"],
        audience=client_id,
        issuer=settings.SITE_URL,
        access_token=access_token,
    )


def basic_auth(client_id: str, secret: str, *, encode_dash: bool = False) -> str:
    """`Authorization: Basic` as RFC 6749 §2.3.1 builds it (optionally with "-" sent as %2D)."""
    if encode_dash:
        secret = secret.replace("-", "%2D")
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class Authorization:
    """One authorization request of a relying party, with its PKCE pair, state and nonce."""

    new: NewClient
    scope: str = "openid profile email address eid.assurance"
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def redirect_uri(self) -> str:
        return self.new.client.get_redirect_uris()[0]

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, **overrides: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.new.client.id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            **overrides,
        }
        return f"{AUTHORIZE}?{urlencode({k: v for k, v in params.items() if v is not None})}"

    def grant(self, code: str, **params: str) -> dict[str, str]:
        """The token request for `code` (with the PKCE verifier), plus `params` (client authentication)."""
        return {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.verifier,
            **params,
        }

    def exchange(
        self, browser: BrowserClient, code: str, *, headers: dict[str, str] | None = None, **params: str
    ) -> object:
        """POST the code to the token endpoint with these params and headers (e.g. HTTP_DPOP)."""
        return browser.post(TOKEN, self.grant(code, **params), **(headers or {}))

    def token(self, browser: BrowserClient, code: str, *, verifier: str | None = None) -> object:
        """The code exchange of a client that authenticates with its secret (Basic)."""
        auth = {"HTTP_AUTHORIZATION": basic_auth(self.new.client.id, self.new.secret or "")}
        return self.exchange(browser, code, headers=auth, **({"code_verifier": verifier} if verifier else {}))


def sign_in(browser: BrowserClient, email: str, next_url: str) -> str:
    """Signs in through allauth's form; returns where allauth sends the resident next."""
    response = browser.post(
        f"/en/accounts/login/?{urlencode({'next': next_url})}",
        {"login": email, "password": TEST_PASSWORD, "next": next_url},
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def consent(browser: BrowserClient, authorization_url: str, *, action: str = "grant") -> object:
    """Shows the consent page and answers it; returns the response to the answer, or the
    authorization response itself when the resident agreed before (remembered consent)."""
    page = browser.get(authorization_url)
    if page.status_code == 302 and action == "grant" and not page["Location"].startswith("/"):
        return page  # remembered: straight back to the client
    assert page.status_code == 200, page.content[:500]
    form = page.context["form"]
    return browser.post(
        AUTHORIZE,
        {"request": form.initial["request"], "scopes": list(form.fields["scopes"].initial), "action": action},
    )


def redirect_params(response: object, redirect_uri: str) -> dict[str, str]:
    """The query of a redirect back to the relying party, checked to go to its redirect URI."""
    assert response.status_code == 302, getattr(response, "content", b"")[:500]
    location = response["Location"]
    assert location.startswith(redirect_uri + "?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def code_for(browser: BrowserClient, authorization: Authorization, email: str | None = None) -> str:
    """authorize → (sign in) → consent → code."""
    url = authorization.url()
    if email is not None:
        response = browser.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert sign_in(browser, email, url) == url
    params = redirect_params(consent(browser, url), authorization.redirect_uri)
    assert params["state"] == authorization.state
    assert params["iss"] == settings.SITE_URL  # RFC 9207
    return params["code"]
