"""A worker killed mid-batch: after the batch runs again, nothing is lost from the inbox and nothing
is sent twice. With a broker the worker is a real process killed with SIGKILL; without one the crash
is simulated in process by an exception no handler catches (as a kill would give none a chance)."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from services.notifications import actions
from services.notifications.models import Broadcast, DistrictSubscription, Message, Notification, Status
from services.notifications.tasks import broadcast_batch_task
from tests.factories import UserFactory
from tests.services.notifications.test_broadcast import ROAD_WORKS, VALUES

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
QUEUE = "notifications-kill-test"
SUBSCRIBERS = 30


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the batch may catch it, as nothing can catch SIGKILL."""


def start_worker(log_path: Path, sms_log: Path) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER'] or ''}@{database['HOST'] or ''}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "SMS_BACKEND": "tests.services.notifications.slow_sms.SlowLoggingSMSProvider",
        "NOTIFY_TEST_SMS_LOG": str(sms_log),
    }
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-Q", QUEUE]
    command += ["--without-gossip", "--without-mingle", "--hostname=kill-test@%h", "--loglevel=INFO"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_path.open("a"), stderr=subprocess.STDOUT)


def wait_for(condition: object, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_loses_no_inbox_message_and_sends_nothing_twice(
    celery_worker_process: str, make_template: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = make_template(notification_type="road_works", topic="road-works", content=ROAD_WORKS)
    users = [UserFactory(mobile_number=f"+8526{n:07d}") for n in range(SUBSCRIBERS)]
    for user in users:
        DistrictSubscription.objects.create(user=user, district="sha-tin", topic="road-works")
    # Created directly (not published) so that only this test's worker runs its batch.
    broadcast = Broadcast.objects.create(
        department=template.department,
        template_version=template.versions.get(),
        district="sha-tin",
        channels=["inbox", "sms"],
        personalisation=VALUES,
    )
    (batch,) = actions.broadcast_fan_out(broadcast_id=str(broadcast.public_id))
    sms_log = tmp_path / "sms.log"
    sms_log.touch()

    if celery_worker_process == "worker":
        worker_log = ROOT / "var" / "test-worker-killed.log"
        worker = start_worker(worker_log, sms_log)
        broadcast_batch_task.apply_async((str(broadcast.public_id), batch), queue=QUEUE)
        wait_for(lambda: len(sms_log.read_text().split()) >= 10)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
        sent_before = len(sms_log.read_text().split())
        assert sent_before < SUBSCRIBERS, "the worker finished before it was killed"
        # Redis gives an unacknowledged message back only after its visibility timeout (an hour);
        # the batch is sent again now, as that redelivery would, to a restarted worker.
        worker = start_worker(worker_log, sms_log)
        try:
            result = broadcast_batch_task.apply_async((str(broadcast.public_id), batch), queue=QUEUE)
            result.get(timeout=120)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
    else:
        sends = []

        def crashing_send(self: object, message: object) -> None:
            if len(sends) == 10:
                raise WorkerKilled
            sends.append(message.to)

        monkeypatch.setattr("eid.sms.ConsoleSMSProvider.send", crashing_send)
        with pytest.raises(WorkerKilled):
            actions.broadcast_deliver_batch(broadcast_id=str(broadcast.public_id), user_ids=batch)

        def logging_send(self: object, message: object) -> None:
            sends.append(message.to)

        monkeypatch.setattr("eid.sms.ConsoleSMSProvider.send", logging_send)
        actions.broadcast_deliver_batch(broadcast_id=str(broadcast.public_id), user_ids=batch)
        sms_log.write_text("\n".join(sends))

    # The inbox: exactly one message each (claim, message and status commit together).
    assert Counter(Message.objects.filter(recipient__in=users).values_list("recipient", flat=True)) == {
        user.pk: 1 for user in users
    }
    # SMS: never twice; at most the one in flight at the kill is left "sending" (at most once).
    sent = Counter(sms_log.read_text().split())
    assert max(sent.values()) == 1
    rows = Counter(Notification.objects.filter(broadcast=broadcast).values_list("channel", "status"))
    assert rows[("inbox", Status.DELIVERED)] == SUBSCRIBERS
    assert rows[("sms", Status.DELIVERED)] + rows[("sms", Status.SENDING)] == SUBSCRIBERS
    assert rows[("sms", Status.SENDING)] <= 1
    assert len(sent) >= rows[("sms", Status.DELIVERED)]
