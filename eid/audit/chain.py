"""Appending to and verifying the audit chain."""

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from allauth.account.adapter import get_adapter as get_account_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from eid.audit.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def _event_digest(
    *,
    prev_hash: str,
    created_at: datetime,
    event_type: str,
    actor_id: int | None,
    subject_id: int | None,
    ip_address: str | None,
    user_agent: str,
    data: dict,
) -> str:
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "at": created_at.isoformat(timespec="microseconds"),
            "type": event_type,
            "actor": actor_id,
            "subject": subject_id,
            "ip": ip_address,
            "ua": user_agent,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the database will store it (IPv6 normalised), or None when absent or
    malformed. Behind TRUSTED_PROXY_COUNT proxies it is read from X-Forwarded-For as allauth's rate
    limits read it: the trail must name the resident's address, not the proxy's."""
    if request is None:
        return None
    try:
        raw = get_account_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # none, or fewer forwarded hops than trusted
        raw = request.META.get("REMOTE_ADDR")
    if not raw:
        return None
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        return None
    return clean_ipv6_address(raw) if ":" in raw else raw


def audit_log(
    *,
    event_type: str,
    actor: object | None = None,
    subject: object | None = None,
    request: HttpRequest | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (rolled back with it)."""
    # JSON round trip: what is hashed is exactly what the database will give back.
    payload = json.loads(json.dumps(data or {}, default=str))
    actor_id = getattr(actor, "pk", None)
    subject_id = getattr(subject, "pk", None)
    user_agent = (request.META.get("HTTP_USER_AGENT", "") if request else "")[:255]
    ip_address = _client_ip(request)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=HEAD_ID, defaults={"last_hash": GENESIS_HASH}
        )
        created_at = timezone.now()
        digest = _event_digest(
            prev_hash=head.last_hash,
            created_at=created_at,
            event_type=event_type,
            actor_id=actor_id,
            subject_id=subject_id,
            ip_address=ip_address,
            user_agent=user_agent,
            data=payload,
        )
        event = AuditEvent(
            created_at=created_at,
            event_type=event_type,
            actor_id=actor_id,
            subject_id=subject_id,
            ip_address=ip_address,
            user_agent=user_agent,
            data=payload,
            prev_hash=head.last_hash,
            hash=digest,
        )
        event.save()
        head.last_hash = digest
        head.last_event_id = event.pk
        head.count += 1
        head.save(update_fields=["last_hash", "last_event_id", "count"])
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in order and report the first event whose link or content does not hold."""
    events: Iterable[AuditEvent] = AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size)
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = 0
    for event in events:
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, event.pk, "the link to the previous event is broken")
        expected = _event_digest(
            prev_hash=event.prev_hash,
            created_at=event.created_at,
            event_type=event.event_type,
            actor_id=event.actor_id,
            subject_id=event.subject_id,
            ip_address=event.ip_address,
            user_agent=event.user_agent,
            data=event.data,
        )
        if expected != event.hash:
            return ChainReport(False, checked, event.pk, "the event's content was altered")
        prev_hash = event.hash
        last_id = event.pk
        checked += 1
    head = AuditHead.objects.filter(pk=HEAD_ID).first()
    if head is not None and (head.last_hash != prev_hash or head.count != checked):
        return ChainReport(
            False, checked, head.last_event_id or None, "events after the last one found are missing"
        )
    if head is None and checked:
        return ChainReport(False, checked, last_id, "the chain head is missing")
    return ChainReport(True, checked)
