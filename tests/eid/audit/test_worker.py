"""The scheduled chain verification as a Celery task: on a real worker with a broker, eagerly without."""

import pytest
from celery.result import EagerResult
from django.conf import settings

from eid.audit.chain import audit_log
from eid.audit.tasks import audit_verify_chain_task
from tests.eid.audit.tampering import tamper_data

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_verify_task_reports_an_intact_then_a_tampered_chain(celery_worker_process: str) -> None:
    """The task reports ok with the number of events checked, then ok False at the tampered event."""
    assert celery_worker_process == ("worker" if settings.CELERY_BROKER_URL else "eager")
    events = [audit_log(event_type="test.event", data={"n": n}) for n in range(4)]

    result = audit_verify_chain_task.delay()
    # Only eager mode may run the task in this process; with a broker the worker must have run it.
    assert isinstance(result, EagerResult) is (celery_worker_process == "eager")
    assert result.get(timeout=60) == {"ok": True, "checked": 4, "broken_at": None, "reason": ""}

    tamper_data(events[1].pk, {"n": "forged"})

    report = audit_verify_chain_task.delay().get(timeout=60)
    assert report["ok"] is False
    assert report["broken_at"] == events[1].pk
    assert report["checked"] == 1
    assert "content" in report["reason"]


def test_verify_task_sees_events_written_after_it_last_ran(celery_worker_process: str) -> None:
    """Each run reads the current trail: events committed since the last run are counted."""
    audit_log(event_type="test.event")
    assert audit_verify_chain_task.delay().get(timeout=60)["checked"] == 1
    audit_log(event_type="test.event")
    audit_log(event_type="test.event")
    assert audit_verify_chain_task.delay().get(timeout=60) == {
        "ok": True,
        "checked": 3,
        "broken_at": None,
        "reason": "",
    }
