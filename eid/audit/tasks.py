"""Scheduled verification of the audit chain (a thin wrapper around audit_chain_verify)."""

import logging

from celery import shared_task

from eid.audit.chain import audit_chain_verify

logger = logging.getLogger(__name__)


@shared_task(name="audit.verify_chain")
def audit_verify_chain_task() -> dict:
    report = audit_chain_verify()
    if not report.ok:
        logger.error("Audit chain broken at event #%s: %s", report.broken_at, report.reason)
    return {
        "ok": report.ok,
        "checked": report.checked,
        "broken_at": report.broken_at,
        "reason": report.reason,
    }
