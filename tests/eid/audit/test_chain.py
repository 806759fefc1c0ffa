"""The hash-chained, append-only audit trail (eid/audit/chain.py, models.py, the trigger, audit_verify)."""

import itertools
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from eid.audit.chain import GENESIS_HASH, _event_digest, audit_chain_verify, audit_log
from eid.audit.models import AppendOnlyError, AuditEvent, AuditHead
from tests.eid.audit.tampering import delete_event, tamper_column, tamper_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _append(count: int) -> list[AuditEvent]:
    return [audit_log(event_type="test.event", data={"n": n}) for n in range(count)]


def test_empty_chain_verifies() -> None:
    """A trail with no events yet is intact, with nothing checked."""
    report = audit_chain_verify()
    assert (report.ok, report.checked, report.broken_at) == (True, 0, None)


def test_appended_events_verify() -> None:
    """Five appended events verify: ok, all five checked, nothing broken."""
    _append(5)
    report = audit_chain_verify()
    assert (report.ok, report.checked, report.broken_at, report.reason) == (True, 5, None, "")


def test_each_event_links_to_the_previous_one() -> None:
    """The first event links to the genesis hash, every later one to its predecessor; the head follows."""
    events = _append(4)
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    assert len({event.hash for event in events}) == 4
    head = AuditHead.objects.get()
    assert (head.last_hash, head.last_event_id, head.count) == (events[-1].hash, events[-1].pk, 4)


def test_verification_is_not_limited_by_the_batch_size() -> None:
    """Walking the chain in small batches checks every event all the same."""
    _append(7)
    assert audit_chain_verify(batch_size=2).checked == 7


def test_altered_content_is_reported_at_that_event() -> None:
    """Changing an event's details in the database is reported at exactly that event, as altered content."""
    events = _append(5)
    tamper_data(events[2].pk, {"n": 99})

    report = audit_chain_verify()
    assert report.ok is False
    assert report.broken_at == events[2].pk
    assert "content" in report.reason
    assert report.checked == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("event_type", "test.other"),
        ("user_agent", "forged agent"),
        ("ip_address", "198.51.100.1"),
        ("actor_id", 424242),
        ("created_at", timezone.now() - timedelta(days=3)),
    ],
)
def test_any_altered_column_is_detected(column: str, value: object) -> None:
    """Every hashed column is covered: changing any one of them breaks the chain at that event."""
    events = _append(3)
    tamper_column(events[1].pk, column, value)
    report = audit_chain_verify()
    assert (report.ok, report.broken_at) == (False, events[1].pk)
    assert "content" in report.reason


def test_rewriting_an_event_with_its_own_hash_breaks_the_next_link() -> None:
    """Recomputing a forged event's own hash does not help: the next event's link no longer holds."""
    events = _append(5)
    forged = events[2]
    forged_hash = _event_digest(
        prev_hash=forged.prev_hash,
        created_at=forged.created_at,
        event_type=forged.event_type,
        actor_id=forged.actor_id,
        subject_id=forged.subject_id,
        ip_address=forged.ip_address,
        user_agent=forged.user_agent,
        data={"n": 99},
    )
    tamper_data(forged.pk, {"n": 99})
    tamper_column(forged.pk, "hash", forged_hash)

    report = audit_chain_verify()
    assert (report.ok, report.broken_at) == (False, events[3].pk)
    assert "link" in report.reason


def test_deleted_middle_event_is_reported_at_the_next_one() -> None:
    """Deleting an event in the middle breaks the link of the event that followed it."""
    events = _append(5)
    delete_event(events[2].pk)

    report = audit_chain_verify()
    assert report.ok is False
    assert report.broken_at == events[3].pk
    assert "link" in report.reason
    assert report.checked == 2


def test_deleted_first_event_is_detected() -> None:
    """Deleting the first event leaves the second linking to a hash that is not the genesis."""
    events = _append(3)
    delete_event(events[0].pk)
    report = audit_chain_verify()
    assert (report.ok, report.broken_at, report.checked) == (False, events[1].pk, 0)
    assert "link" in report.reason


def test_deleted_last_event_is_detected() -> None:
    """Cutting off the newest event is detected through the head: events are missing."""
    events = _append(5)
    delete_event(events[-1].pk)

    report = audit_chain_verify()
    assert report.ok is False
    assert "missing" in report.reason
    assert report.broken_at == events[-1].pk
    assert report.checked == 4


def test_deleting_every_event_is_detected() -> None:
    """Emptying the trail while the head remains is detected too."""
    events = _append(3)
    for event in events:
        delete_event(event.pk)
    report = audit_chain_verify()
    assert report.ok is False
    assert "missing" in report.reason


def test_saving_an_existing_event_is_refused() -> None:
    """An event cannot be changed through the ORM once written."""
    (event,) = _append(1)
    event.data = {"n": 99}
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).data == {"n": 0}


def test_deleting_an_event_is_refused() -> None:
    """An event cannot be deleted through the ORM."""
    (event,) = _append(1)
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused() -> None:
    """Bulk update and bulk delete on audit events are refused, and change nothing."""
    _append(3)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(event_type="test.event").update(event_type="test.other")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(data={})
    assert list(AuditEvent.objects.values_list("event_type", flat=True)) == ["test.event"] * 3
    assert audit_chain_verify().ok


def test_raw_update_and_delete_hit_the_trigger_on_postgresql_only() -> None:
    """On PostgreSQL a trigger refuses raw UPDATE and DELETE; on SQLite there is no such trigger."""
    (event,) = _append(1)
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"n": 9}', event.pk])
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        assert AuditEvent.objects.get(pk=event.pk).data == {"n": 0}
    else:
        assert connection.vendor == "sqlite"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
            )
            assert cursor.fetchall() == []
    assert audit_chain_verify().ok


def test_audit_verify_command_reports_an_intact_chain() -> None:
    """`manage.py audit_verify` succeeds on an intact chain and says how many events it checked."""
    _append(3)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "Audit chain intact: 3 events verified." in out.getvalue()


def test_audit_verify_command_fails_naming_the_broken_event() -> None:
    """After tampering, `audit_verify` raises CommandError naming the broken event's id."""
    events = _append(4)
    tamper_data(events[1].pk, {"n": "forged"})
    with pytest.raises(CommandError) as exc:
        call_command("audit_verify", stdout=StringIO())
    assert f"event #{events[1].pk}:" in str(exc.value)
    assert "1 events verified before it" in str(exc.value)


def test_audit_log_records_actor_subject_ip_and_user_agent() -> None:
    """An event from a request records who acted, on whom, from which address and device."""
    officer, resident = UserFactory(), UserFactory()
    request = RequestFactory().post(
        "/back-office/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 X"
    )
    before = timezone.now()

    event = audit_log(
        event_type="identity.proofed", actor=officer, subject=resident, request=request, data={"doc": "x"}
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.event_type == "identity.proofed"
    assert (stored.actor_id, stored.subject_id) == (officer.pk, resident.pk)
    assert (stored.ip_address, stored.user_agent) == ("203.0.113.7", "Mozilla/5.0 X")
    assert stored.data == {"doc": "x"}
    assert before <= stored.created_at <= timezone.now()
    assert audit_chain_verify().ok


def test_behind_a_trusted_proxy_the_trail_names_the_residents_address(settings: object) -> None:
    """The bug: the trail recorded REMOTE_ADDR, which behind the production proxy is the proxy's."""

    def recorded(request: object) -> str:
        return AuditEvent.objects.get(pk=audit_log(event_type="t", request=request).pk).ip_address

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert recorded(request) == "203.0.113.9"
    # A request that skipped the proxy (no forwarded hop) keeps the address it came from.
    assert recorded(RequestFactory().post("/", REMOTE_ADDR="10.0.0.3")) == "10.0.0.3"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0  # no proxy trusted: X-Forwarded-For is anyone's to forge
    assert recorded(request) == "10.0.0.2"


def test_audit_log_without_request_has_no_address_or_device() -> None:
    """A system event (no request) has no IP address and an empty user agent."""
    event = AuditEvent.objects.get(pk=audit_log(event_type="system.job").pk)
    assert (event.ip_address, event.user_agent, event.actor_id, event.subject_id) == (None, "", None, None)


def test_long_user_agent_is_truncated_and_still_verifies() -> None:
    """A user agent longer than the column is cut to 255 characters, and the chain still holds."""
    request = RequestFactory().get("/", HTTP_USER_AGENT="A" * 1000)
    event = audit_log(event_type="test.event", request=request)
    assert AuditEvent.objects.get(pk=event.pk).user_agent == "A" * 255
    assert audit_chain_verify().ok


def test_details_of_other_types_are_stored_as_text_and_verify() -> None:
    """Dates, decimals and Chinese text in the details are stored as JSON and the chain still holds."""
    event = audit_log(
        event_type="test.event", data={"on": date(2025, 1, 2), "fee": Decimal("12.50"), "name": "陳大文"}
    )
    assert AuditEvent.objects.get(pk=event.pk).data == {"on": "2025-01-02", "fee": "12.50", "name": "陳大文"}
    assert audit_chain_verify().ok


def test_canonical_ipv6_address_verifies() -> None:
    """An event from an IPv6 client (written the way servers report it) verifies."""
    audit_log(event_type="test.event", request=RequestFactory().get("/", REMOTE_ADDR="2001:db8::1"))
    assert audit_chain_verify().ok


def test_non_canonical_ipv6_address_verifies() -> None:
    """An IPv6 address in upper case or with leading zeros does not make an untouched chain look broken."""
    for address in ("2001:DB8::1", "2001:0db8:0000:0000:0000:0000:0000:0001"):
        audit_log(event_type="test.event", request=RequestFactory().get("/", REMOTE_ADDR=address))
    assert audit_chain_verify().ok


def test_event_in_a_rolled_back_transaction_leaves_no_trace() -> None:
    """An event written in a transaction that rolls back disappears with it; the chain still verifies."""
    _append(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_log(event_type="test.rolled_back")
        raise RuntimeError("the surrounding action failed")

    assert not AuditEvent.objects.filter(event_type="test.rolled_back").exists()
    assert AuditHead.objects.get().count == 2
    assert audit_chain_verify().ok
    audit_log(event_type="test.after")
    report = audit_chain_verify()
    assert (report.ok, report.checked) == (True, 3)
