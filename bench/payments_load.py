"""Payments under load: payment starts per second, and Stripe webhook events applied per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/eid_bench_payments \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/4 \
    .venv/bin/python bench/payments_load.py --starts 2000 --events 2000

1. `payment_start` in process (sandbox provider: the ledger's cost, not a network round trip):
   N sequential starts, each its own transaction (row lock, payment, transition, audit event).
2. Webhook events: N signed `payment_intent.succeeded` events POSTed to the webhook view in process
   (signature check, enqueue), then applied by a real Celery worker (prefork, 2 processes) on
   Redis; events/s is measured from the first POST until every payment is succeeded in the ledger.
   Each success also sends the resident's email (locmem) and inbox notice, as in production.

Needs PostgreSQL (the worker and this process must see the same database) and Redis; the database
is migrated on first use. Settings: portal.settings.test (fast password hashing, local outbox).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
SECRET = "whsec_bench"
os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET


class Service:
    slug = "bench"
    department_code = "bench"


def _setup() -> None:
    import django

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (the worker must share it).")
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://127.0.0.1"):
        raise SystemExit("Set CELERY_BROKER_URL to a local Redis (redis://127.0.0.1:6379/N).")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fixtures(run: str) -> object:
    from eid.public import Department, User

    Department.objects.get_or_create(
        code="bench", defaults={"name_en": "Bench", "name_zh_hant": "測試", "name_zh_hans": "测试"}
    )
    return User.objects.create_user(email=f"payer-{run}@bench.local", password=None)


def bench_starts(count: int, run: str) -> None:
    from payments.actions import payment_start

    citizen = _fixtures(run)
    payment_start(citizen=citizen, service=Service, amount=100, reference=f"{run}-warm", description="x")
    began = time.perf_counter()
    for n in range(count):
        payment_start(
            citizen=citizen, service=Service, amount=4_500, reference=f"{run}-s{n}", description="Bench"
        )
    seconds = time.perf_counter() - began
    print(f"payment_start in process: {count / seconds:.0f} starts/s ({count} in {seconds:.2f} s)")
    # Resuming the same reference (a double press of "Pay") is the common repeat.
    began = time.perf_counter()
    for n in range(min(count, 500)):
        payment_start(
            citizen=citizen, service=Service, amount=4_500, reference=f"{run}-s{n}", description="Bench"
        )
    seconds = time.perf_counter() - began
    print(f"payment_start resuming an existing payment: {min(count, 500) / seconds:.0f} starts/s")


def _worker(concurrency: int) -> subprocess.Popen:
    log = open(ROOT / "var" / "bench-worker.log", "w")  # noqa: SIM115 - lives as long as the worker
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--hostname=bench-payments@%h",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from portal.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.inspect(timeout=1).ping():
            return process
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("The Celery worker did not start; see var/bench-worker.log.")


def bench_webhooks(count: int, run: str, concurrency: int) -> None:
    import stripe
    from django.test import Client

    from payments.models import Payment, PaymentStatus

    citizen = _fixtures(f"{run}-w")
    from eid.public import Department

    department = Department.objects.get(code="bench")
    payments = Payment.objects.bulk_create(
        Payment(
            citizen=citizen,
            service_slug="bench-webhook",
            department=department,
            reference=f"{run}-w{n}",
            description="Bench",
            amount=4_500,
            provider="stripe",
            provider_reference=f"pi_{run}_{n}",
            status=PaymentStatus.PENDING,
        )
        for n in range(count)
    )
    bodies = []
    for n in range(count):
        payload = json.dumps(
            {
                "id": f"evt_{run}_{n}",
                "object": "event",
                "type": "payment_intent.succeeded",
                "data": {"object": {"id": f"pi_{run}_{n}", "object": "payment_intent"}},
            }
        )
        at = int(time.time())
        signature = stripe.WebhookSignature._compute_signature(f"{at}.{payload}", SECRET)
        bodies.append((payload, f"t={at},v1={signature}"))
    worker = _worker(concurrency)
    try:
        client = Client(HTTP_HOST="127.0.0.1")
        began = time.perf_counter()
        for payload, signature in bodies:
            response = client.post(
                "/payments/stripe/webhook",
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=signature,
            )
            assert response.status_code == 200, response.content
        posted = time.perf_counter() - began
        ids = [p.pk for p in payments]
        while Payment.objects.filter(pk__in=ids, status=PaymentStatus.SUCCEEDED).count() < count:
            if time.perf_counter() - began > 600:
                raise SystemExit("Events were not all applied within 10 minutes.")
            time.sleep(0.05)
        applied = time.perf_counter() - began
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(f"webhook view (verify + enqueue), in process: {count / posted:.0f} events/s")
    print(
        f"webhook events applied by a worker ({concurrency} processes, Redis): "
        f"{count / applied:.0f} events/s ({count} in {applied:.2f} s, from the first POST)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=2000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    _setup()
    run = f"{int(time.time())}"
    if args.starts:
        bench_starts(args.starts, run)
    if args.events:
        bench_webhooks(args.events, run, args.concurrency)


if __name__ == "__main__":
    main()
