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
