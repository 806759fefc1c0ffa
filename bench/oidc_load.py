"""OIDC provider load: discovery, JWKS, code exchange, userinfo, refresh and full logins per second.

    python -m bench.oidc_load --provider portal --issuer http://127.0.0.1:18711 \\
        --client-id ID --client-secret SECRET --redirect-uri http://127.0.0.1:18999/callback \\
        --user low@demo.local --password portal-demo-2026 --seconds 6 --json portal.json
    python -m bench.oidc_load --table portal=portal.json node=node.json node-redis=node-redis.json \\
        dot=dot.json

Discovery-driven: the endpoints come from the provider's `/.well-known/openid-configuration`; only the
sign-in and consent forms differ per provider (ADAPTERS). Every phase runs `--concurrency` closed-loop
clients for `--seconds` (bounded by time, and the code exchange also by the codes minted). The client
is always confidential (client_secret_basic, RFC 6749 §2.3.1 form-encoded) and uses PKCE S256.

Phases, in order:
- discovery, jwks: GETs.
- login: the full login as a browser and its relying party do it, each with a fresh cookie jar:
  authorize → sign-in form → consent form → code → token → userinfo. One row per completed login.
- mint (setup, not a result): each client keeps the signed-in session of one login and drives the
  authorize flow with it again and again (answering consent where the provider asks), collecting
  codes with their PKCE verifiers, for `--mint-seconds`. Codes live 60 s at all three providers.
- token: authorization-code exchanges of the minted codes (each once).
- userinfo: GETs with the access tokens just issued.
- refresh: refresh_token grants, each client following its own rotated chain.

Only loopback targets are allowed. Latencies are per request (per login for `login`); `client_cpu`
is this process's CPU time over the phase's wall time (1.0 = one core busy): near 1.0 the generator,
not the server, is the limit (Python threads share one core's worth of interpreter).
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import secrets
import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlencode, urljoin, urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PHASES = ("discovery", "jwks", "token", "userinfo", "refresh", "login")


# --- HTTP: one keep-alive connection per client thread, a minimal cookie jar -----------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


class Browser:
    """A connection to the provider with its own cookies (one per simulated user agent)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, url: str, body: dict | None = None, headers: dict | None = None
    ) -> Response:
        parts = urlsplit(url)
        if parts.hostname and (parts.hostname, parts.port) != (self.host, self.port):
            raise RuntimeError(f"refusing to leave the provider: {url}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=data, headers=sent)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            self._store_cookie(header)
        return Response(response.status, response.headers, payload)

    def _store_cookie(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        attributes = attributes.lower()
        if not value or "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def close(self) -> None:
        self.conn.close()


class Forms(HTMLParser):
    """The page's forms: action, fields a browser would send, submit buttons, a password input?"""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action", ""),
                    "method": a.get("method", "get").lower(),
                    "fields": [],
                    "submits": [],
                    "password": False,
                }
            )
            return
        if not self.forms or tag not in ("input", "button") or "disabled" in a:
            return
        form = self.forms[-1]
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        name = a.get("name")
        if kind == "submit":
            form["submits"].append((name, a.get("value", "")))
        elif kind == "password":
            form["password"] = True
            form["fields"].append((name, ""))
        elif name and (kind not in ("checkbox", "radio") or "checked" in a):
            form["fields"].append((name, a.get("value", "")))


@dataclass(frozen=True)
class Adapter:
    """How one provider's sign-in and consent pages are answered."""

    login_field: str  # the username input of the sign-in form
    consent_button: tuple[str, str]  # (name, value) of the "allow" button of the consent form


ADAPTERS = {
    "portal": Adapter(login_field="login", consent_button=("action", "grant")),
    "node": Adapter(login_field="login", consent_button=("action", "grant")),
    "node-redis": Adapter(login_field="login", consent_button=("action", "grant")),  # the same server.js
    "dot": Adapter(login_field="username", consent_button=("allow", "Authorize")),
}


# --- The relying party's side ------------------------------------------------------------------------


@dataclass
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    user: str
    password: str
    scope: str
    adapter: Adapter
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.issuer)
        return parts.hostname or "", parts.port or 80

    def browser(self) -> Browser:
        return Browser(*self.host_port)

    def basic(self) -> dict[str, str]:
        pair = f"{quote_plus(self.client_id)}:{quote_plus(self.client_secret)}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    def authorize_url(self) -> tuple[str, str]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scope,
                "state": secrets.token_urlsafe(12),
                "nonce": secrets.token_urlsafe(12),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.meta['authorization_endpoint']}?{query}", verifier

    def code(self, browser: Browser) -> tuple[str, str, int]:
        """authorize → (sign-in form) → (consent form) → code: (code, verifier, HTTP requests)."""
        url, verifier = self.authorize_url()
        method, body = "GET", None
        for step in range(1, 16):
            response = browser.request(method, url, body)
            location = response.headers.get("Location")
            if response.status in (301, 302, 303, 307) and location:
                target = urljoin(url, location)
                if target.startswith(self.redirect_uri):
                    params = parse_qs(urlsplit(target).query)
                    if "code" not in params:
                        raise RuntimeError(f"no code: {target}")
                    return params["code"][0], verifier, step
                url, method, body = target, "GET", None
                continue
            if response.status != 200:
                raise RuntimeError(f"{response.status} at {url}: {response.body[:200]!r}")
            action, body = self._answer(response.body)
            url, method = urljoin(url, action) if action else url, "POST"
        raise RuntimeError("authorize flow did not end in a code")

    def _answer(self, page: bytes) -> tuple[str, dict[str, list[str]]]:
        parser = Forms()
        parser.feed(page.decode("utf-8", "replace"))
        posts = [form for form in parser.forms if form["method"] == "post"]
        data: dict[str, list[str]] = {}
        for form in posts:
            if form["password"]:
                for name, value in form["fields"]:
                    data.setdefault(name, []).append(value)
                data[self.adapter.login_field] = [self.user]
                data["password"] = [self.password]
                return form["action"], data
        for form in posts:
            if self.adapter.consent_button in form["submits"]:
                for name, value in form["fields"]:
                    data.setdefault(name, []).append(value)
                name, value = self.adapter.consent_button
                data[name] = [value]
                return form["action"], data
        raise RuntimeError(f"neither a sign-in nor a consent form: {page[:300]!r}")

    def token(self, browser: Browser, code: str, verifier: str) -> dict[str, Any]:
        response = browser.request(
            "POST",
            self.meta["token_endpoint"],
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            },
            self.basic(),
        )
        return self._tokens(response)

    def refresh(self, browser: Browser, refresh_token: str) -> dict[str, Any]:
        response = browser.request(
            "POST",
            self.meta["token_endpoint"],
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            self.basic(),
        )
        return self._tokens(response)

    @staticmethod
    def _tokens(response: Response) -> dict[str, Any]:
        if response.status != 200:
            raise RuntimeError(f"token endpoint {response.status}: {response.body[:200]!r}")
        tokens = response.json()
        if not tokens.get("access_token") or not tokens.get("id_token"):
            raise RuntimeError(f"no access or ID token: {sorted(tokens)}")
        return tokens

    def userinfo(self, browser: Browser, access_token: str) -> dict[str, Any]:
        response = browser.request(
            "GET", self.meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
        )
        if response.status != 200:
            raise RuntimeError(f"userinfo {response.status}: {response.body[:200]!r}")
        return response.json()

    def get_ok(self, browser: Browser, url: str) -> None:
        response = browser.request("GET", url)
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status}")


# --- Phases ------------------------------------------------------------------------------------------


def run_phase(
    name: str,
    concurrency: int,
    seconds: float,
    step: Callable[[int, dict], None],
    setup: Callable[[int], dict] | None = None,
) -> dict[str, Any]:
    """`concurrency` threads call step(worker, state) until the deadline or StopIteration."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    states = [setup(worker) if setup else {} for worker in range(concurrency)]
    began = time.perf_counter()
    deadline = began + seconds
    cpu_before = time.process_time()

    def loop(worker: int) -> None:
        state = states[worker]
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                step(worker, state)
            except StopIteration:
                break
            except Exception as error:  # counted and reported; the run goes on
                with lock:
                    errors[str(error)[:160]] += 1
                if "browser" in state:
                    state["browser"].close()
                continue
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=loop, args=(worker,)) for worker in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    cpu = time.process_time() - cpu_before
    for state in states:
        if "browser" in state:
            state["browser"].close()
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else (latencies or [0.0]) * 99
    return {
        "phase": name,
        "ok": len(latencies),
        "errors": sum(errors.values()),
        "error_samples": dict(errors.most_common(3)),
        "seconds": round(wall, 2),
        "rps": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
        "client_cpu": round(cpu / wall, 2) if wall else 0.0,
    }


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def run(
    provider: Provider, concurrency: int, seconds: float, mint_seconds: float, login_seconds: float
) -> dict:
    host, _port = provider.host_port
    if host not in LOOPBACK:
        raise SystemExit("bench targets must be on this machine (127.0.0.1, localhost, ::1)")
    discovery_url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    probe = provider.browser()
    provider.meta = probe.request("GET", discovery_url).json()
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        if urlsplit(provider.meta[key]).hostname not in LOOPBACK:
            raise SystemExit(f"{key} is not on this machine: {provider.meta[key]}")
    result: dict[str, Any] = {
        "provider": provider.name,
        "issuer": provider.issuer,
        "load_before": loadavg(),
        "concurrency": concurrency,
        "phases": {},
    }

    def with_browser(worker: int) -> dict:
        return {"browser": provider.browser()}

    def get(url: str) -> Callable[[int, dict], None]:
        return lambda worker, state: provider.get_ok(state["browser"], url)

    phases = result["phases"]
    phases["discovery"] = run_phase("discovery", concurrency, seconds, get(discovery_url), with_browser)
    phases["jwks"] = run_phase("jwks", concurrency, seconds, get(provider.meta["jwks_uri"]), with_browser)

    # Full logins; each client keeps its last signed-in browser for minting codes afterwards.
    signed_in: list[Browser | None] = [None] * concurrency
    login_requests: list[int] = []
    samples: dict[str, Any] = {}

    def login(worker: int, state: dict) -> None:
        browser = provider.browser()
        state["browser"] = browser
        code, verifier, steps = provider.code(browser)
        tokens = provider.token(browser, code, verifier)
        claims = provider.userinfo(browser, tokens["access_token"])
        login_requests.append(steps + 2)
        if not samples:
            samples.update(tokens=tokens, userinfo=claims)
        previous, signed_in[worker] = signed_in[worker], browser
        state.pop("browser")  # kept open for minting; not closed by run_phase
        if previous is not None:
            previous.close()

    phases["login"] = run_phase("login", concurrency, login_seconds, login)
    if login_requests:
        phases["login"]["http_requests_per_login"] = round(statistics.mean(login_requests), 1)

    codes: deque[tuple[str, str]] = deque()

    def mint(worker: int, state: dict) -> None:
        browser = signed_in[worker]
        if browser is None:
            browser = signed_in[worker] = provider.browser()
        code, verifier, _steps = provider.code(browser)
        codes.append((code, verifier))

    phases["mint"] = run_phase("mint", concurrency, mint_seconds, mint)
    for browser in signed_in:
        if browser is not None:
            browser.close()

    issued: list[dict[str, Any]] = []

    def exchange(worker: int, state: dict) -> None:
        try:
            code, verifier = codes.popleft()
        except IndexError:
            raise StopIteration from None
        issued.append(provider.token(state["browser"], code, verifier))

    phases["token"] = run_phase("token", concurrency, seconds, exchange, with_browser)
    phases["token"]["codes_left"] = len(codes)
    if not issued:
        raise SystemExit(f"{provider.name}: no tokens issued; errors {phases['token']['error_samples']}")

    def userinfo(worker: int, state: dict) -> None:
        provider.userinfo(state["browser"], issued[worker % len(issued)]["access_token"])

    phases["userinfo"] = run_phase("userinfo", concurrency, seconds, userinfo, with_browser)

    def with_refresh_chain(worker: int) -> dict:
        # Distinct token sets per client: a rotated refresh token is spent after its first use.
        return {"browser": provider.browser(), "refresh": issued[-1 - worker]["refresh_token"]}

    def refresh(worker: int, state: dict) -> None:
        tokens = provider.refresh(state["browser"], state["refresh"])
        state["refresh"] = tokens.get("refresh_token") or state["refresh"]

    if len(issued) >= concurrency and all(tokens.get("refresh_token") for tokens in issued[-concurrency:]):
        phases["refresh"] = run_phase("refresh", concurrency, seconds, refresh, with_refresh_chain)
    result["load_after"] = loadavg()
    result["id_token_claims"] = sorted(_jwt_payload(samples["tokens"]["id_token"])) if samples else []
    result["id_token_alg"] = _jwt_header(samples["tokens"]["id_token"]).get("alg") if samples else None
    result["userinfo_claims"] = sorted(samples.get("userinfo", {}))
    return result


def _b64json(segment: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _jwt_payload(token: str) -> dict[str, Any]:
    return _b64json(token.split(".")[1])


def _jwt_header(token: str) -> dict[str, Any]:
    return _b64json(token.split(".")[0])


# --- Reporting ---------------------------------------------------------------------------------------


def print_result(result: dict) -> None:
    print(
        f"{result['provider']} ({result['issuer']}), load average {result['load_before']} → "
        f"{result['load_after']}; ID token {result['id_token_alg']} claims {result['id_token_claims']}; "
        f"userinfo {result['userinfo_claims']}"
    )
    for name, phase in result["phases"].items():
        extra = {k: phase[k] for k in ("codes_left", "http_requests_per_login") if k in phase}
        print(
            f"  {name:9} {phase['rps']:>8} /s  p50 {phase['p50_ms']:>7} ms  p99 {phase['p99_ms']:>7} ms  "
            f"ok {phase['ok']:>6}  errors {phase['errors']}  client_cpu {phase['client_cpu']}  {extra or ''}"
        )
        if phase["errors"]:
            print(f"            errors: {phase['error_samples']}")


def print_table(named: list[tuple[str, dict]]) -> None:
    names = [name for name, _ in named]
    head = " | ".join(f"{name} req/s | {name} p50 | {name} p99" for name in names)
    ratios = [f"{names[0]}/{other}" for other in names[1:]]
    print(f"| endpoint | {head} | " + " | ".join(ratios) + " |")
    print("|---" * (1 + 3 * len(names) + len(ratios)) + "|")
    for phase in PHASES:
        cells, rates = [], []
        for _name, result in named:
            row = result["phases"].get(phase)
            if row is None:
                cells.append("— | — | —")
                rates.append(None)
                continue
            cells.append(f"{row['rps']:,} | {row['p50_ms']:,} ms | {row['p99_ms']:,} ms")
            rates.append(row["rps"])
        ratio_cells = [
            f"{rates[0] / rate:.2f}" if rates[0] is not None and rate else "—" for rate in rates[1:]
        ]
        print(f"| {phase} | " + " | ".join(cells) + " | " + " | ".join(ratio_cells) + " |")
    for name, result in named:
        print(f"- {name}: load average {result['load_before']} before, {result['load_after']} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=sorted(ADAPTERS))
    parser.add_argument("--issuer")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--redirect-uri")
    parser.add_argument("--user")
    parser.add_argument("--password", default=os.environ.get("BENCH_PASSWORD"))
    parser.add_argument("--scope", default="openid profile email")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--mint-seconds", type=float, default=8)
    parser.add_argument("--login-seconds", type=float, default=10)
    parser.add_argument("--json", help="also write the result here")
    parser.add_argument("--table", nargs="+", metavar="NAME=FILE", help="print a table of earlier results")
    args = parser.parse_args()
    if args.table:
        named = []
        for item in args.table:
            name, _, path = item.partition("=")
            with open(path) as handle:
                named.append((name, json.load(handle)))
        print_table(named)
        return
    if args.mint_seconds > 30:
        parser.error("codes expire after 60 s: mint for 30 s at most")
    missing = [
        k
        for k in ("provider", "issuer", "client_id", "client_secret", "redirect_uri", "user", "password")
        if not getattr(args, k)
    ]
    if missing:
        parser.error(f"missing: {', '.join(missing)}")
    provider = Provider(
        name=args.provider,
        issuer=args.issuer,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uri=args.redirect_uri,
        user=args.user,
        password=args.password,
        scope=args.scope,
        adapter=ADAPTERS[args.provider],
    )
    result = run(provider, args.concurrency, args.seconds, args.mint_seconds, args.login_seconds)
    print_result(result)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main()
