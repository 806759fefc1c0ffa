"""`max_age` and `prompt` (OIDC Core §3.1.2.1): the sign-in a client asks for is the one it gets."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client as BrowserClient
from django.utils import timezone

from tests.eid.oidc.flow import (
    Authorization,
    consent,
    new_client,
    redirect_params,
    sign_in,
    verify_id_token,
)
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

REAUTHENTICATE = "/en/accounts/reauthenticate/"


def signed_in_long_ago(web: BrowserClient, resident: object, *, seconds: int) -> None:
    """A session whose last authentication was `seconds` ago."""
    web.force_login(resident)
    type(resident).objects.filter(pk=resident.pk).update(
        last_login=timezone.now() - timedelta(seconds=seconds)
    )


def reauthenticate(web: BrowserClient, response: object) -> str:
    """Follows a redirect to re-authentication, enters the password; returns where it leads."""
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    assert urlsplit(location).path == REAUTHENTICATE, location
    next_url = parse_qs(urlsplit(location).query)["next"][0]
    assert web.get(location).status_code == 200
    answer = web.post(location, {"password": TEST_PASSWORD, "next": next_url})
    assert answer.status_code == 302, answer.content[:300]
    return answer["Location"]


def id_token_claims(web: BrowserClient, authorization: Authorization, response: object) -> dict:
    code = redirect_params(response, authorization.redirect_uri)["code"]
    tokens = authorization.token(web, code).json()
    return verify_id_token(web, tokens["id_token"], authorization.new.client.id, tokens["access_token"])


def test_a_recent_enough_sign_in_satisfies_max_age(web, resident) -> None:
    signed_in_long_ago(web, resident, seconds=120)
    authorization = Authorization(new_client())
    url = authorization.url(max_age="600")
    assert web.get(url).status_code == 200  # straight to consent
    claims = id_token_claims(web, authorization, consent(web, url))
    assert time.time() - claims["auth_time"] >= 100  # the old sign-in, reported as such


def test_an_older_sign_in_is_made_again_then_the_request_continues(web, resident) -> None:
    signed_in_long_ago(web, resident, seconds=7200)
    authorization = Authorization(new_client())
    url = authorization.url(max_age="600")
    before = int(time.time())
    back = reauthenticate(web, web.get(url))
    assert back == url  # the same authorization request, max_age included
    claims = id_token_claims(web, authorization, consent(web, back))
    assert claims["auth_time"] >= before  # auth_time is the new sign-in


def test_max_age_zero_asks_for_a_sign_in_once_and_does_not_loop(web, resident) -> None:
    signed_in_long_ago(web, resident, seconds=5)
    authorization = Authorization(new_client())
    url = authorization.url(max_age="0")
    before = int(time.time())
    back = reauthenticate(web, web.get(url))
    time.sleep(1.1)  # the fresh sign-in is now older than 0 s, but was made for this request
    assert web.get(back).status_code == 200
    claims = id_token_claims(web, authorization, consent(web, back))
    assert claims["auth_time"] >= before


def test_max_age_zero_after_a_first_sign_in_does_not_ask_twice(web, resident) -> None:
    authorization = Authorization(new_client())
    url = authorization.url(max_age="0")
    response = web.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert sign_in(web, resident.email, url) == url
    time.sleep(1.1)
    assert web.get(url).status_code == 200  # consent, not a second password prompt


def test_prompt_none_with_a_stale_sign_in_is_login_required(web, resident) -> None:
    signed_in_long_ago(web, resident, seconds=7200)
    new = new_client()
    authorization = Authorization(new)
    id_token_claims(web, authorization, consent(web, authorization.url()))  # consented, tokens held
    params = redirect_params(
        web.get(authorization.url(max_age="60", prompt="none")), authorization.redirect_uri
    )
    assert params["error"] == "login_required"
    assert params["state"] == authorization.state
    assert params["iss"] == settings.SITE_URL
    assert "code" not in params


@pytest.mark.parametrize("value", ["soon", "-1", "1.5"])
def test_an_invalid_max_age_is_invalid_request(web, resident, value) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    params = redirect_params(web.get(authorization.url(max_age=value)), authorization.redirect_uri)
    assert params["error"] == "invalid_request"


def test_prompt_login_forces_a_fresh_sign_in(web, resident) -> None:
    signed_in_long_ago(web, resident, seconds=30)
    authorization = Authorization(new_client())
    url = authorization.url(prompt="login")
    before = int(time.time())
    back = reauthenticate(web, web.get(url))
    assert "prompt=login" not in back  # asked once
    claims = id_token_claims(web, authorization, consent(web, back))
    assert claims["auth_time"] >= before


def test_prompt_login_when_signed_out_is_the_sign_in_page(web, resident) -> None:
    authorization = Authorization(new_client())
    response = web.get(authorization.url(prompt="login"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_prompt_consent_shows_consent_even_for_a_client_that_skips_it(web, resident) -> None:
    web.force_login(resident)
    first_party = new_client(name="Portal app", skip_consent=True)
    authorization = Authorization(first_party)
    # Without prompt=consent, no page: straight back with a code.
    assert redirect_params(web.get(authorization.url()), authorization.redirect_uri)["code"]
    page = web.get(authorization.url(prompt="consent"))
    assert page.status_code == 200
    assert "form" in page.context


def test_prompt_consent_asks_again_after_an_earlier_consent(web, resident) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    id_token_claims(web, authorization, consent(web, authorization.url()))  # consented, tokens held
    # prompt=none would now succeed silently; prompt=consent shows the page again.
    assert redirect_params(web.get(authorization.url(prompt="none")), authorization.redirect_uri)["code"]
    page = web.get(authorization.url(prompt="consent"))
    assert page.status_code == 200 and "form" in page.context


def test_auth_time_is_always_in_the_id_token(web, resident) -> None:
    web.force_login(resident)
    authorization = Authorization(new_client())
    claims = id_token_claims(web, authorization, consent(web, authorization.url()))
    assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= time.time()


def test_max_age_in_a_pushed_request_is_honoured_without_looping(web, resident) -> None:
    """With PAR the parameters come from the pushed request; the re-authentication returns to the
    same `request_uri` and then proceeds (max_age=0, so only the marker can satisfy it)."""
    from tests.eid.oidc.test_par import by_reference, pushed_uri

    signed_in_long_ago(web, resident, seconds=5)
    authorization = Authorization(new_client())
    url = by_reference(authorization, pushed_uri(web, authorization, max_age="0"))
    before = int(time.time())
    back = reauthenticate(web, web.get(url))
    assert back == url
    time.sleep(1.1)
    page = web.get(back)
    assert page.status_code == 200, page.content[:300]
    claims = id_token_claims(web, authorization, consent(web, back))
    assert claims["auth_time"] >= before


# A session whose level rests on a second factor ---------------------------------------------------------

MFA_REAUTHENTICATE = "/en/accounts/2fa/reauthenticate/"


@pytest.fixture
def second_factor_session(web: BrowserClient, user_factory: type) -> tuple[object, str]:
    """A SUBSTANTIAL resident with an authenticator app, signed in with password and code an hour ago."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from eid.public import AssuranceLevel
    from services.testing import record_second_factor

    resident = user_factory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    secret = generate_totp_secret()
    TOTP.activate(resident, secret)
    web.force_login(resident)
    an_hour_ago = time.time() - 3600
    record_second_factor(web, resident, at=an_hour_ago, mfa_at=an_hour_ago + 5)
    return resident, secret


def _password_confirmed_now(web: BrowserClient) -> None:
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    session = web.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        *session[AUTHENTICATION_METHODS_SESSION_KEY],
        {"method": "password", "at": time.time(), "reauthenticated": True},
    ]
    session.save()


def _code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_max_age_re_authenticates_a_second_factor_session_with_the_second_factor(
    web, second_factor_session
) -> None:
    """The bug: a password alone refreshed `auth_time` while `acr` still claimed the level an hour-old
    authenticator code had proved."""
    _resident, secret = second_factor_session
    authorization = Authorization(new_client())
    url = authorization.url(max_age="600")
    response = web.get(url)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == MFA_REAUTHENTICATE

    # A password confirmed meanwhile (another page's re-authentication) does not meet max_age.
    _password_confirmed_now(web)
    again = web.get(url)
    assert urlsplit(again["Location"]).path == MFA_REAUTHENTICATE

    before = int(time.time())
    answer = web.post(again["Location"], {"code": _code(secret)})
    assert answer.status_code == 302
    assert answer["Location"] == url
    claims = id_token_claims(web, authorization, consent(web, url))
    assert claims["auth_time"] >= before
    assert claims["acr"] == "urn:eid:hk:loa:substantial"
    assert "otp" in claims["amr"]


def test_auth_time_of_a_second_factor_session_is_its_second_factor(web, second_factor_session) -> None:
    _password_confirmed_now(web)  # later than the code, but proves only LOW
    authorization = Authorization(new_client())
    claims = id_token_claims(web, authorization, consent(web, authorization.url()))
    assert claims["acr"] == "urn:eid:hk:loa:substantial"
    assert time.time() - claims["auth_time"] > 3500


def test_prompt_login_re_authenticates_a_second_factor_session_with_the_second_factor(
    web, second_factor_session
) -> None:
    authorization = Authorization(new_client())
    response = web.get(authorization.url(prompt="login"))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == MFA_REAUTHENTICATE
    assert "prompt" not in parse_qs(location.query)["next"][0]  # asked once, as before
