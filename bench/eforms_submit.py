"""Submissions per second of a 20-field form with one attachment, through the resident's journey
over HTTP (gunicorn, PostgreSQL): start → four pages (the last with a 100 KiB PDF) → check your
answers → submit. Each simulated resident has its own signed-in session and loops the journey.

Run through bench/eforms_submit.sh, which sets up the database, the sessions and gunicorn:

    bash bench/eforms_submit.sh            # CLIENTS=8 SECONDS=60 PORT=18731 by default

Steps (called by the shell script):
    python -m bench.eforms_submit setup --clients 8 --out COOKIES_FILE   (Django settings from env)
    python -m bench.eforms_submit run --base http://127.0.0.1:PORT --cookies COOKIES_FILE --seconds 60
"""

import argparse
import json
import re
import statistics
import threading
import time
from pathlib import Path

SLUG = "bench-submit"
PDF = b"%PDF-1.4\n" + b"0" * (100 * 1024) + b"\n%%EOF\n"


def answers_for(page: dict) -> dict[str, str]:
    values = {}
    for field in page["fields"]:
        kind, key = field["type"], field["key"]
        values[key] = {
            "text": "Some answer text",
            "number": "42",
            "date": "2026-01-15",
            "choice": "a",
            "email": "resident@example.test",
            "phone": "91234567",
        }.get(kind, "")
    return {key: value for key, value in values.items() if value}


def setup(clients: int, out: Path) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from bench.eforms_inbox import definition
    from eid.public import AssuranceLevel, Department, User
    from services.eforms.models import Form, FormVersion

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    department, _ = Department.objects.get_or_create(
        code="bench", defaults={"name_en": "Bench Department", "name_zh_hant": "測試", "name_zh_hans": "测试"}
    )
    form = Form.objects.filter(slug=SLUG).first()
    if form is None:
        form = Form.objects.create(department=department, slug=SLUG, reference_prefix="BSU")
        shape = definition()
        shape["title"] = {"en": "Bench: submit", "zh-hant": "Bench", "zh-hans": "Bench"}
        version = FormVersion.objects.create(
            form=form,
            number=1,
            definition=shape,
            status="published",
            published_at=timezone.now(),
            required_assurance=AssuranceLevel.LOW,
        )
        form.status, form.published_version = "published", version
        form.save()
    cookies = []
    for index in range(clients):
        user, _ = User.objects.get_or_create(
            email=f"submitter{index}@bench.local",
            defaults={"legal_name_en": f"SUBMITTER {index}", "assurance_level": AssuranceLevel.LOW},
        )
        client = Client()
        client.force_login(user)
        session = client.session
        now = time.time()
        session["account_authentication_methods_user"] = str(user.pk)
        session["account_authentication_methods"] = [{"method": "password", "at": now, "email": user.email}]
        session.save()
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    out.write_text(json.dumps({"cookie_name": settings.SESSION_COOKIE_NAME, "sessions": cookies}))
    print(f"{clients} sessions, form {SLUG} ({len(version_pages(form))} pages)")


def version_pages(form: object) -> list[dict]:
    return form.published_version.definition["pages"]


def run(base: str, cookies_file: Path, seconds: float) -> None:
    import requests

    from bench.eforms_inbox import definition

    pages = definition()["pages"]
    data = json.loads(cookies_file.read_text())
    done: list[float] = []
    request_times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def journey(session: requests.Session, csrf: str) -> None:
        started = time.perf_counter()

        def post(url: str, fields: dict, files: dict | None = None) -> requests.Response:
            t0 = time.perf_counter()
            response = session.post(
                url,
                data={"csrfmiddlewaretoken": csrf, **fields},
                files=files,
                allow_redirects=False,
                headers={"Referer": url},
            )
            with lock:
                request_times.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 302:
                raise RuntimeError(f"{url} → {response.status_code}: {response.text[:300]}")
            return response

        start = post(f"{base}/en/services/eforms/{SLUG}/", {})
        location = start.headers["Location"]
        draft_id = re.search(r"/drafts/([0-9a-f-]{36})/", location).group(1)
        for page in pages:
            url = f"{base}/en/services/eforms/drafts/{draft_id}/page/{page['key']}/"
            files = None
            if any(field["type"] == "file" for field in page["fields"]):
                files = {"proof": ("proof.pdf", PDF, "application/pdf")}
            post(url, {**answers_for(page), "action": "continue"}, files)
        done_response = post(f"{base}/en/services/eforms/drafts/{draft_id}/check/", {})
        if "/applications/" not in done_response.headers["Location"]:
            raise RuntimeError(f"check → {done_response.headers['Location']}")
        with lock:
            done.append((time.perf_counter() - started) * 1000)

    def worker(session_key: str) -> None:
        session = requests.Session()
        session.cookies.set(data["cookie_name"], session_key)
        session.get(f"{base}/en/services/eforms/{SLUG}/")  # sets the CSRF cookie
        csrf = session.cookies.get("csrftoken", "")
        while time.monotonic() < deadline:
            try:
                journey(session, csrf)
            except Exception as exc:  # a bench counts failures, it does not stop
                with lock:
                    errors.append(str(exc)[:300])
                time.sleep(0.2)

    threads = [threading.Thread(target=worker, args=(key,)) for key in data["sessions"]]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    done.sort()
    request_times.sort()

    def pct(values: list[float], share: float) -> float:
        return values[max(0, int(len(values) * share) - 1)] if values else 0.0

    print(
        f"clients {len(threads)}, {elapsed:.0f} s: {len(done)} submissions, "
        f"{len(done) / elapsed:.2f} per second"
    )
    if done:
        print(
            f"journey (6 POSTs incl. a 100 KiB PDF): p50 {statistics.median(done):.0f} ms, "
            f"p95 {pct(done, 0.95):.0f} ms"
        )
        print(
            f"each POST: {len(request_times)} requests, {len(request_times) / elapsed:.1f}/s, "
            f"p50 {statistics.median(request_times):.0f} ms, p95 {pct(request_times, 0.95):.0f} ms"
        )
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["setup", "run"])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", "--cookies", dest="cookies", type=Path, required=True)
    parser.add_argument("--base", default="http://127.0.0.1:18731")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if args.step == "setup":
        setup(args.clients, args.cookies)
    else:
        if not args.base.startswith(("http://127.0.0.1", "http://localhost")):
            raise SystemExit("bench targets must be on this machine")
        run(args.base, args.cookies, args.seconds)


if __name__ == "__main__":
    main()
