"""End to end: the example partner (examples/partner_bank, its own process) signs a resident in with
eID against a live portal, as a FAPI client — PAR, private_key_jwt, PKCE, DPoP — in a real browser.

The partner verifies the ID token with python-jose and shows the verified claims; the test checks
what the portal recorded (DPoP-bound tokens, one-time client assertions) and that logout returns.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.idp.oidc.models import Token
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.core.management import call_command
from jose import jwt
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from eid.oidc.models import SeenJwtId
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PARTNER_DIR = ROOT / "examples" / "partner_bank"
RESIDENT = "substantial@demo.local"
SUBSTANTIAL = "urn:eid:hk:loa:substantial"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The partner app exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    pytest.fail(f"The partner app did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_unless_worker: None) -> None:
    """The back-channel logout task runs in the live server's thread, which sees the issuer set
    below; a worker process started for the session would sign with its own SITE_URL."""


@pytest.fixture
def portal(live_server: object, settings: object) -> str:
    """The live portal, its issuer set to where it is served (as `make run` does with SITE_URL)."""
    settings.SITE_URL = live_server.url
    cache.clear()  # rate-limit counters and used TOTP codes
    seed_demo_data()
    return live_server.url


@pytest.fixture
def partner(portal: str, tmp_path: Path) -> Iterator[dict]:
    """The partner app on a free port: keys made by its own command, registered as a FAPI client
    with `oidc_client create --fapi --jwks public.json` (as `make demo-partner` does), then served
    by runserver."""
    base = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partner_bank.settings",
        "EID_ISSUER": portal,
        "PARTNER_BASE_URL": base,
        "PARTNER_JWKS_PRIVATE": str(tmp_path / "private.json"),
    }
    manage = [sys.executable, str(PARTNER_DIR / "manage.py")]
    public = tmp_path / "public.json"
    subprocess.run([*manage, "partner_keys", "--public", str(public)], env=env, check=True, cwd=PARTNER_DIR)

    out = StringIO()
    call_command(
        "oidc_client",
        "create",
        "--name=Harbour Bank",
        "--fapi",
        f"--jwks={public}",
        "--scopes=openid profile eid.assurance",
        f"--redirect-uri={base}/login/eid/callback/",
        f"--post-logout-redirect-uri={base}/signed-out/",
        f"--backchannel-logout-uri={base}/logout/backchannel/",
        stdout=out,
    )
    registered = json.loads(out.getvalue())
    assert registered["fapi"] is True and "client_secret" not in registered
    assert registered["id_token_signed_response_alg"] == "ES256"  # what python-jose can verify
    assert registered["token_endpoint_auth_method"] == "private_key_jwt"

    env["PARTNER_CLIENT_ID"] = registered["client_id"]
    log = tmp_path / "partner.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [*manage, "runserver", base.removeprefix("http://"), "--noreload", "--skip-checks"],
            env=env,
            cwd=PARTNER_DIR,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(base + "/", process, log)
            yield {"url": base, "client_id": registered["client_id"], "log": log}
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def totp_code(step: int = 0) -> str:
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30 + step))


def sign_in_at_portal(page: object, *, code: str) -> None:
    """The portal's sign-in as the resident meets it: password, then the authenticator code."""
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=login]", RESIDENT)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form:has([name='login']) [type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", code)
    page.locator("form:has([name='code']) [type=submit]").first.click()
    # The consent page, or (consent remembered) straight back to the partner.
    try:
        page.wait_for_url(re.compile(r"/identity/o/authorize|/account/$"))
    except PlaywrightTimeoutError:
        pytest.fail(f"Stuck at {page.url}:\n{page.locator('main').inner_text()[:2000]}")


def signed_in_at_partner(page: object, partner: dict) -> bool:
    page.goto(partner["url"] + "/account/")
    return page.url == partner["url"] + "/account/"


def test_partner_bank_signs_a_resident_in_with_fapi_and_logs_out(
    page: object, partner: dict, portal: str, axe_clean: object
) -> None:
    authorize_urls: list[str] = []

    def record(request: object) -> None:
        if "/identity/o/authorize?" in request.url:
            authorize_urls.append(request.url)

    page.on("request", record)

    # Given the partner's home page, when the resident chooses "Login with eID"…
    page.goto(partner["url"] + "/")
    page.get_by_role("link", name="Login with eID").click()

    # …the browser reaches the portal with a pushed request only (PAR): no PKCE or scope in the URL.
    page.wait_for_url(re.compile(r"/accounts/login/"))
    first = parse_qs(urlsplit(authorize_urls[0]).query)
    assert set(first) == {"client_id", "request_uri"}, authorize_urls[0]
    assert first["request_uri"][0].startswith("urn:ietf:params:oauth:request_uri:")

    # The resident signs in with password and authenticator code (acr_values asks "substantial").
    first_code = totp_code()
    sign_in_at_portal(page, code=first_code)

    # The consent page names the partner; it passes axe; the resident allows.
    assert "Harbour Bank" in page.get_by_role("heading", level=1).inner_text()
    axe_clean(page)
    page.get_by_role("button", name="Allow and continue").click()

    # Back at the partner: the claims it verified (python-jose) and read from userinfo (DPoP).
    page.wait_for_url(partner["url"] + "/account/")
    assert page.locator("#acr").inner_text() == SUBSTANTIAL, partner["log"].read_text()[-2000:]
    assert page.locator("#name-en").inner_text() == "WONG Siu Ming"
    assert page.locator("#name-zh").inner_text() == "黃小明"
    assert "otp" in page.locator("#amr").inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page.locator("#auth-time").inner_text())

    # The portal saw a FAPI client: tokens bound to the partner's DPoP key, one-time assertions
    # (one at PAR, one at the token endpoint) and DPoP proofs recorded against replay.
    tokens = Token.objects.filter(client_id=partner["client_id"])
    assert tokens.exists()
    assert all((token.data or {}).get("cnf", {}).get("jkt") for token in tokens), [t.data for t in tokens]
    assert SeenJwtId.objects.filter(purpose="client_assertion", issuer=partner["client_id"]).count() >= 2
    assert SeenJwtId.objects.exclude(purpose="client_assertion").exists()

    # A logout token the portal did not sign is refused, and the partner's session stays.
    forged = jwt.encode(
        {
            "iss": portal,
            "aud": partner["client_id"],
            "sub": "x",
            "iat": int(time.time()),
            "jti": "1",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        },
        "not-the-portals-key",
        algorithm="HS256",
    )
    for token in ("garbage", forged):
        answer = requests.post(
            partner["url"] + "/logout/backchannel/", data={"logout_token": token}, timeout=10
        )
        assert answer.status_code == 400
    assert signed_in_at_partner(page, partner)

    # Signing out at the portal ends the partner's session too (back-channel logout token, verified
    # by the partner with python-jose).
    page.goto(portal + "/en/my/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    deadline = time.monotonic() + 20
    while signed_in_at_partner(page, partner) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert page.url == partner["url"] + "/", partner["log"].read_text()[-2000:]
    assert '"POST /logout/backchannel/ HTTP/1.1" 200' in partner["log"].read_text()

    # Sign in again, then sign out at the partner: RP-initiated logout ends the portal session too.
    page.get_by_role("link", name="Login with eID").click()
    second_code = totp_code(step=1)
    sign_in_at_portal(page, code=second_code if second_code != first_code else totp_code(step=-1))
    # The resident agreed to this partner before: no consent page this time (remembered consent).
    page.wait_for_url(partner["url"] + "/account/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    if "/identity/o/logout" in page.url:  # the portal may ask the resident to confirm
        page.locator("button[type=submit][name=action]:not([value=stay])").first.click()
    page.wait_for_url(partner["url"] + "/signed-out/")
    assert "You have signed out" in page.locator("main").inner_text()
    assert not signed_in_at_partner(page, partner)
    page.goto(portal + "/en/my/")
    assert "/accounts/login/" in page.url
