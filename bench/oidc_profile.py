"""Where the portal's token endpoint and full login spend their time: cProfile and query counts.

    python -m bench.oidc_profile --tokens 200 --logins 30 [--hasher fast|production] [--top 25]
    python -m bench.oidc_profile --tokens 200 --logins 30 --timings   (medians, no profiler)

One process, Django's test client, production settings (`bench.settings`, DEBUG off) on a PostgreSQL
database of its own (`eid_bench_oidc_prof` on 127.0.0.1, created and dropped here), the demo data and
a confidential client like bench/oidc_compare.sh. Prints, for one code exchange and one full login,
the queries (CaptureQueriesContext) and the functions that take the most time over many.
"""

import argparse
import base64
import cProfile
import hashlib
import io
import os
import pstats
import secrets
import shutil
import statistics
import tempfile
import time
from collections import Counter
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.oidc_load import Forms

DB_NAME = "eid_bench_oidc_prof"
REDIRECT_URI = "http://127.0.0.1:18999/callback"
EMAIL = "low@demo.local"
PASSWORD = "portal-demo-2026"


def _environment(hasher: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY="bench-only-secret-key-0123456789abcdef",
        HKID_HASH_KEY="bench-only-hkid-key",
        EID_HKID_ENCRYPTION_KEY="YmVuY2gtb25seS1oa2lkLXNlYWxpbmcta2V5LTAwMDA=",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SITE_URL="http://testserver",
        MFA_ENCRYPTION_KEY="bench-only-mfa-key",
        PKI_KEY_PASSPHRASE="bench-only-pki",
        OIDC_PAIRWISE_KEY="bench-only-pairwise",
        OIDC_CLIENT_SECRET_KEY="bench-only-secret",
        IDP_OIDC_PRIVATE_KEY=pem,
        IDP_OIDC_EC_PRIVATE_KEY=ec_pem,  # ES256 ID tokens for FAPI clients, where the tree has them
        BENCH_HASHER=hasher,
        STATIC_ROOT=tempfile.mkdtemp(prefix="eid-bench-static-"),
    )


def _psql(statement: str) -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(statement)


class RelyingParty:
    def __init__(self, client_id: str, secret: str) -> None:
        self.client_id, self.secret = client_id, secret
        self.basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def authorize_url(self, **extra: str) -> tuple[str, str]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": "openid profile email",
                "state": "s",
                "nonce": "n",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                **extra,
            }
        )
        return f"/identity/o/authorize?{query}", verifier

    def consent(self, browser, url: str) -> str:
        """The consent page answered, or (consent remembered) the code it redirected with."""
        page = browser.get(url)
        if page.status_code == 302:
            return parse_qs(urlsplit(page["Location"]).query)["code"][0]
        assert page.status_code == 200, page.status_code
        parser = Forms()
        parser.feed(page.content.decode())
        form = next(form for form in parser.forms if ("action", "grant") in form["submits"])
        data: dict[str, list[str]] = {"action": ["grant"]}
        for name, value in form["fields"]:
            data.setdefault(name, []).append(value)
        answer = browser.post("/identity/o/authorize", data)
        assert answer.status_code == 302, answer.status_code
        return parse_qs(urlsplit(answer["Location"]).query)["code"][0]

    def token(self, browser, code: str, verifier: str) -> dict:
        response = browser.post(
            "/identity/o/api/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            HTTP_AUTHORIZATION=self.basic,
        )
        assert response.status_code == 200, response.content[:300]
        return response.json()

    def full_login(self, browser) -> None:
        # A new user agent: no cookies. (One test client throughout: a new one would load the
        # middleware again, and WhiteNoise's start-up scan would dominate the profile.)
        browser.cookies.clear()
        url, verifier = self.authorize_url()
        first = browser.get(url)
        assert first.status_code == 302
        login_url = first["Location"]
        browser.get(login_url)
        signed_in = browser.post(login_url, {"login": EMAIL, "password": PASSWORD})
        assert signed_in.status_code == 302, signed_in.status_code
        code = self.consent(browser, signed_in["Location"])
        tokens = self.token(browser, code, verifier)
        info = browser.get("/identity/o/api/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
        assert info.status_code == 200


def _profile(label: str, function, count: int, top: int) -> None:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        function()
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"\n=== {label}: {count} in {elapsed:.2f} s, {elapsed / count * 1000:.1f} ms each (under cProfile)")
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
        print(f"--- by {sort}")
        print("\n".join(lines[start : start + top + 1]))


def _timing(label: str, function, count: int) -> None:
    """The median wall time of `count` calls, without a profiler's overhead."""
    function()  # warm-up
    times = []
    for _ in range(count):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    print(f"  {label:32} {statistics.median(times):8.2f} ms median of {count}")


def _queries(label: str, captured) -> None:
    kinds = Counter()
    for query in captured.captured_queries:
        sql = query["sql"]
        verb = sql.split()[0].upper()
        table = next(
            (part.strip('"') for part in sql.split() if part.startswith('"') and "." not in part), "?"
        )
        kinds[f"{verb} {table}"] += 1
    print(f"\n=== queries for {label}: {len(captured)}")
    for kind, count in kinds.most_common():
        print(f"  {count:3} x {kind}")


def _stack_printer(table: str):
    import traceback

    def wrapper(execute, sql, params, many, context):
        if table in sql.split(" WHERE ")[0]:
            frames = [
                f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_stack()
                if ("/eid/" in frame.filename or "allauth" in frame.filename or "oauthlib" in frame.filename)
            ]
            print(f"\n  query on {table} from:\n    " + "\n    ".join(frames[-8:]))
        return execute(sql, params, many, context)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--logins", type=int, default=30)
    parser.add_argument("--hasher", choices=["fast", "production"], default="fast")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--only",
        nargs="+",
        default=["token", "login", "userinfo", "discovery", "jwks"],
        help="what to profile",
    )
    parser.add_argument("--timings", action="store_true", help="median times instead of cProfile")
    parser.add_argument(
        "--stacks", metavar="TABLE", help="print where each query on TABLE in one exchange comes from"
    )
    args = parser.parse_args()
    _environment(args.hasher)
    _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DB_NAME}")
    try:
        _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(os.environ["STATIC_ROOT"], ignore_errors=True)


def _run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    import django.test.client
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as Browser
    from django.test.utils import CaptureQueriesContext

    from eid.oidc.clients import client_create
    from portal.demo import seed_demo_data
    from portal.handlers import MachineRoutingMixin

    class RoutingClientHandler(MachineRoutingMixin, django.test.client.ClientHandler):
        pass

    # The machine endpoints' own middleware stack, as under gunicorn (portal/handlers.py).
    django.test.client.ClientHandler = RoutingClientHandler

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    seed_demo_data()
    user = get_user_model().objects.get(email=EMAIL)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    new = client_create(name="Bench RP", redirect_uris=[REDIRECT_URI], scopes=["openid", "profile", "email"])
    rp = RelyingParty(new.client.id, new.secret)

    signed_in = Browser()
    signed_in.force_login(user)
    codes = []
    for _ in range(args.tokens + 4):  # + one each for the query count, --stacks, userinfo, warm-up
        url, verifier = rp.authorize_url()
        codes.append((rp.consent(signed_in, url), verifier))
    exchange = Browser()
    code, verifier = codes.pop()
    with CaptureQueriesContext(connection) as captured:
        rp.token(exchange, code, verifier)
    _queries("one code exchange", captured)
    for query in captured.captured_queries:
        print(f"    {query['sql'][:160]}")
    if args.stacks:
        code, verifier = codes.pop()
        with connection.execute_wrapper(_stack_printer(args.stacks)):
            rp.token(exchange, code, verifier)
    url, _verifier = rp.authorize_url(prompt="consent")  # the page even though remembered
    with CaptureQueriesContext(connection) as captured:
        rp.consent(signed_in, url)
    _queries("one authorize (consent page GET + consent POST), signed in", captured)
    login_browser = Browser()
    rp.full_login(login_browser)  # warm-up: the first request loads the middleware
    with CaptureQueriesContext(connection) as captured:
        rp.full_login(login_browser)
    _queries("one full login (authorize, sign-in page and POST, consent, token, userinfo)", captured)

    access_token = rp.token(exchange, *codes.pop())["access_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access_token}"}
    with CaptureQueriesContext(connection) as captured:
        exchange.get("/identity/o/api/userinfo", **bearer)
    _queries("one userinfo", captured)

    def get(path: str, **headers: str) -> None:
        response = exchange.get(path, **headers)
        assert response.status_code == 200, (path, response.status_code)

    if args.timings:
        print(f"\n=== median times (load average {os.getloadavg()[0]:.2f})")

        def consent() -> None:
            rp.consent(signed_in, rp.authorize_url(prompt="consent")[0])

        _timing("discovery", lambda: get("/.well-known/openid-configuration"), args.tokens)
        _timing("jwks", lambda: get("/.well-known/jwks.json"), args.tokens)
        _timing("userinfo", lambda: get("/identity/o/api/userinfo", **bearer), args.tokens)
        _timing("code exchange", lambda: rp.token(exchange, *codes.pop()), args.tokens)
        _timing("consent round trip (GET + POST)", consent, args.tokens // 2)
        _timing("full login", lambda: rp.full_login(login_browser), args.logins)
        return
    if "token" in args.only:
        _profile(
            "code exchange (token endpoint)", lambda: rp.token(exchange, *codes.pop()), args.tokens, args.top
        )
    if "login" in args.only:
        _profile("full login", lambda: rp.full_login(login_browser), args.logins, args.top)
    if "userinfo" in args.only:
        _profile("userinfo", lambda: get("/identity/o/api/userinfo", **bearer), args.tokens, args.top)
    if "discovery" in args.only:
        _profile("discovery", lambda: get("/.well-known/openid-configuration"), args.tokens, args.top)
    if "jwks" in args.only:
        _profile("jwks", lambda: get("/.well-known/jwks.json"), args.tokens, args.top)


if __name__ == "__main__":
    main()
