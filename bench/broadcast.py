"""A district broadcast to many demo residents, end to end on a real Celery worker (Redis broker,
PostgreSQL): messages/s, the worker's peak memory (VmHWM from /proc) and the time until the first
resident has the notice in the inbox.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE eid_bench_notify'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/eid_bench_notify \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/11 \\
    .venv/bin/python -m bench.broadcast --residents 100000 [--concurrency 1] [--batch-size 500]
    psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE eid_bench_notify'

The database is migrated and emptied of earlier demo residents (bench-*@demo.local) first.
Test settings (no DEBUG, local-memory email); the inbox channel only, which is what the resident sees.
"First sees it" is when the first inbox message is visible to another connection (committed),
polled every 20 ms. The load average (os.getloadavg, as `uptime` shows it) is printed before and
after: the machine is shared, so figures are only comparable at similar load.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes (1: solo pool)")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    if not os.environ.get("CELERY_BROKER_URL") or not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        raise SystemExit("needs CELERY_BROKER_URL (Redis) and DATABASE_URL (PostgreSQL)")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max

    call_command("migrate", verbosity=0)
    from eid.public import Department, User
    from services.notifications import actions
    from services.notifications.models import (
        Broadcast,
        DistrictSubscription,
        Message,
        Notification,
        NotificationTemplate,
    )
    from services.notifications.selectors import broadcast_progress

    actions.BROADCAST_BATCH_SIZE = args.batch_size
    # Clean slate: earlier runs' residents, broadcasts and the bench template.
    Notification.objects.filter(broadcast__isnull=False).delete()
    Broadcast.objects.all().delete()
    Message.objects.filter(recipient__email__startswith="bench-").delete()
    User.objects.filter(email__startswith="bench-").delete()
    department, _ = Department.objects.get_or_create(
        code="bench", defaults={"name_en": "Bench Department", "name_zh_hant": "測試", "name_zh_hans": "测试"}
    )
    NotificationTemplate.objects.filter(department=department).delete()
    text = "Road works on ((road)) from ((date))."
    template = actions.template_create(
        department=department,
        notification_type="road_works",
        topic="road-works",
        content={"en": ("Road works", text), "zh-hant": ("道路工程", text), "zh-hans": ("道路工程", text)},
    )

    started = time.perf_counter()
    languages = ("en", "zh-hant", "zh-hans")
    User.objects.bulk_create(
        (
            User(email=f"bench-{n}@demo.local", password="!", preferred_language=languages[n % 3])
            for n in range(args.residents)
        ),
        batch_size=5_000,
    )
    ids = User.objects.filter(email__startswith="bench-").values_list("pk", flat=True)
    DistrictSubscription.objects.bulk_create(
        (DistrictSubscription(user_id=pk, district="sha-tin", topic="road-works") for pk in ids.iterator()),
        batch_size=5_000,
    )
    print(f"{args.residents} residents and subscriptions created in {time.perf_counter() - started:.1f} s")

    env = {**os.environ}
    pool = (
        ["--pool=solo"] if args.concurrency == 1 else ["--pool=prefork", f"--concurrency={args.concurrency}"]
    )
    log = (ROOT / "var").joinpath("bench-worker.log")
    log.parent.mkdir(exist_ok=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", *pool, "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--hostname=bench-worker@%h"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        from portal.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"worker did not start; see {log}")
        connection.close()
        baseline_kib = vm_hwm_kib(worker.pid)

        load_before = os.getloadavg()
        t0 = time.time()
        broadcast = actions.broadcast_publish(
            template=template,
            district="sha-tin",
            personalisation={"road": "Tai Po Road", "date": "1 December"},
        )
        first_seen = None
        bench_messages = Message.objects.filter(recipient__email__startswith="bench-")
        while first_seen is None and time.time() - t0 < 60:
            if bench_messages.exists():
                first_seen = time.time() - t0
            else:
                time.sleep(0.02)
        peak = {}
        while True:
            time.sleep(0.5)
            for pid in [worker.pid, *children(worker.pid)]:
                with contextlib.suppress(FileNotFoundError):
                    peak[pid] = max(peak.get(pid, 0), vm_hwm_kib(pid))
            broadcast.refresh_from_db()
            progress = broadcast_progress(broadcast=broadcast)
            if progress.pending == 0:
                break
            if worker.poll() is not None:
                raise SystemExit(f"worker exited; see {log}")
        last = Notification.objects.filter(broadcast=broadcast).aggregate(Max("completed_at"))
        elapsed = last["completed_at__max"].timestamp() - t0
        delivered = Message.objects.filter(recipient__email__startswith="bench-").count()
        print(f"delivered {progress.sent} (inbox messages {delivered}), failed {progress.failed}")
        print(f"end to end: {elapsed:.1f} s, {progress.sent / elapsed:.0f} messages/s")
        print(f"first resident sees it after {first_seen:.2f} s" if first_seen else "first: not within 60 s")
        load_after = os.getloadavg()
        print(
            "load average (1, 5, 15 min) before "
            + ", ".join(f"{value:.2f}" for value in load_before)
            + "; after "
            + ", ".join(f"{value:.2f}" for value in load_after)
        )
        print(
            f"worker peak memory (VmHWM): main {peak.get(worker.pid, 0) / 1024:.0f} MiB "
            f"(idle {baseline_kib / 1024:.0f} MiB)"
            + "".join(f", child {pid} {kib / 1024:.0f} MiB" for pid, kib in peak.items() if pid != worker.pid)
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
