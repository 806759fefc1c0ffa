"""PreparedSelect gives the same instances the ORM gives, in one query (eid/prepared.py)."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from allauth.idp.oidc.models import Token
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eid.oidc.claims import primary_email_extras
from eid.oidc.clients import client_create
from eid.prepared import PreparedSelect
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKENS = PreparedSelect(
    Token,
    related=("user", "client"),
    where="t0.{hash} = %s AND (t0.{expires_at} IS NULL OR t0.{expires_at} > %s)",
    params=("hash", "expires_at"),
    extras=primary_email_extras(),
)


def _token(*, user, hash_value: str, expires_at: datetime.datetime | None) -> Token:
    client = client_create(name="Harbour Bank", redirect_uris=["https://bank.example/cb"]).client
    return Token.objects.create(
        type=Token.Type.ACCESS_TOKEN,
        hash=hash_value,
        client=client,
        user=user,
        data={"eid_session": {"acr": "urn:eid:substantial", "amr": ["pwd", "otp"]}, "n": 3},
        expires_at=expires_at,
        scopes="openid profile",
    )


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_same_values_as_the_orm_with_related_rows_in_one_query() -> None:
    resident = UserFactory()
    EmailAddress.objects.filter(user=resident).delete()
    EmailAddress.objects.create(user=resident, email="chan@example.hk", primary=True, verified=True)
    expires = timezone.now() + datetime.timedelta(minutes=10)
    stored = _token(user=resident, hash_value="h-1", expires_at=expires)
    with CaptureQueriesContext(connection) as captured:
        token = TOKENS.first("h-1", timezone.now())
        user, client = token.user, token.client  # cached, as select_related leaves them
    assert len(captured) == 1
    orm = Token.objects.select_related("user", "client").get(pk=stored.pk)
    assert _fields(token) == _fields(orm)
    assert _fields(user) == _fields(orm.user) and _fields(client) == _fields(orm.client)
    assert token.expires_at.tzinfo is not None and token.data["eid_session"]["amr"] == ["pwd", "otp"]
    assert user.is_active is True and client.skip_consent is False  # booleans, not 0/1
    assert token._state.adding is False and token._state.db == "default"
    assert (token.eid_primary_email, token.eid_primary_email_verified) == ("chan@example.hk", True)


def test_a_missing_foreign_row_is_none_and_extras_are_none_without_a_match() -> None:
    _token(user=None, hash_value="h-client", expires_at=None)  # a client-credentials token
    token = TOKENS.first("h-client", timezone.now())
    assert token.user is None and token.client is not None
    assert token.eid_primary_email is None and token.eid_primary_email_verified is None


def test_the_where_clause_and_its_adapted_parameters_filter() -> None:
    resident = UserFactory()
    _token(user=resident, hash_value="h-old", expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert TOKENS.first("h-old", timezone.now()) is None  # expired (a datetime compared on SQLite too)
    assert TOKENS.first("h-unknown", timezone.now()) is None
    assert TOKENS.first("h-old", timezone.now() - datetime.timedelta(minutes=1)) is not None


def test_the_sql_is_built_once_per_database() -> None:
    select = PreparedSelect(Token, where="t0.{hash} = %s", params=("hash",))
    select.first("x")
    built = select._sql["default"]
    select.first("y")
    assert select._sql["default"] is built
    assert '"primary"' in TOKENS._prepare("default")[0]  # reserved words quoted
