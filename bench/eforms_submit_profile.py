"""One online-forms submission in one process: queries per POST (CaptureQueriesContext) and a cProfile.

The same 20-field, four-page form with a 100 KiB PDF as bench/eforms_submit.sh, driven with Django's
test client on a throw-away test database (SQLite under portal.settings.test):

    DJANGO_SETTINGS_MODULE=portal.settings.test python -m bench.eforms_submit_profile --journeys 20
    ... --profile 25        # also print the 25 costliest functions (cumulative) over the journeys
"""

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=20)
    parser.add_argument("--profile", type=int, default=0, help="print this many functions of the profile")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    settings.EFORMS_PRIVATE_ROOT = tempfile.mkdtemp(prefix="eforms-profile-")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        _run(args, CaptureQueriesContext, connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _run(args: argparse.Namespace, capture: type, connection: object) -> None:
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.utils import timezone

    from bench.eforms_inbox import definition
    from bench.eforms_submit import PDF, answers_for
    from eid.public import AssuranceLevel, Department, User
    from services.eforms.models import Form, FormVersion

    department = Department.objects.create(code="bench", name_en="Bench", name_zh_hant="B", name_zh_hans="B")
    form = Form.objects.create(department=department, slug="bench-submit", reference_prefix="BSU")
    version = FormVersion.objects.create(
        form=form,
        number=1,
        definition=definition(),
        status="published",
        published_at=timezone.now(),
        required_assurance=AssuranceLevel.LOW,
    )
    form.status, form.published_version = "published", version
    form.save()
    user = User.objects.create(email="p@bench.local", legal_name_en="P", assurance_level=AssuranceLevel.LOW)
    client = Client()
    client.force_login(user)
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email}
    ]
    session.save()
    pages = version.definition["pages"]
    base = "/en/services/eforms"

    counts: dict[str, list[int]] = {}
    times: dict[str, list[float]] = {}

    def post(name: str, url: str, data: dict) -> object:
        with capture(connection) as queries:
            started = time.perf_counter()
            response = client.post(url, data)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 302, (url, response.status_code, response.content[:400])
        counts.setdefault(name, []).append(len(queries))
        times.setdefault(name, []).append(elapsed)
        return response

    def journey() -> None:
        location = post("start", f"{base}/{form.slug}/", {})["Location"]
        draft_id = re.search(r"/drafts/([0-9a-f-]{36})/", location).group(1)
        for index, page in enumerate(pages):
            data = {**answers_for(page), "action": "continue"}
            if any(field["type"] == "file" for field in page["fields"]):
                data["proof"] = SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")
            post(f"page {index + 1}", f"{base}/drafts/{draft_id}/page/{page['key']}/", data)
        done = post("check → submit", f"{base}/drafts/{draft_id}/check/", {})
        assert "/applications/" in done["Location"], done["Location"]

    journey()  # warm-up (imports, template loading)
    counts.clear()
    times.clear()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.journeys):
        journey()
    profiler.disable()
    total = time.perf_counter() - started
    print(
        f"{args.journeys} journeys in {total:.2f} s: {args.journeys / total:.1f} submissions/s (one process)"
    )
    print(f"{'POST':<16} {'queries':>8} {'p50 ms':>8} {'max ms':>8}")
    for name, values in counts.items():
        spread = f"{min(values)}" if min(values) == max(values) else f"{min(values)}-{max(values)}"
        print(f"{name:<16} {spread:>8} {statistics.median(times[name]):>8.1f} {max(times[name]):>8.1f}")
    if args.profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
