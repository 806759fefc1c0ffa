"""The REST API's bearer authentication (RFC 6750), client registration, claims and subjects."""

import io
import json

import pytest
from allauth.idp.oidc.models import Client
from django.core.management import CommandError, call_command
from django.test import Client as BrowserClient

from eid.oidc.claims import address_claim, resident_claims
from eid.oidc.client_secrets import basic_credentials, client_secret_hash, client_secret_matches
from eid.oidc.session import required_level
from eid.public import AssuranceLevel, District
from tests.eid.oidc.flow import Authorization, code_for, new_client
from tests.factories import UserFactory

ME = "/api/v1/me"


@pytest.mark.django_db
class TestBearerApi:
    def test_no_token_is_401_with_a_bearer_challenge(self, web: BrowserClient) -> None:
        response = web.get(ME)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="eid"'

    @pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "bearer x.y.z"])
    def test_an_invalid_token_is_401_invalid_token(self, web: BrowserClient, header: str) -> None:
        response = web.get(ME, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]

    def test_a_session_cookie_is_not_enough(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        assert web.get(ME).status_code == 401

    def test_an_access_token_is_accepted(self, web: BrowserClient, resident: object) -> None:
        web.force_login(resident)
        authorization = Authorization(new_client())
        tokens = authorization.token(web, code_for(web, authorization)).json()
        response = web.get(ME, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "CHAN Tai Man"
        assert (
            body["sub"]
            == web.get(
                "/identity/o/api/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
            ).json()["sub"]
        )


@pytest.mark.django_db
class TestClientCommand:
    def _create(self, *args: str) -> dict:
        out = io.StringIO()
        call_command("oidc_client", "create", *args, stdout=out)
        return json.loads(out.getvalue())

    def test_confidential_client_gets_a_secret_shown_once(self) -> None:
        data = self._create("--name", "Harbour Bank", "--redirect-uri", "https://bank.example/cb")
        client = Client.objects.get(pk=data["client_id"])
        assert data["client_secret"] and client_secret_matches(data["client_secret"], client.secret)
        assert data["scope"] == "openid profile email"
        assert client.get_response_types() == ["code"]

    def test_public_client_has_no_secret(self) -> None:
        data = self._create(
            *("--name", "App", "--redirect-uri", "http://127.0.0.1:9000/cb"),
            *("--public", "--scopes", "openid phone"),
        )
        assert "client_secret" not in data
        assert data["token_endpoint_auth_method"] == "none"
        assert Client.objects.get(pk=data["client_id"]).type == Client.Type.PUBLIC

    @pytest.mark.parametrize(
        "args",
        [
            ["--redirect-uri", "https://bank.example/cb", "--scopes", "openid everything"],
            ["--redirect-uri", "http://bank.example/cb"],
            ["--redirect-uri", "not a url"],
        ],
    )
    def test_bad_input_is_refused(self, args: list[str]) -> None:
        with pytest.raises(CommandError):
            self._create("--name", "Bad", *args)
        assert not Client.objects.exists()


def test_basic_credentials_decoding() -> None:
    import base64

    def header(raw: str) -> str:
        return "Basic " + base64.b64encode(raw.encode()).decode()

    assert basic_credentials(header("id:a%2Db%3Ac+d")) == ("id", "a-b:c d")
    assert basic_credentials(header("id:")) is None
    assert basic_credentials("Basic !!!") is None
    assert basic_credentials("Bearer abc") is None


def test_secret_hash_is_keyed(settings: object) -> None:
    stored = client_secret_hash("secret")
    settings.OIDC_CLIENT_SECRET_KEY = "another key"
    assert client_secret_hash("secret") != stored
    assert not client_secret_matches("secret", "pbkdf2_sha256$...")


def test_required_level_from_acr_values() -> None:
    assert required_level(None) is None
    assert required_level("urn:other") is None
    assert required_level(f"{AssuranceLevel.HIGH.acr} {AssuranceLevel.SUBSTANTIAL.acr}") == (
        AssuranceLevel.SUBSTANTIAL
    )


@pytest.mark.django_db
def test_claims_only_for_granted_scopes_and_never_empty() -> None:
    user = UserFactory(legal_name_zh="", address_district="", mobile_number="")
    claims = resident_claims(user=user, scopes=["openid", "profile", "phone", "address", "eid.hkid"])
    assert "name#zh-Hant" not in claims and "phone_number" not in claims
    assert "address" not in claims and "eid_hkid" not in claims
    assert resident_claims(user=user, scopes=["openid"]) == {}


@pytest.mark.django_db
def test_address_claim_of_a_kowloon_resident() -> None:
    user = UserFactory(
        address_flat="", address_building="", address_street="", address_district=District.KWUN_TONG
    )
    assert address_claim(user) == {
        "country": "HK",
        "locality": "Kwun Tong",
        "region": "Kowloon",
        "formatted": "Kwun Tong\nKowloon\nHong Kong",
    }


@pytest.mark.django_db
def test_the_admin_stores_new_secrets_with_the_keyed_hash(rf: object) -> None:
    from django.contrib import admin
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage

    from eid.oidc.admin import EidClientAdmin

    model_admin = admin.site._registry[Client]
    assert isinstance(model_admin, EidClientAdmin)
    request = rf.post("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    request.session = {}
    request._messages = FallbackStorage(request)
    client = Client(name="Department system")
    client.set_redirect_uris(["https://dept.example/cb"])
    model_admin.save_model(request, client, None, False)
    (message,) = [str(m) for m in get_messages(request)]
    secret = message.rsplit(" ", 1)[-1]
    assert client_secret_matches(secret, Client.objects.get(pk=client.pk).secret)
