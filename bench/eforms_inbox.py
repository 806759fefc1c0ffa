"""The department inbox of online forms with many submissions on PostgreSQL: page time (p50/p95)
and query count per view, in process (Django test client, no network), one officer.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE eid_bench_eforms'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/eid_bench_eforms \\
    .venv/bin/python -m bench.eforms_inbox --submissions 100000 --repeat 30
    psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE eid_bench_eforms'

The database is migrated and filled once (bulk inserts: residents, a published 20-field form, the
submissions spread over a year and all case statuses, one event each); a second run reuses them.
Test settings (no DEBUG). The machine is shared: report `uptime` with the figures.
"""

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

FIELDS = 20
RESIDENTS = 5_000
NAMES = ["CHAN", "WONG", "LEE", "CHEUNG", "LAU", "NG", "HO", "LAM", "YEUNG", "TSANG"]


def text(en: str) -> dict:
    return {"en": en, "zh-hant": en, "zh-hans": en}


def definition() -> dict:
    """A 20-field form over four pages: text, number, date, choice, email, phone and one file."""
    kinds = ["text", "number", "date", "choice", "email", "phone", "text", "text", "number", "text"]
    fields = []
    for index in range(FIELDS - 1):
        kind = kinds[index % len(kinds)]
        field = {"key": f"f{index:02d}", "type": kind, "label": text(f"Question {index}"), "required": True}
        if kind == "choice":
            field["choices"] = [{"value": "a", "label": text("A")}, {"value": "b", "label": text("B")}]
        fields.append(field)
    fields.append(
        {"key": "proof", "type": "file", "label": text("Proof"), "required": True, "accept": ["pdf"]}
    )
    pages = [
        {"key": f"p{page}", "title": text(f"Page {page}"), "fields": fields[page * 5 : page * 5 + 5]}
        for page in range(4)
    ]
    return {"title": text("Bench: apply for a permit"), "pages": pages}


def answers(rng: random.Random, index: int) -> dict:
    values = {}
    for field_index in range(FIELDS - 1):
        values[f"f{field_index:02d}"] = f"answer {index} {field_index} {rng.randint(0, 10**6)}"
    values["proof"] = str(uuid.uuid4())
    return values


def fill(total: int) -> tuple[object, object, object]:
    from django.utils import timezone

    from eid.public import Department, OfficerMembership, User
    from services.eforms.models import Form, FormVersion, Submission, SubmissionEvent

    department, _ = Department.objects.get_or_create(
        code="bench", defaults={"name_en": "Bench Department", "name_zh_hant": "測試", "name_zh_hans": "测试"}
    )
    officer, created = User.objects.get_or_create(
        email="officer@bench.local", defaults={"legal_name_en": "OFFICER"}
    )
    if created:
        OfficerMembership.objects.create(user=officer, department=department)
    form = Form.objects.filter(slug="bench-permit").first()
    if form is None:
        form = Form.objects.create(department=department, slug="bench-permit", reference_prefix="BEN")
        version = FormVersion.objects.create(
            form=form, number=1, definition=definition(), status="published", published_at=timezone.now()
        )
        form.status, form.published_version = "published", version
        form.save()
    version = form.published_version
    have = Submission.objects.filter(form=form).count()
    if have >= total:
        return officer, form, version
    rng = random.Random(42)
    residents = list(User.objects.filter(email__endswith="@resident.bench.local"))
    if not residents:
        User.objects.bulk_create(
            [
                User(
                    email=f"r{index}@resident.bench.local",
                    legal_name_en=f"{rng.choice(NAMES)} Tai Man {index}",
                    legal_name_zh=f"陳大文{index}",
                    password="!",
                )
                for index in range(RESIDENTS)
            ],
            batch_size=2000,
        )
        residents = list(User.objects.filter(email__endswith="@resident.bench.local"))
    statuses = [value for value in Submission.Status.values if value != "payment_pending"]
    now = timezone.now()
    started = time.perf_counter()
    batch = 5_000
    for start in range(have, total, batch):
        rows = []
        for index in range(start, min(start + batch, total)):
            rows.append(
                Submission(
                    reference=f"BEN-2026-{index + 1:07d}",
                    resident=residents[index % len(residents)],
                    form=form,
                    department=department,
                    version=version,
                    status=rng.choice(statuses),
                    answers=answers(rng, index),
                    submitted_at=now - timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
                )
            )
        created_rows = Submission.objects.bulk_create(rows, batch_size=batch)
        SubmissionEvent.objects.bulk_create(
            [SubmissionEvent(submission=row, kind="created", to_status=row.status) for row in created_rows],
            batch_size=batch,
        )
        print(f"  {start + len(rows):,} submissions ({time.perf_counter() - started:.0f} s)", flush=True)
    return officer, form, version


def measure(client: object, url: str, params: dict, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # warm caches (templates, the plan cache)
    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
        queries = len(captured)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, int(len(times) * 0.95) - 1)],
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("needs DATABASE_URL (PostgreSQL), e.g. .../eid_bench_eforms")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from services.eforms.models import Submission

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the in-process client's host
    call_command("migrate", verbosity=0)
    officer, form, _version = fill(args.submissions)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(officer)
    url = reverse("eforms_cases:inbox")
    some = Submission.objects.filter(form=form).order_by("?").values_list("reference", flat=True).first()
    today = timezone.localdate()
    scenarios = [
        ("first page, no filter", {}),
        ("page 2", {"page": 2}),
        ("page 40 (offset 975)", {"page": 40}),
        ("page 80 (the last: the count stops at 2,000)", {"page": 80}),
        ("status = in_review", {"status": "in_review"}),
        (
            "form + last 7 days",
            {"form": str(form.public_id), "date_from": (today - timedelta(days=7)).isoformat()},
        ),
        ("search by reference", {"q": some}),
        ("search by applicant name", {"q": "wong tai man 12"}),
        ("assigned to me", {"assigned": "me"}),
    ]
    print(f"{Submission.objects.filter(form=form).count():,} submissions, {args.repeat} requests each")
    print("| inbox view | p50 | p95 | queries |\n|---|---|---|---|")
    for label, params in scenarios:
        result = measure(client, url, params, args.repeat)
        print(
            f"| {label} | {result['p50']:.0f} ms | {result['p95']:.0f} ms | {result['queries']} |", flush=True
        )
    # The case page itself (answers of 20 fields, history, audit write).
    case = Submission.objects.filter(form=form).order_by("-submitted_at").first()
    result = measure(
        client, reverse("eforms_cases:detail", kwargs={"submission_id": case.public_id}), {}, args.repeat
    )
    label = "case page (20 answers, audit entry)"
    print(f"| {label} | {result['p50']:.0f} ms | {result['p95']:.0f} ms | {result['queries']} |")
    # The CSV export of one month, streamed.
    started = time.perf_counter()
    response = client.get(
        reverse("eforms_cases:export"),
        {"date_from": (today - timedelta(days=30)).isoformat(), "date_to": today.isoformat()},
    )
    size = sum(len(chunk) for chunk in response.streaming_content)
    print(f"CSV export, last 30 days: {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
