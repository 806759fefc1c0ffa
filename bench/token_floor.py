"""The floor under any Django token endpoint on this machine: how many code exchanges per second a
Django app can answer when it does only what an exchange must, and nothing of the portal.

    python -m bench.token_floor [--seconds 6] [--concurrency 16] [--codes 20000]

Two apps, each served like the portal (gunicorn with ./gunicorn.conf.py: 2 workers x 2 threads) and
loaded like bench/oidc_compare.sh's token phase (oidc_load's closed-loop clients, keep-alive, HTTP
Basic client credentials, form-encoded body, PKCE verifier):

- `empty`: Django parses the POST and answers a fixed JSON body: the cost of gunicorn + Django alone.
- `exchange`: the minimum of a real exchange, hand-written with no framework above Django: client
  authentication (constant-time compare of a SHA-256), the code taken once from Redis (GETDEL), PKCE
  S256, in one PostgreSQL transaction the resident's name and email read for the ID token and the
  access and refresh tokens' hashes inserted, an RS256 ID token
  signed with `cryptography`, the JSON answer with `Cache-Control: no-store`. No ORM, no oauthlib, no
  middleware but SecurityMiddleware, no DPoP or private_key_jwt branches, no audit, no rate limit.

It is a yardstick, not a provider: if `exchange` cannot reach node-oidc-provider's token rate, no
Django token endpoint with a persistent store can on this machine. Needs PostgreSQL on 127.0.0.1:5432
(database `eid_bench_floor`, created and dropped here) and Redis on 127.0.0.1:6379 (db 14, flushed).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import unquote

DB_NAME = "eid_bench_floor"
REDIS_URL = "redis://127.0.0.1:6379/14"
CLIENT_ID = "floor-client"
CLIENT_SECRET = "floor-secret-" + "x" * 40
REDIRECT_URI = "http://127.0.0.1:18999/callback"
ISSUER = "http://127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]


# --- the app (imported by gunicorn as bench.token_floor:application) ---------------------------------


def _configure() -> None:
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-floor-only",
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.security.SecurityMiddleware"],
        INSTALLED_APPS=[],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": DB_NAME,
                "USER": "postgres",
                "HOST": "127.0.0.1",
                "PORT": "5432",
                "CONN_MAX_AGE": None,
            }
        },
        USE_TZ=True,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _Exchange:
    """Per-process state: the signing key parsed once, one Redis client (thread-safe pool)."""

    def __init__(self) -> None:
        import redis
        from cryptography.hazmat.primitives import serialization

        self.redis = redis.Redis.from_url(REDIS_URL)
        pem = Path(os.environ["FLOOR_KEY_PEM"]).read_bytes()
        self.key = serialization.load_pem_private_key(pem, password=None)
        self.secret_hash = hashlib.sha256(CLIENT_SECRET.encode()).digest()

    def client_ok(self, authorization: str) -> bool:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return unquote(client_id) == CLIENT_ID and hmac.compare_digest(
            hashlib.sha256(unquote(secret).encode()).digest(), self.secret_hash
        )

    def id_token(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signing_input = (
            _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "floor"}).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


_state: _Exchange | None = None


def _error(status: int, error: str) -> Any:
    from django.http import JsonResponse

    response = JsonResponse({"error": error}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def empty_view(request: Any) -> Any:
    from django.http import HttpResponse

    if request.method != "POST" or not request.POST.get("code"):
        return _error(400, "invalid_request")
    response = HttpResponse(b'{"access_token":"a","id_token":"i"}', content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def exchange_view(request: Any) -> Any:
    from django.db import connection, transaction
    from django.http import HttpResponse

    global _state
    if _state is None:
        _state = _Exchange()
    if request.method != "POST":
        return _error(405, "invalid_request")
    if not _state.client_ok(request.META.get("HTTP_AUTHORIZATION", "")):
        return _error(401, "invalid_client")
    form = request.POST
    if form.get("grant_type") != "authorization_code":
        return _error(400, "unsupported_grant_type")
    stored = _state.redis.getdel("code:" + hashlib.sha256(form.get("code", "").encode()).hexdigest())
    if stored is None:
        return _error(400, "invalid_grant")
    code = json.loads(stored)
    challenge = _b64(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
    if (
        code["client_id"] != CLIENT_ID
        or code["redirect_uri"] != form.get("redirect_uri")
        or not hmac.compare_digest(challenge, code["code_challenge"])
    ):
        return _error(400, "invalid_grant")
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = int(time.time())
    with transaction.atomic(), connection.cursor() as cursor:
        # The resident's claims for the ID token (node-oidc-provider's findAccount does the same).
        cursor.execute(
            "SELECT email, given_name, family_name FROM floor_user WHERE id = %s", [code["user_id"]]
        )
        email, given_name, family_name = cursor.fetchone()
        cursor.execute(
            "INSERT INTO floor_token (type, hash, client_id, user_id, data, created_at, expires_at, scopes)"
            " VALUES ('at', %s, %s, %s, %s, now(), now() + interval '1 hour', %s),"
            " ('rt', %s, %s, %s, %s, now(), now() + interval '30 days', %s)",
            [
                hashlib.sha256(access.encode()).hexdigest(),
                CLIENT_ID,
                code["user_id"],
                "{}",
                code["scopes"],
                hashlib.sha256(refresh.encode()).hexdigest(),
                CLIENT_ID,
                code["user_id"],
                "{}",
                code["scopes"],
            ],
        )
    at_hash = _b64(hashlib.sha256(access.encode()).digest()[:16])
    id_token = _state.id_token(
        {
            "iss": ISSUER,
            "sub": code["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": code["auth_time"],
            "nonce": code["nonce"],
            "email": email,
            "given_name": given_name,
            "family_name": family_name,
            "acr": "urn:eid:hk:loa:low",
            "amr": ["pwd"],
            "at_hash": at_hash,
        }
    )
    body = json.dumps(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": refresh,
            "id_token": id_token,
            "scope": " ".join(code["scopes"]),
        }
    )
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


if os.environ.get("FLOOR_APP"):
    _configure()
    from django.core.wsgi import get_wsgi_application
    from django.urls import path

    urlpatterns = [path("empty", empty_view), path("token", exchange_view)]
    application = get_wsgi_application()


# --- the driver ------------------------------------------------------------------------------------


def _setup(codes: int) -> tuple[Path, deque]:
    import psycopg
    import redis
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB_NAME}", autocommit=True) as conn:
        # The shape of allauth's token table: a unique hash, the rest as stored there.
        conn.execute(
            "CREATE TABLE floor_token (id bigserial PRIMARY KEY, type varchar(2) NOT NULL,"
            " hash varchar(255) NOT NULL UNIQUE, client_id varchar(100) NOT NULL, user_id bigint,"
            " data jsonb, created_at timestamptz NOT NULL, expires_at timestamptz, scopes text[] NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE floor_user (id bigint PRIMARY KEY, email text, given_name text, family_name text)"
        )
        conn.execute(
            "INSERT INTO floor_user SELECT n, 'resident' || n || '@example.org', 'Siu Ming', 'WONG'"
            " FROM generate_series(1, 50) AS n"
        )
    key_pem = Path(os.environ.get("TMPDIR", "/tmp")) / f"floor-{os.getpid()}.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    minted: deque = deque()
    pipe = store.pipeline(transaction=False)
    for number in range(codes):
        code, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        data = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "user_id": 1 + number % 50,
            "sub": _b64(hashlib.sha256(f"sub-{number % 50}".encode()).digest()),
            "scopes": ["openid", "profile"],
            "nonce": secrets.token_urlsafe(16),
            "auth_time": int(time.time()),
        }
        pipe.set("code:" + hashlib.sha256(code.encode()).hexdigest(), json.dumps(data), ex=600)
        minted.append((code, verifier))
    pipe.execute()
    return key_pem, minted


def _teardown(key_pem: Path) -> None:
    import psycopg
    import redis

    key_pem.unlink(missing_ok=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _serve(port: int, key_pem: Path) -> subprocess.Popen:
    env = {**os.environ, "FLOOR_APP": "1", "FLOOR_KEY_PEM": str(key_pem)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.token_floor:application",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    import http.client

    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/empty")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the floor app did not start")


def main() -> None:
    from bench.oidc_load import Browser, loadavg, run_phase

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--codes", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=18790)
    args = parser.parse_args()

    key_pem, minted = _setup(args.codes)
    process = _serve(args.port, key_pem)
    basic = {"Authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()}
    try:

        def with_browser(worker: int) -> dict:
            return {"browser": Browser("127.0.0.1", args.port)}

        def post(path: str) -> Any:
            def step(worker: int, state: dict) -> None:
                if path == "/empty":  # the same body, but no code is spent
                    code, verifier = minted[0]
                else:
                    try:
                        code, verifier = minted.popleft()
                    except IndexError:
                        raise StopIteration from None
                body = {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": verifier,
                }
                response = state["browser"].request("POST", path, body, basic)
                if response.status != 200 or b"id_token" not in response.body:
                    raise RuntimeError(f"{path} {response.status}: {response.body[:120]!r}")

            return step

        run_phase("warm-up", args.concurrency, 3, post("/empty"), with_browser)  # workers' first requests
        for name, path in (("empty", "/empty"), ("exchange", "/token")):
            before = loadavg()
            result = run_phase(name, args.concurrency, args.seconds, post(path), with_browser)
            print(
                f"{name:9} {result['rps']:8.1f} req/s  p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms"
                f"  errors {result['errors']} {result['error_samples'] or ''}"
                f"  client_cpu {result['client_cpu']}"
                f"  load {before} -> {loadavg()}  codes left {len(minted)}"
            )
    finally:
        process.terminate()
        process.wait(timeout=10)
        _teardown(key_pem)


if __name__ == "__main__":
    main()
