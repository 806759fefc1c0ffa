"""Settings from the environment: production passes `check --deploy`; seed_demo refuses production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def _rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _ec_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


PRODUCTION_ENV = {
    "IDP_OIDC_PRIVATE_KEY": _rsa_pem(),
    "IDP_OIDC_EC_PRIVATE_KEY": _ec_pem(),
    "OIDC_PAIRWISE_KEY": "a-fifth-key-for-pairwise-subject-identifiers-0123456789",
    "OIDC_CLIENT_SECRET_KEY": "a-sixth-key-for-oidc-client-secret-hashes-0123456789",
    "DJANGO_SETTINGS_MODULE": "portal.settings.prod",
    "SECRET_KEY": "x" * 20 + "production-secret-key-from-the-environment-0123456789",
    "HKID_HASH_KEY": "a-different-key-for-hkid-hashing-0123456789",
    "MFA_ENCRYPTION_KEY": "a-third-key-for-totp-secrets-0123456789",
    # A Fernet key (32 bytes, URL-safe base64) sealing verified HKID numbers (eid.E001-E003).
    "EID_HKID_ENCRYPTION_KEY": "q4m3V1c9Yb0mXnJ7pX2w8bR5tQ6uL1kZ3sD0fG7hJ2E=",
    "PKI_KEY_PASSPHRASE": "a-fourth-secret-for-the-pki-private-keys-0123456789",
    "ALLOWED_HOSTS": "eid.example.gov.hk",
    "SITE_URL": "https://eid.example.gov.hk",
    "DATABASE_URL": "sqlite:///:memory:",
    # A shared cache: allauth's authorization codes must reach every worker (eid_oidc.E003).
    "CACHE_URL": "redis://cache.internal:6379/1",
    # One TLS-terminating proxy in front (eid.W001).
    "TRUSTED_PROXY_COUNT": "1",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_warn_when_the_proxy_count_is_not_set() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "TRUSTED_PROXY_COUNT"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "eid.W001" in result.stderr + result.stdout


def test_production_settings_refuse_an_in_process_cache() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "CACHE_URL"}
    result = _manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "eid_oidc.E003" in result.stderr and "CACHE_URL" in result.stderr


def test_the_shared_cache_check_spares_debug_and_shared_backends(settings: object) -> None:
    from eid.oidc.checks import shared_cache_check

    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert [error.id for error in shared_cache_check()] == ["eid_oidc.E003"]
    settings.DEBUG = True
    assert shared_cache_check() == []
    settings.DEBUG = False
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x:6379/1"}
    }
    assert shared_cache_check() == []


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_seed_demo_refuses_production_settings(settings: object) -> None:
    settings.PORTAL_ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")


def test_seed_demo_is_idempotent(db: None) -> None:
    from eid.models import Department, User
    from services.notifications.models import Message

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    counts = (User.objects.count(), Department.objects.count(), Message.objects.count())
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert (User.objects.count(), Department.objects.count(), Message.objects.count()) == counts
    assert User.objects.get(email="substantial@demo.local").hkid_masked == "B234***(1)"
    assert User.objects.get(email="admin@demo.local").is_superuser


def test_tasks_run_eagerly_without_a_broker_and_on_the_broker_with_one(settings: object) -> None:
    from portal.celery import app

    assert app.conf.task_always_eager is (not settings.CELERY_BROKER_URL)


def test_collectstatic_builds_the_production_manifest(tmp_path: Path) -> None:
    """WhiteNoise's manifest storage resolves every reference (source maps, fonts, images)."""
    env = {**PRODUCTION_ENV, "STATIC_ROOT": str(tmp_path)}
    result = _manage("collectstatic", "--noinput", "-v0", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()


def test_production_keeps_database_connections_and_reads_the_proxy_count() -> None:
    """A new PostgreSQL connection per request cost more than a token request's queries (bench/)."""
    script = (
        "from django.conf import settings as s;"
        "d = s.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )
    result = _manage("shell", "-c", script, env={**PRODUCTION_ENV, "TRUSTED_PROXY_COUNT": "2"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["60", "True", "2"]
