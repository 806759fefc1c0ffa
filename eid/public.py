"""The only module of eid that other apps import: identity, assurance, departments and audit."""

from eid.assurance import STRONG_AUTHENTICATION_METHODS, authentication_methods, session_assurance_level
from eid.audit.chain import audit_log
from eid.constants import (
    CLIENT_SCOPES,
    LANGUAGE_CODES,
    REGION_OF_DISTRICT,
    SCOPE_DESCRIPTIONS,
    SCOPES,
    AssuranceLevel,
    District,
    Language,
    OfficerRole,
    Region,
)
from eid.errors import ApplicationError, PermissionDeniedError
from eid.hkid import hkid_hash, hkid_mask, hkid_validate
from eid.models import Department, OfficerMembership, User
from eid.notices import resident_notice, resident_notify
from eid.outbound import (
    OutboundError,
    OutboundResponse,
    outbound_request,
    outbound_target,
    outbound_url_validate,
)
from eid.pki.actions import SignatureResult, pdf_seal, seal_document, sign_for_resident
from eid.selectors import department_list, officer_department_ids, officer_memberships
from eid.sms import SMSPermanentError, SMSStatus, SMSTemporaryError, sms_send, sms_status_from_callback

__all__ = [
    "CLIENT_SCOPES",
    "LANGUAGE_CODES",
    "REGION_OF_DISTRICT",
    "SCOPES",
    "SCOPE_DESCRIPTIONS",
    "STRONG_AUTHENTICATION_METHODS",
    "ApplicationError",
    "AssuranceLevel",
    "Department",
    "District",
    "Language",
    "OfficerMembership",
    "OfficerRole",
    "OutboundError",
    "OutboundResponse",
    "PermissionDeniedError",
    "Region",
    "SMSPermanentError",
    "SMSStatus",
    "SMSTemporaryError",
    "SignatureResult",
    "User",
    "audit_log",
    "authentication_methods",
    "department_list",
    "hkid_hash",
    "hkid_mask",
    "hkid_validate",
    "officer_department_ids",
    "officer_memberships",
    "outbound_request",
    "outbound_target",
    "outbound_url_validate",
    "pdf_seal",
    "resident_notice",
    "resident_notify",
    "seal_document",
    "session_assurance_level",
    "sign_for_resident",
    "sms_send",
    "sms_status_from_callback",
]


def __getattr__(name: str) -> object:
    # Loaded on first use: the OIDC provider and DRF import this module, so importing them at the
    # top would be a cycle.
    if name == "ClientCredentialsAuthentication":
        from eid.oidc.client_api import ClientCredentialsAuthentication

        return ClientCredentialsAuthentication
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
