"""A small closed-loop HTTP load generator: N concurrent clients, bounded by count and time.

    python bench/http_load.py --url http://127.0.0.1:8100/en/services/ --concurrency 16 --requests 2000

Only loopback targets are allowed. Prints requests/s, p50/p95/p99 latency and the status codes.
"""

import argparse
import http.client
import statistics
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def run(url: str, concurrency: int, total: int, max_seconds: float, cookie: str | None) -> dict:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise SystemExit("bench targets must be on this machine (127.0.0.1, localhost, ::1)")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    remaining = [total]
    deadline = time.monotonic() + max_seconds
    headers = {"Cookie": cookie} if cookie else {}

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
                status = 0
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - began
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "url": url,
        "requests": len(latencies),
        "seconds": round(duration, 2),
        "rps": round(len(latencies) / duration, 1),
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p95_ms": round(quantiles[94] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
        "statuses": dict(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--cookie", help="e.g. 'sessionid=…' for pages behind sign-in")
    args = parser.parse_args()
    for url in args.url:
        result = run(url, args.concurrency, args.requests, args.max_seconds, args.cookie)
        print(
            f"{result['url']}: {result['rps']} req/s over {result['requests']} requests, "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
            f"statuses {result['statuses']}"
        )


if __name__ == "__main__":
    main()
