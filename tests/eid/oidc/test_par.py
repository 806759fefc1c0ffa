"""Pushed Authorization Requests (RFC 9126): the endpoint, the authorization request by reference,
single use, expiry, and the clients that must push."""

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client as BrowserClient
from django.utils import timezone
from jose import jwt as jose_jwt

from eid.oidc.models import PushedAuthorizationRequest
from eid.oidc.par import EXPIRES_IN, REQUEST_URI_PREFIX, pushed_requests_purge
from eid.oidc.tasks import purge_pushed_authorization_requests_task
from eid.public import AssuranceLevel
from services.testing import record_second_factor
from tests.eid.oidc.flow import (
    AUTHORIZE,
    DISCOVERY,
    Authorization,
    basic_auth,
    consent,
    new_client,
    redirect_params,
    sign_in,
    verify_id_token,
)

pytestmark = pytest.mark.django_db

PAR = "/identity/o/par"
FORM = "application/x-www-form-urlencoded"


def push(web: BrowserClient, authorization: Authorization, *, auth: bool = True, **overrides: str | None):
    """POST the authorization parameters to the PAR endpoint as the client."""
    params = {k: v for k, v in parse_qs(urlsplit(authorization.url(**overrides)).query).items()}
    body = {key: values[0] for key, values in params.items()}
    headers = {}
    if auth and authorization.new.secret:
        headers["HTTP_AUTHORIZATION"] = basic_auth(authorization.new.client.id, authorization.new.secret)
    return web.post(PAR, urlencode(body), content_type=FORM, **headers)


def by_reference(authorization: Authorization, request_uri: str, **extra: str) -> str:
    query = {"client_id": authorization.new.client.id, "request_uri": request_uri, **extra}
    return f"{AUTHORIZE}?{urlencode(query)}"


def pushed_uri(web: BrowserClient, authorization: Authorization, **overrides: str | None) -> str:
    response = push(web, authorization, **overrides)
    assert response.status_code == 201, response.content
    return response.json()["request_uri"]


def assert_error_page(response: object, error: str | None = None) -> None:
    """An error shown to the resident, never a redirect to the client (RFC 6749 §4.1.2.1)."""
    assert response.status_code == 400, getattr(response, "content", b"")[:300]
    assert "Location" not in response
    if error:
        assert error in response.content.decode()


class TestEndpoint:
    def test_discovery_advertises_par_per_client_and_no_request_objects(self, web: BrowserClient) -> None:
        metadata = web.get(DISCOVERY).json()
        assert metadata["pushed_authorization_request_endpoint"] == f"{settings.SITE_URL}{PAR}"
        assert metadata["require_pushed_authorization_requests"] is False
        # RFC 9126 §5: a pushed request_uri works whatever this says; it is about request objects.
        assert metadata["request_uri_parameter_supported"] is False

    def test_push_answers_201_with_a_one_minute_request_uri(self, web: BrowserClient) -> None:
        response = push(web, Authorization(new_client()))
        assert response.status_code == 201
        assert response["Cache-Control"] == "no-store"
        body = response.json()
        assert body["expires_in"] == EXPIRES_IN == 60
        assert body["request_uri"].startswith(REQUEST_URI_PREFIX)
        assert len(body["request_uri"]) > len(REQUEST_URI_PREFIX) + 40
        # Only a hash of the reference is stored.
        stored = PushedAuthorizationRequest.objects.get()
        assert body["request_uri"] not in stored.reference_hash

    def test_only_post(self, web: BrowserClient) -> None:
        assert web.get(PAR).status_code == 405

    def test_without_client_authentication_is_401_invalid_client(self, web: BrowserClient) -> None:
        response = push(web, Authorization(new_client()), auth=False)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert not PushedAuthorizationRequest.objects.exists()

    def test_with_a_wrong_secret_is_401_invalid_client(self, web: BrowserClient) -> None:
        authorization = Authorization(new_client())
        body = {"client_id": authorization.new.client.id, "response_type": "code"}
        wrong = basic_auth(authorization.new.client.id, "wrong")
        response = web.post(PAR, urlencode(body), content_type=FORM, HTTP_AUTHORIZATION=wrong)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    def test_a_public_client_sends_its_client_id_only(self, web: BrowserClient) -> None:
        response = push(web, Authorization(new_client(public=True)))
        assert response.status_code == 201, response.content

    def test_request_uri_inside_a_pushed_request_is_refused(self, web: BrowserClient) -> None:
        response = push(web, Authorization(new_client()), request_uri=REQUEST_URI_PREFIX + "abc")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
        assert "state" not in response.json()

    def test_request_objects_are_not_supported(self, web: BrowserClient) -> None:
        response = push(web, Authorization(new_client()), request="eyJhbGciOiJub25lIn0.e30.")
        assert response.status_code == 400
        assert response.json()["error"] == "request_not_supported"

    def test_client_id_must_be_the_authenticated_client(self, web: BrowserClient) -> None:
        other = new_client(name="Other")
        response = push(web, Authorization(new_client()), client_id=other.client.id)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    @pytest.mark.parametrize(
        ("overrides", "error"),
        [
            ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
            ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
            ({"code_challenge_method": "plain"}, "invalid_request"),
            ({"response_type": "token"}, "unauthorized_client"),
            ({"scope": "openid eid.hkid"}, "invalid_scope"),
            ({"prompt": "none login"}, "invalid_request"),
            ({"dpop_jkt": "not-a-thumbprint"}, "invalid_request"),
        ],
    )
    def test_validated_as_the_authorization_endpoint_would(
        self, web: BrowserClient, overrides: dict, error: str
    ) -> None:
        response = push(web, Authorization(new_client()), **overrides)
        assert response.status_code == 400, response.content
        assert response.json()["error"] == error
        assert not PushedAuthorizationRequest.objects.exists()  # no grant, nothing stored

    def test_an_oversized_push_is_413(self, web: BrowserClient) -> None:
        new = new_client()
        body = urlencode({"client_id": new.client.id, "state": "x" * 20000})
        response = web.post(
            PAR, body, content_type=FORM, HTTP_AUTHORIZATION=basic_auth(new.client.id, new.secret)
        )
        assert response.status_code == 413
        assert response.json()["error"] == "invalid_request"

    def test_malformed_bodies_are_400_not_500(self, web: BrowserClient) -> None:
        new = new_client()
        auth = basic_auth(new.client.id, new.secret)
        as_json = web.post(PAR, {"a": 1}, content_type="application/json", HTTP_AUTHORIZATION=auth)
        assert as_json.status_code == 400
        duplicated = web.post(
            PAR,
            "response_type=code&response_type=code",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=auth,
        )
        assert duplicated.status_code == 400
        garbage = web.post(
            PAR, "%%%&&&=\x00", content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=auth
        )
        assert garbage.status_code in (400, 401)


class TestAuthorizationByReference:
    def test_full_flow_through_sign_in_keeps_the_request_uri(
        self, web: BrowserClient, resident: object
    ) -> None:
        authorization = Authorization(new_client())
        request_uri = pushed_uri(web, authorization)
        url = by_reference(authorization, request_uri)

        # First visit, not signed in: to the sign-in page, back to the same reference, nothing used up.
        response = web.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert parse_qs(urlsplit(response["Location"]).query)["next"] == [url]
        assert PushedAuthorizationRequest.objects.get().consumed_at is None
        assert sign_in(web, resident.email, url) == url

        params = redirect_params(consent(web, url), authorization.redirect_uri)
        assert params["state"] == authorization.state
        assert params["iss"] == settings.SITE_URL
        assert PushedAuthorizationRequest.objects.get().consumed_at is not None

        tokens = authorization.token(web, params["code"]).json()
        claims = verify_id_token(web, tokens["id_token"], authorization.new.client.id, tokens["access_token"])
        assert claims["nonce"] == authorization.nonce

    def test_other_query_parameters_are_ignored(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        request_uri = pushed_uri(web, authorization)
        url = by_reference(
            authorization, request_uri, redirect_uri="https://evil.example/cb", state="forged", scope="openid"
        )
        params = redirect_params(consent(web, url), authorization.redirect_uri)
        assert params["state"] == authorization.state

    def test_a_request_uri_is_single_use(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        url = by_reference(authorization, pushed_uri(web, authorization))
        page = web.get(url)
        form = page.context["form"]
        answer = {"request": form.initial["request"], "scopes": ["openid"], "action": "grant"}
        redirect_params(web.post(AUTHORIZE, answer), authorization.redirect_uri)

        assert_error_page(web.get(url), "invalid_request_uri")
        # The consent form of the used request cannot be replayed either.
        assert_error_page(web.post(AUTHORIZE, answer))

    def test_declining_uses_the_request_up(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        url = by_reference(authorization, pushed_uri(web, authorization))
        params = redirect_params(consent(web, url, action="deny"), authorization.redirect_uri)
        assert params["error"] == "access_denied"
        assert_error_page(web.get(url), "invalid_request_uri")

    def test_an_expired_request_uri_is_refused(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        url = by_reference(authorization, pushed_uri(web, authorization))
        PushedAuthorizationRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert_error_page(web.get(url), "expired")
        assert pushed_requests_purge() == 1
        pushed_uri(web, authorization)
        PushedAuthorizationRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert purge_pushed_authorization_requests_task.delay().get() == 1  # the periodic task

    def test_the_interaction_window_starts_at_the_first_visit(self, web: BrowserClient) -> None:
        authorization = Authorization(new_client())
        url = by_reference(authorization, pushed_uri(web, authorization))
        web.get(url)  # to sign-in
        stored = PushedAuthorizationRequest.objects.get()
        assert stored.started_at is not None
        assert stored.expires_at > timezone.now() + timedelta(seconds=EXPIRES_IN)

    def test_consent_after_the_interaction_window_is_refused(
        self, web: BrowserClient, resident: object
    ) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        url = by_reference(authorization, pushed_uri(web, authorization))
        form = web.get(url).context["form"]
        PushedAuthorizationRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        answer = {"request": form.initial["request"], "scopes": ["openid"], "action": "grant"}
        assert_error_page(web.post(AUTHORIZE, answer), "expired")

    def test_another_clients_request_uri_is_refused(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        mine = Authorization(new_client())
        theirs = Authorization(new_client(name="Other bank", redirect_uri="https://other.example/cb"))
        request_uri = pushed_uri(web, mine)
        assert_error_page(web.get(by_reference(theirs, request_uri)), "invalid_request_uri")
        assert_error_page(web.get(f"{AUTHORIZE}?{urlencode({'request_uri': request_uri})}"))

    @pytest.mark.parametrize("request_uri", ["", "urn:nope", REQUEST_URI_PREFIX + "x" * 5000, "\x00"])
    def test_unknown_request_uris_are_an_error_page(
        self, web: BrowserClient, resident: object, request_uri: str
    ) -> None:
        web.force_login(resident)
        assert_error_page(web.get(by_reference(Authorization(new_client()), request_uri)))

    def test_step_up_returns_to_the_same_reference(self, web: BrowserClient, user_factory: type) -> None:
        resident = user_factory(assurance_level=AssuranceLevel.SUBSTANTIAL)
        web.force_login(resident)  # a session without a second factor: LOW
        authorization = Authorization(new_client())
        url = by_reference(
            authorization, pushed_uri(web, authorization, acr_values=AssuranceLevel.SUBSTANTIAL.acr)
        )
        response = web.get(url)
        location = urlsplit(response["Location"])
        assert location.path == "/en/eid/step-up/"
        assert parse_qs(location.query)["next"] == [url]
        assert PushedAuthorizationRequest.objects.get().consumed_at is None

        record_second_factor(web, resident)
        params = redirect_params(consent(web, url), authorization.redirect_uri)
        tokens = authorization.token(web, params["code"]).json()
        assert jose_jwt.get_unverified_claims(tokens["id_token"])["acr"] == AssuranceLevel.SUBSTANTIAL.acr

    def test_prompt_login_asks_once(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        url = by_reference(authorization, pushed_uri(web, authorization, prompt="login"))
        response = web.get(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"]
        # Back from signing in again: the consent page, not another sign-in prompt.
        assert web.get(url).status_code == 200


class TestClientsThatMustPush:
    @pytest.mark.parametrize("profile", [{"fapi": True}, {"require_pushed_authorization_requests": True}])
    def test_a_plain_authorization_request_is_an_error_page_not_a_redirect(
        self, web: BrowserClient, resident: object, profile: dict
    ) -> None:
        web.force_login(resident)
        new = new_client()
        new.client.data = {**(new.client.data or {}), **profile}
        new.client.save()
        assert_error_page(web.get(Authorization(new).url()), "pushed authorization requests")

    def test_with_par_the_same_client_gets_a_code(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        new = new_client()
        new.client.data = {"require_pushed_authorization_requests": True}
        new.client.save()
        authorization = Authorization(new)
        url = by_reference(authorization, pushed_uri(web, authorization))
        params = redirect_params(consent(web, url), authorization.redirect_uri)
        assert authorization.token(web, params["code"]).status_code == 200

    def test_other_clients_may_still_send_plain_requests(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        assert web.get(Authorization(new_client()).url()).status_code == 200


class TestMalformedInput:
    """Random parameter soups at both ends of PAR: 4xx answers, never a 500."""

    KEYS = [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "max_age",
        "claims",
        "id_token_hint",
        "dpop_jkt",
        "acr_values",
        "client_assertion",
        "client_assertion_type",
        "client_secret",
        "resource",
        "ui_locales",
        "request_uri",
    ]
    VALUES = (
        "", "\x00", "\u00fc", "code", "openid", "S256", "none", "login", "{", '{"sub":"x"}', "-1", "9" * 40,
        "https://bank.example/callback", "a" * 3000, "e30.e30.e30", "%zz",
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    )  # fmt: skip

    def test_random_pushes_and_references(self, web: BrowserClient, resident: object) -> None:
        import random

        rnd = random.Random(7)
        new, public = new_client(), new_client(public=True, name="Public app")
        for _ in range(60):
            body = {key: rnd.choice(self.VALUES) for key in rnd.sample(self.KEYS, rnd.randint(0, 10))}
            if rnd.random() < 0.5:
                body["client_id"] = rnd.choice([new.client.id, public.client.id])
            headers = {}
            if rnd.random() < 0.3:
                headers["HTTP_AUTHORIZATION"] = basic_auth(new.client.id, new.secret)
            elif rnd.random() < 0.3:
                headers["HTTP_AUTHORIZATION"] = rnd.choice(["Basic !!!", "Basic Og==", "Bearer x"])
            if rnd.random() < 0.2:
                headers["HTTP_DPOP"] = rnd.choice(self.VALUES)
            response = web.post(PAR, urlencode(body), content_type=FORM, **headers)
            assert response.status_code < 500, (body, headers)
        web.force_login(resident)
        for _ in range(30):
            query = {key: rnd.choice(self.VALUES) for key in rnd.sample(self.KEYS, rnd.randint(0, 6))}
            query["request_uri"] = rnd.choice(self.VALUES)
            if rnd.random() < 0.7:
                query["client_id"] = new.client.id
            assert web.get(f"{AUTHORIZE}?{urlencode(query)}").status_code < 500, query
