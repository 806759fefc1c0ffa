"""The assurance guard in front of every service (anonymous → sign-in, too low → step-up)."""

from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from eid.constants import AssuranceLevel
from services.access import guard_view
from services.base import ServiceApp
from services.testing import record_second_factor


class HighService(ServiceApp):
    required_assurance = AssuranceLevel.HIGH


def _request(user: object, path: str = "/en/services/high/apply/?step=2") -> object:
    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = user
    return request


def _ok(request: object) -> HttpResponse:
    return HttpResponse("inside")


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(db: None) -> None:
    with translation.override("en"):
        response = guard_view(_ok, HighService(slug="high"))(_request(AnonymousUser()))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/en/accounts/login/"
    assert parse_qs(location.query)["next"] == ["/en/services/high/apply/?step=2"]


def test_a_resident_below_the_level_is_sent_to_step_up_with_the_level_and_the_way_back(
    resident: object,
) -> None:
    """Never a bare 403: the step-up page says what is needed and returns the resident after."""
    with translation.override("zh-hant"):
        response = guard_view(_ok, HighService(slug="high"))(_request(resident))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/zh-hant/eid/step-up/"
    query = parse_qs(location.query)
    assert query["level"] == [str(int(AssuranceLevel.HIGH))]
    assert query["next"] == ["/en/services/high/apply/?step=2"]


def test_a_password_only_session_of_a_high_resident_is_still_too_low(user_factory: type, db: None) -> None:
    """The session's level is the lower of the account's proofing and the sign-in used."""
    citizen = user_factory(assurance_level=AssuranceLevel.HIGH)
    response = guard_view(_ok, HighService(slug="high"))(_request(citizen))
    assert response.status_code == 302 and "/eid/step-up/" in response["Location"]


def test_a_high_resident_with_a_second_factor_gets_in(client: object, user_factory: type, db: None) -> None:
    citizen = user_factory(assurance_level=AssuranceLevel.HIGH)
    client.force_login(citizen)
    record_second_factor(client, citizen)
    request = _request(citizen)
    request.session = client.session
    response = guard_view(_ok, HighService(slug="high"))(request)
    assert response.status_code == 200 and response.content == b"inside"


def test_the_step_up_page_explains_verification_to_an_unproofed_resident(
    client: object, resident: object
) -> None:
    client.force_login(resident)
    response = client.get("/en/eid/step-up/", {"level": "2", "next": "/en/services/inbox/"})
    assert response.status_code == 403
    assert b"Get your identity verified" in response.content


def test_the_step_up_page_asks_a_proofed_resident_for_a_second_factor(
    client: object, user_factory: type, db: None
) -> None:
    client.force_login(user_factory(assurance_level=AssuranceLevel.SUBSTANTIAL))
    response = client.get("/zh-hant/eid/step-up/", {"level": "2", "next": "/zh-hant/my/"})
    assert response.status_code == 403
    assert b"Confirm it is you" not in response.content  # translated on the Chinese page
    assert b'lang="zh-hant"' in response.content


def test_the_step_up_page_never_redirects_off_site(client: object, user_factory: type, db: None) -> None:
    from allauth.mfa.models import Authenticator

    citizen = user_factory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    Authenticator.objects.create(user=citizen, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(citizen)
    response = client.get("/en/eid/step-up/", {"level": "2", "next": "https://evil.example/phish"})
    assert b'href="/en/accounts/2fa/reauthenticate/?next=/"' in response.content
    response = client.get("/en/eid/step-up/", {"level": "2", "next": "/en/services/inbox/"})
    assert b'href="/en/accounts/2fa/reauthenticate/?next=/en/services/inbox/"' in response.content
