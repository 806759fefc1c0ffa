"""The resident's home: "My portal" gathers every service's items in a constant number of queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MessageFactory


def _queries_for_my_portal(client: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/en/my/")
    assert response.status_code == 200
    return len(captured)


def test_my_portal_needs_sign_in(client: object, db: None) -> None:
    response = client.get("/en/my/")
    assert response.status_code == 302 and response["Location"].startswith("/en/accounts/login/")


def test_my_portal_shows_each_services_items(client: object, resident: object) -> None:
    MessageFactory.create_batch(3, recipient=resident)
    client.force_login(resident)
    response = client.get("/en/my/")
    assert b"Message inbox" in response.content
    assert b"3 unread" in response.content


def test_my_portal_query_count_does_not_grow_with_the_residents_data(
    client: object, resident: object
) -> None:
    client.force_login(resident)
    MessageFactory(recipient=resident)
    client.get("/en/my/")  # the first request records the session for the device list
    with_one = _queries_for_my_portal(client)
    MessageFactory.create_batch(40, recipient=resident)
    with_many = _queries_for_my_portal(client)
    assert with_one == with_many
    assert with_many <= 8


def test_my_portal_in_traditional_chinese(client: object, resident: object) -> None:
    client.force_login(resident)
    content = client.get("/zh-hant/my/").content.decode()
    assert 'lang="zh-hant"' in content
    assert "訊息收件匣" in content
