"""Rate limits on the provider's endpoints (eid/oidc/ratelimits.py), with small limits set here.

The suite's conftest empties the cache before each test, so each starts with fresh counters.
"""

import pytest
from django.test import Client as BrowserClient

from eid.oidc.validator import EidRequestValidator
from tests.eid.oidc.flow import TOKEN, USERINFO, Authorization, basic_auth, code_for, new_client
from tests.eid.oidc.test_par import push
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INTROSPECT = "/identity/o/api/introspect"
REVOKE = "/identity/o/api/revoke"


@pytest.fixture
def limits(settings):
    """Sets IDP_OIDC_RATE_LIMITS to production's, overridden by the test's small ones."""
    base = dict(settings.IDP_OIDC_RATE_LIMITS)

    def apply(**rates: str) -> None:
        settings.IDP_OIDC_RATE_LIMITS = {**base, **rates}

    return apply


def token_request(web: BrowserClient, new: object, *, secret: str | None = None) -> object:
    """A client-authenticated token request with an unknown code: 400 invalid_grant once the client
    has authenticated, 401 invalid_client if not."""
    auth = basic_auth(new.client.id, new.secret if secret is None else secret)
    body = {"grant_type": "authorization_code", "code": "unknown", "redirect_uri": "https://bank.example/cb"}
    return web.post(TOKEN, body, HTTP_AUTHORIZATION=auth)


def assert_json_429(response: object) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert body["error_description"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Cache-Control"] == "no-store"


class TestClientAuthenticatedEndpoints:
    def test_the_token_endpoint_limits_each_client(self, web, limits) -> None:
        limits(token_client="2/m/key")
        bank = new_client()
        assert [token_request(web, bank).status_code for _ in range(2)] == [400, 400]
        assert_json_429(token_request(web, bank))

    def test_clients_have_independent_budgets(self, web, limits) -> None:
        limits(token_client="1/m/key")
        bank, insurer = new_client(name="Harbour Bank"), new_client(name="Peak Insurance")
        assert token_request(web, bank).status_code == 400
        assert token_request(web, bank).status_code == 429
        assert token_request(web, insurer).status_code == 400  # same IP, its own budget

    def test_failed_authentications_lock_the_ip_out_before_any_secret_check(
        self, web, limits, monkeypatch
    ) -> None:
        limits(client_auth_failed="2/m/ip")
        bank = new_client()
        assert [token_request(web, bank, secret="wrong").status_code for _ in range(2)] == [401, 401]
        checked: list[str] = []
        original = EidRequestValidator._secret_matches

        def spy(client: object, secret: str) -> bool:
            checked.append(secret)
            return original(client, secret)

        monkeypatch.setattr(EidRequestValidator, "_secret_matches", staticmethod(spy))
        assert_json_429(token_request(web, bank, secret="wrong"))
        assert_json_429(token_request(web, bank))  # even the right secret: the IP is locked out
        assert checked == []
        # Other client-authenticated endpoints share the lockout.
        assert_json_429(web.post(REVOKE, {"token": "x"}, HTTP_AUTHORIZATION=basic_auth(bank.client.id, "x")))

    def test_successful_authentications_do_not_count_towards_the_lockout(self, web, limits) -> None:
        limits(client_auth_failed="2/m/ip")
        bank = new_client()
        assert {token_request(web, bank).status_code for _ in range(5)} == {400}
        assert [token_request(web, bank, secret="wrong").status_code for _ in range(2)] == [401, 401]
        assert token_request(web, bank, secret="wrong").status_code == 429

    def test_unknown_clients_count_as_failures(self, web, limits) -> None:
        limits(client_auth_failed="1/m/ip")
        body = {"grant_type": "authorization_code", "code": "x", "client_id": "nobody", "code_verifier": "v"}
        assert web.post(TOKEN, body).status_code in (400, 401)
        assert_json_429(web.post(TOKEN, body))

    def test_par_limits_each_client(self, web, limits) -> None:
        limits(par_client="1/m/key")
        authorization = Authorization(new_client())
        assert push(web, authorization).status_code == 201
        assert_json_429(push(web, authorization))

    def test_revocation_limits_each_client(self, web, limits) -> None:
        limits(revoke_client="1/m/key")
        bank = new_client()
        auth = basic_auth(bank.client.id, bank.secret)
        assert web.post(REVOKE, {"token": "unknown"}, HTTP_AUTHORIZATION=auth).status_code == 200
        assert_json_429(web.post(REVOKE, {"token": "unknown"}, HTTP_AUTHORIZATION=auth))

    def test_introspection_limits_each_client(self, web, limits) -> None:
        limits(introspect_client="1/m/key")
        bank = new_client()
        auth = basic_auth(bank.client.id, bank.secret)
        assert web.post(INTROSPECT, {"token": "unknown"}, HTTP_AUTHORIZATION=auth).json() == {"active": False}
        assert_json_429(web.post(INTROSPECT, {"token": "unknown"}, HTTP_AUTHORIZATION=auth))

    def test_allauths_per_ip_introspection_limit_still_works_if_configured(self, web, limits) -> None:
        limits(introspect_ip="1/m/ip")
        bank = new_client()
        auth = basic_auth(bank.client.id, bank.secret)
        assert web.post(INTROSPECT, {"token": "unknown"}, HTTP_AUTHORIZATION=auth).status_code == 200
        response = web.post(INTROSPECT, {"token": "unknown"}, HTTP_AUTHORIZATION=auth)
        assert_json_429(response)
        assert int(response["Retry-After"]) >= 55  # the window's remaining wait, not a token value

    def test_switched_off_nothing_is_limited(self, web, settings) -> None:
        settings.IDP_OIDC_RATE_LIMITS = False  # as in bench/settings.py
        bank = new_client()
        assert {token_request(web, bank, secret="wrong").status_code for _ in range(40)} == {401}


class TestAuthorizationEndpoint:
    def assert_429_page(self, response: object) -> None:
        assert response.status_code == 429
        assert "Location" not in response  # never back to a redirect_uri nobody has checked
        assert response["Content-Type"].startswith("text/html")
        assert "Too many attempts" in response.content.decode()
        assert 1 <= int(response["Retry-After"]) <= 60

    def test_per_ip(self, web, limits) -> None:
        limits(authorize_ip="2/m/ip")
        authorization = Authorization(new_client())
        assert [web.get(authorization.url()).status_code for _ in range(2)] == [302, 302]  # to sign in
        self.assert_429_page(web.get(authorization.url(redirect_uri="https://evil.example/")))

    def test_per_resident(self, web, limits, resident) -> None:
        limits(authorize_user="1/m/user")
        authorization = Authorization(new_client())
        web.force_login(resident)
        assert web.get(authorization.url()).status_code == 200  # the consent page
        self.assert_429_page(web.get(authorization.url()))
        neighbour = BrowserClient()  # same IP (a carrier-grade NAT), another resident
        neighbour.force_login(UserFactory())
        assert neighbour.get(authorization.url()).status_code == 200


class TestUserinfo:
    def test_per_access_token(self, web, limits, resident) -> None:
        limits(userinfo_token="1/m/key")
        web.force_login(resident)
        authorization = Authorization(new_client())
        first = authorization.token(web, code_for(web, authorization)).json()["access_token"]
        second = authorization.token(web, code_for(web, authorization)).json()["access_token"]
        assert web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
        assert_json_429(web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {first}"))
        assert web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


def test_production_limits_are_generous_for_banks_and_tight_for_guessing(settings) -> None:
    rates = settings.IDP_OIDC_RATE_LIMITS
    assert rates["client_auth_failed"] == "30/m/ip"
    for action in ("token_client", "par_client", "revoke_client", "introspect_client"):
        assert rates[action] == "3000/m/key"
