"""The admin site's own pages take any search text: a 200, never a 500."""

import time

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from services.testing import record_second_factor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def administrator_client() -> tuple[Client, object]:
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    record_second_factor(client, user, at=time.time())
    return client, user


def test_the_user_sessions_search_finds_a_resident_by_email() -> None:
    """allauth's admin searched user__username, a field our User does not have: every search was a 500."""
    client, _ = administrator_client()
    resident = UserFactory(email="chan.tai.man@example.test")
    UserSession.objects.create(user=resident, ip="203.0.113.7", session_key="k1", user_agent="Firefox")
    response = client.get("/en/admin/usersessions/usersession/", {"q": "chan.tai.man"})
    assert response.status_code == 200
    assert "203.0.113.7" in response.content.decode()
    assert client.get("/en/admin/usersessions/usersession/", {"q": "é" * 500}).status_code == 200
