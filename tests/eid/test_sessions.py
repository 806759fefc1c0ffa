"""Signing in costs the same number of queries however many past sessions the resident has."""

from allauth.usersessions.models import UserSession
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import TEST_PASSWORD, UserFactory


def _sign_in(user: object) -> tuple[Client, int]:
    client = Client()
    client.get("/en/accounts/login/")
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/en/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client, len(queries)


def test_sign_in_queries_do_not_grow_with_past_sessions(db: None) -> None:
    user = UserFactory()
    _, first = _sign_in(user)
    for _ in range(15):
        _sign_in(user)
    _, later = _sign_in(user)
    assert later <= first + 2
    assert UserSession.objects.filter(user=user).count() == 17


def test_ended_sessions_leave_the_device_list_at_the_next_sign_in(db: None) -> None:
    user = UserFactory()
    old, _ = _sign_in(user)
    old.post("/en/accounts/logout/")
    _sign_in(user)
    assert UserSession.objects.filter(user=user).count() == 1
