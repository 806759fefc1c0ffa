from datetime import timedelta

import pytest
from django.utils import timezone

from eid.oidc.replay import jti_first_use, seen_jwt_ids_purge

pytestmark = pytest.mark.django_db


def test_first_use_wins_and_replay_is_refused():
    later = timezone.now() + timedelta(minutes=5)
    assert jti_first_use(purpose="dpop", issuer="client-a", jti="abc", expires_at=later)
    assert not jti_first_use(purpose="dpop", issuer="client-a", jti="abc", expires_at=later)
    # Another client or another purpose has its own namespace.
    assert jti_first_use(purpose="dpop", issuer="client-b", jti="abc", expires_at=later)
    assert jti_first_use(purpose="client_assertion", issuer="client-a", jti="abc", expires_at=later)


def test_an_expired_record_no_longer_blocks_and_is_purged():
    past = timezone.now() - timedelta(seconds=1)
    assert jti_first_use(purpose="dpop", issuer="c", jti="old", expires_at=past)
    assert seen_jwt_ids_purge() == 1
    assert jti_first_use(purpose="dpop", issuer="c", jti="old", expires_at=past)
    soon = timezone.now() + timedelta(minutes=1)
    assert jti_first_use(purpose="dpop", issuer="c", jti="old", expires_at=soon)


def test_missing_or_oversized_jti_is_refused():
    later = timezone.now() + timedelta(minutes=5)
    assert not jti_first_use(purpose="dpop", issuer="c", jti="", expires_at=later)
    assert not jti_first_use(purpose="dpop", issuer="c", jti="x" * 256, expires_at=later)
