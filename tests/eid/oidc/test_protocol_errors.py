"""Negative cases of the code flow and the STACK.md defects of allauth's provider, each fixed."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.idp.oidc.models import Client, Token
from django.conf import settings
from django.test import Client as BrowserClient

from eid.oidc.client_secrets import client_secret_hash
from eid.public import AssuranceLevel
from services.testing import record_second_factor
from tests.eid.oidc.flow import (
    USERINFO,
    Authorization,
    basic_auth,
    code_for,
    consent,
    new_client,
    redirect_params,
)

pytestmark = pytest.mark.django_db


def test_a_code_is_single_use_and_a_replay_revokes_its_tokens(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    code = code_for(web, authorization)
    first = authorization.token(web, code)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code == 200

    replay = authorization.token(web, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: the first redemption may have been an attacker's, so its tokens go.
    assert web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code == 401
    assert not Token.objects.filter(client=authorization.new.client).exists()


def test_codes_are_short_lived_and_an_expired_one_is_invalid_grant(
    web: BrowserClient, resident: object, settings: object
) -> None:
    import time

    from allauth.idp.oidc import app_settings

    assert app_settings.AUTHORIZATION_CODE_EXPIRES_IN <= 60  # RFC 6749 §4.1.2: 10 minutes at most
    settings.IDP_OIDC_AUTHORIZATION_CODE_EXPIRES_IN = 1  # the cache (locmem or Redis) expires it
    web.force_login(resident)
    authorization = Authorization(new_client())
    code = code_for(web, authorization)
    time.sleep(1.6)
    response = authorization.token(web, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_wrong_pkce_verifier_is_refused(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    code = code_for(web, authorization)
    response = authorization.token(web, code, verifier="x" * 60)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},  # no PKCE at all
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},  # defaults to plain
    ],
    ids=["missing", "plain", "method-omitted"],
)
def test_pkce_s256_is_required_even_for_confidential_clients(
    web: BrowserClient, resident: object, overrides: dict
) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    params = redirect_params(web.get(authorization.url(**overrides)), authorization.redirect_uri)
    assert params["error"] == "invalid_request"
    assert params["state"] == authorization.state
    assert "code" not in params


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "https://bank.example/callback/../other"},
        {"client_id": "no-such-client"},
    ],
    ids=["foreign-redirect", "path-trick", "unknown-client"],
)
def test_an_untrustworthy_redirect_is_an_error_page_not_a_redirect(
    web: BrowserClient, resident: object, overrides: dict
) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    response = web.get(authorization.url(**overrides))
    # 4xx: allauth answers these pages with 200.
    assert response.status_code == 400
    assert "Location" not in response


def test_prompt_none_without_consent_returns_consent_required(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    bank = Authorization(new_client(name="Bank", redirect_uri="https://bank.example/cb"))
    shop = Authorization(new_client(name="Shop", redirect_uri="https://shop.example/cb"))

    params = redirect_params(web.get(shop.url(prompt="none")), shop.redirect_uri)
    assert params["error"] == "consent_required" and "code" not in params

    # Consent given to the bank does not let the shop in silently (allauth's consent bypass)...
    bank.token(web, code_for(web, bank))
    params = redirect_params(web.get(shop.url(prompt="none")), shop.redirect_uri)
    assert params["error"] == "consent_required"
    # ...but the bank itself may now sign the resident in without a prompt.
    again = Authorization(bank.new)
    params = redirect_params(web.get(again.url(prompt="none")), again.redirect_uri)
    assert "code" in params and again.token(web, params["code"]).status_code == 200


def test_prompt_none_for_a_client_registered_without_consent(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client(skip_consent=True))
    params = redirect_params(web.get(authorization.url(prompt="none")), authorization.redirect_uri)
    assert "code" in params


def test_prompt_none_without_a_session_returns_login_required(web: BrowserClient, db: None) -> None:
    authorization = Authorization(new_client())
    params = redirect_params(web.get(authorization.url(prompt="none")), authorization.redirect_uri)
    assert params["error"] == "login_required"


def test_declined_consent_returns_access_denied(web: BrowserClient, resident: object) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    params = redirect_params(consent(web, authorization.url(), action="cancel"), authorization.redirect_uri)
    assert params == {"error": "access_denied", "state": authorization.state, "iss": settings.SITE_URL}


class TestClientAuthentication:
    SECRET = "s3cret-with-dashes-and_underscores-0123456789abcdef"

    def _client_with_known_secret(self) -> Authorization:
        authorization = Authorization(new_client())
        client = authorization.new.client
        client.secret = client_secret_hash(self.SECRET)
        client.save(update_fields=["secret"])
        return authorization

    def _token(self, web: BrowserClient, authorization: Authorization, code: str, header: str) -> object:
        return authorization.exchange(web, code, headers={"HTTP_AUTHORIZATION": header})

    @pytest.mark.parametrize("encode_dash", [True, False], ids=["url-encoded", "as-is"])
    def test_basic_credentials_are_url_decoded(
        self, web: BrowserClient, resident: object, encode_dash: bool
    ) -> None:
        """RFC 6749 §2.3.1: "-" sent as %2D is the same secret (and clients that don't encode work)."""
        web.force_login(resident)
        authorization = self._client_with_known_secret()
        code = code_for(web, authorization)
        header = basic_auth(authorization.new.client.id, self.SECRET, encode_dash=encode_dash)
        response = self._token(web, authorization, code, header)
        assert response.status_code == 200, response.content

    def test_a_wrong_secret_is_refused(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = self._client_with_known_secret()
        code = code_for(web, authorization)
        response = self._token(web, authorization, code, basic_auth(authorization.new.client.id, "wrong"))
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    def test_secrets_are_stored_as_a_keyed_sha256(self, db: None) -> None:
        new = new_client()
        stored = Client.objects.get(pk=new.client.pk).secret
        assert stored == client_secret_hash(new.secret)
        assert stored.startswith("hmac-sha256$") and new.secret not in stored


class TestAcrValues:
    def test_a_level_above_the_session_sends_the_resident_to_step_up(
        self, web: BrowserClient, user_factory: type
    ) -> None:
        resident = user_factory(assurance_level=AssuranceLevel.SUBSTANTIAL)
        web.force_login(resident)  # a session without a second factor: LOW
        authorization = Authorization(new_client())
        url = authorization.url(acr_values=AssuranceLevel.SUBSTANTIAL.acr)
        response = web.get(url)
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == "/en/eid/step-up/"
        query = parse_qs(location.query)
        assert query["level"] == ["2"]
        assert query["next"] == [url]

        # After the second factor the same request goes through, and the token says so.
        record_second_factor(web, resident)
        params = redirect_params(consent(web, url), authorization.redirect_uri)
        tokens = authorization.token(web, params["code"]).json()
        from jose import jwt as jose_jwt

        assert jose_jwt.get_unverified_claims(tokens["id_token"])["acr"] == AssuranceLevel.SUBSTANTIAL.acr

    def test_with_prompt_none_an_unmet_level_is_an_error_not_a_lower_acr(
        self, web: BrowserClient, resident: object
    ) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        authorization.token(web, code_for(web, authorization))  # consented before
        again = Authorization(authorization.new)
        url = again.url(prompt="none", acr_values=AssuranceLevel.HIGH.acr)
        params = redirect_params(web.get(url), again.redirect_uri)
        assert params["error"] == "unmet_authentication_requirements"

    def test_unknown_acr_values_are_ignored(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        assert web.get(authorization.url(acr_values="urn:other:loa:9")).status_code == 200
