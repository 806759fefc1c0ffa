"""Sign-in page GETs and password sign-in POSTs at a given concurrency against a running portal.

    python -m bench.sign_in --base http://127.0.0.1:8100 --email low@demo.local --concurrency 16

Each POST is a full sign-in (CSRF token, password check, new session, audit event). Also prints the
queries one sign-in costs, measured in process with Django's test client.
"""

import argparse
import http.client
import os
import re
import statistics
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def _report(name: str, latencies: list[float], seconds: float, errors: int) -> None:
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{name}: {len(latencies) / seconds:.1f} req/s over {len(latencies)} requests, "
        f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, errors {errors}"
    )


def run(base: str, email: str, password: str, concurrency: int, per_client: int) -> None:
    parts = urlsplit(base)
    if parts.hostname not in LOOPBACK:
        raise SystemExit("bench targets must be on this machine")
    get_latencies: list[float] = []
    post_latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        for _ in range(per_client):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            start = time.perf_counter()
            conn.request("GET", "/en/accounts/login/")
            response = conn.getresponse()
            body = response.read()
            got = time.perf_counter() - start
            cookie = SimpleCookie(response.headers.get("Set-Cookie", ""))
            match = TOKEN.search(body)
            if response.status != 200 or not match or "csrftoken" not in cookie:
                with lock:
                    errors[0] += 1
                continue
            form = urlencode(
                {"csrfmiddlewaretoken": match.group(1).decode(), "login": email, "password": password}
            )
            start = time.perf_counter()
            conn.request(
                "POST",
                "/en/accounts/login/",
                body=form,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={cookie['csrftoken'].value}",
                    "Referer": base + "/en/accounts/login/",
                },
            )
            response = conn.getresponse()
            response.read()
            posted = time.perf_counter() - start
            conn.close()
            with lock:
                get_latencies.append(got)
                if response.status == 302 and "/en/my/" in (response.headers.get("Location") or ""):
                    post_latencies.append(posted)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    # GETs and POSTs interleave, so each rate is its count over the whole run's wall time.
    _report("GET /en/accounts/login/", get_latencies, seconds, 0)
    _report("POST /en/accounts/login/ (password sign-in)", post_latencies, seconds, errors[0])


def queries_per_sign_in(email: str, password: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    with CaptureQueriesContext(connection) as page:
        client.get("/en/accounts/login/")
    with CaptureQueriesContext(connection) as sign_in:
        client.post("/en/accounts/login/", {"login": email, "password": password})
    from django.contrib.auth.hashers import get_hasher

    algorithm = get_hasher()
    print(f"queries: sign-in page {len(page)}, password sign-in {len(sign_in)}")
    print(f"password hasher: {algorithm.algorithm}, {algorithm.iterations} iterations")
    started = time.perf_counter()
    for _ in range(5):
        algorithm.encode("portal-demo-2026", algorithm.salt())
    print(f"one password hash: {(time.perf_counter() - started) / 5 * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8100")
    parser.add_argument("--email", default="low@demo.local")
    parser.add_argument("--password", default="portal-demo-2026")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=8)
    args = parser.parse_args()
    run(args.base, args.email, args.password, args.concurrency, args.per_client)
    queries_per_sign_in(args.email, args.password)


if __name__ == "__main__":
    main()
