"""Partner onboarding: organisations register relying parties, get sandbox credentials at once and
production credentials once a portal administrator approves them.

- A sandbox client signs in only sandbox (demo) residents (`SandboxResident`, set by `seed_demo`):
  the authorization endpoint refuses everyone else (`sandbox_refuses`).
- A production client is created on approval. Its secret (if it uses one) is generated only when a
  member of the organisation retrieves it, and shown that once; the administrator never sees it.
- A department's systems register the same way through an organisation linked to the department:
  their clients share the sector `department:<code>`, so a resident has one stable `sub` across the
  department's systems (subjects.py).

Every step writes an audit event; decisions are announced in the members' inboxes.
"""

from dataclasses import dataclass
from typing import Any

from allauth.idp.oidc.models import Client
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eid.oidc.client_secrets import client_secret_hash
from eid.oidc.clients import client_create
from eid.oidc.models import PartnerApplication, PartnerMembership, PartnerOrganisation, SandboxResident
from eid.oidc.registration import Registration, registration_validate
from eid.public import ApplicationError, Department, User, audit_log, resident_notify

SANDBOX = "sandbox"
PRODUCTION = "production"
REVIEW_PERMISSION = "eid_oidc.review_partnerapplication"
NOTICE_DEPARTMENT = "ogcio"
NOTICE_TYPE = "oidc.partner_application"


# Sandbox residents -----------------------------------------------------------------------------------


def sandbox_resident_mark(*, user: User) -> None:
    SandboxResident.objects.get_or_create(user=user)


def is_sandbox_resident(user: User) -> bool:
    return bool(getattr(user, "pk", None)) and SandboxResident.objects.filter(user_id=user.pk).exists()


def client_is_sandbox(client: Client) -> bool:
    data = client.data if isinstance(client.data, dict) else {}
    return data.get("environment") == SANDBOX


def client_declaration(client: Client) -> tuple[str, str]:
    """(organisation, purpose in the current language) as registered in onboarding; "" if unknown."""
    data = client.data if isinstance(client.data, dict) else {}
    purposes = data.get("purpose") if isinstance(data.get("purpose"), dict) else {}
    language = translation.get_language() or "en"
    purpose = purposes.get(language) or purposes.get("en") or ""
    organisation = data.get("organisation")
    return (organisation if isinstance(organisation, str) else ""), (
        purpose if isinstance(purpose, str) else ""
    )


def sandbox_refuses(*, client: Client, user: User) -> bool:
    """True when a sandbox client asks to sign in someone who is not a demo resident."""
    return client_is_sandbox(client) and not is_sandbox_resident(user)


# Organisations -----------------------------------------------------------------------------------------


def organisation_register(
    *,
    user: User,
    name: str,
    business_registration_number: str,
    contact_email: str,
    department: Department | None = None,
    request: HttpRequest | None = None,
) -> PartnerOrganisation:
    """A new organisation with `user` as its first member. Only an officer of a department may
    register that department's organisation."""
    if department is not None and not user.memberships.filter(department=department).exists():
        raise ApplicationError(_("You are not an officer of that department."), code="not_officer")
    if department is None and not business_registration_number:
        raise ApplicationError(
            _("Enter the business registration number."), code="business_registration_number"
        )
    with transaction.atomic():
        organisation = PartnerOrganisation.objects.create(
            name=name,
            business_registration_number=business_registration_number,
            contact_email=contact_email,
            department=department,
        )
        PartnerMembership.objects.create(organisation=organisation, user=user)
        audit_log(
            event_type="oidc.partner_registered",
            actor=user,
            request=request,
            data={
                "organisation": str(organisation.public_id),
                "name": name,
                "department": department.code if department else None,
            },
        )
    return organisation


def member_add(
    *, organisation: PartnerOrganisation, by: User, email: str, request: HttpRequest | None = None
) -> PartnerMembership:
    """Adds a colleague who already has an eID account (found by a verified email address).

    A department's organisation takes only that department's officers, as registering one does: its
    clients share the department's subject space and may be granted the full HKID, so a member who is
    not an officer would act for the department without being one. A contractor who builds a
    department's system does so through an officer's account."""
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(email__iexact=email.strip(), verified=True).select_related("user")
    user = next((found.user for found in address if found.user.is_active), None)
    if user is None:
        raise ApplicationError(
            _("No eID account has that verified email address. Ask your colleague to sign up first."),
            code="no_account",
        )
    if (
        organisation.department_id is not None
        and not user.memberships.filter(department_id=organisation.department_id).exists()
    ):
        raise ApplicationError(
            _("Only officers of the department can join its organisation."), code="not_officer"
        )
    with transaction.atomic():
        membership, created = PartnerMembership.objects.get_or_create(organisation=organisation, user=user)
        if not created:
            raise ApplicationError(_("That person is already a member."), code="already_member")
        audit_log(
            event_type="oidc.partner_member_added",
            actor=by,
            subject=user,
            request=request,
            data={"organisation": str(organisation.public_id)},
        )
    return membership


def member_remove(
    *, organisation: PartnerOrganisation, by: User, membership_id: int, request: HttpRequest | None = None
) -> None:
    """Removes a member (oneself included); an organisation always keeps at least one."""
    with transaction.atomic():
        members = list(PartnerMembership.objects.select_for_update().filter(organisation=organisation))
        membership = next((member for member in members if member.pk == membership_id), None)
        if membership is None:
            raise Http404
        if len(members) == 1:
            raise ApplicationError(_("An organisation needs at least one member."), code="last_member")
        membership.delete()
        audit_log(
            event_type="oidc.partner_member_removed",
            actor=by,
            subject=membership.user,
            request=request,
            data={"organisation": str(organisation.public_id)},
        )


def organisations_of(*, user: User) -> QuerySet[PartnerOrganisation]:
    return PartnerOrganisation.objects.filter(members__user=user).prefetch_related("applications")


def access_organisation_by_member(*, user: User, public_id: object) -> PartnerOrganisation:
    """The organisation if `user` is a member; the same 404 for missing and not theirs."""
    organisation = organisations_of(user=user).filter(public_id=public_id).first()
    if organisation is None:
        raise Http404
    return organisation


def access_application_by_member(*, user: User, public_id: object) -> PartnerApplication:
    application = (
        PartnerApplication.objects.filter(public_id=public_id, organisation__members__user=user)
        .select_related("organisation", "sandbox_client", "production_client")
        .first()
    )
    if application is None:
        raise Http404
    return application


def _client_for(
    application: PartnerApplication, *, environment: str, hkid_legal_basis: str = ""
) -> tuple[Client, str | None]:
    registration = Registration.from_dict(application.registration)
    organisation = application.organisation
    profile: dict[str, Any] = {
        "environment": environment,
        "partner_application": str(application.public_id),
        "organisation": organisation.name,
        "purpose": {
            "en": application.purpose_en,
            "zh-hant": application.purpose_zh_hant,
            "zh-hans": application.purpose_zh_hans,
        },
        "fapi": registration.fapi,
        "token_endpoint_auth_method": "client_secret_basic"
        if registration.uses_secret
        else "private_key_jwt",
    }
    if registration.jwks is not None:
        profile["jwks"] = registration.jwks
    if registration.jwks_uri:
        profile["jwks_uri"] = registration.jwks_uri
    sector = None
    if organisation.department is not None:
        profile["department"] = organisation.department.code
        sector = f"department:{organisation.department.code}"
        if hkid_legal_basis:
            profile["hkid_legal_basis"] = hkid_legal_basis
    name = (
        application.name
        if environment == PRODUCTION
        else _("%(name)s (sandbox)") % {"name": application.name}
    )
    new = client_create(
        name=name,
        redirect_uris=registration.redirect_uris,
        scopes=registration.scopes,
        sector_identifier=sector,
        backchannel_logout_uri=registration.backchannel_logout_uri or None,
        post_logout_redirect_uris=registration.post_logout_redirect_uris or None,
        profile=profile,
    )
    return new.client, new.secret


# Applications --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """Shown to a partner member once: the secret is not stored in clear anywhere."""

    client_id: str
    secret: str | None
    environment: str


def application_register(
    *,
    organisation: PartnerOrganisation,
    by: User,
    name: str,
    purpose_en: str,
    purpose_zh_hant: str,
    purpose_zh_hans: str,
    registration: Registration,
    request: HttpRequest | None = None,
) -> tuple[PartnerApplication, Credentials]:
    """The application and its sandbox client, created at once."""
    registration_validate(registration)
    with transaction.atomic():
        application = PartnerApplication.objects.create(
            organisation=organisation,
            name=name,
            purpose_en=purpose_en,
            purpose_zh_hant=purpose_zh_hant,
            purpose_zh_hans=purpose_zh_hans,
            registration=registration.as_dict(),
            created_by=by,
        )
        client, secret = _client_for(application, environment=SANDBOX)
        application.sandbox_client = client
        application.save(update_fields=["sandbox_client"])
        audit_log(
            event_type="oidc.partner_application_registered",
            actor=by,
            request=request,
            data={
                "application": str(application.public_id),
                "organisation": str(organisation.public_id),
                "sandbox_client_id": client.id,
                "scopes": registration.scopes,
                "fapi": registration.fapi,
            },
        )
    return application, Credentials(client_id=client.id, secret=secret, environment=SANDBOX)


def application_request_production(
    *, application: PartnerApplication, by: User, request: HttpRequest | None = None
) -> PartnerApplication:
    if application.status not in (PartnerApplication.Status.SANDBOX, PartnerApplication.Status.REJECTED):
        raise ApplicationError(_("Production access has already been requested."), code="already_requested")
    with transaction.atomic():
        application.status = PartnerApplication.Status.PENDING
        application.requested_at = timezone.now()
        application.rejection_reason = ""
        application.save(update_fields=["status", "requested_at", "rejection_reason"])
        audit_log(
            event_type="oidc.partner_production_requested",
            actor=by,
            request=request,
            data={"application": str(application.public_id)},
        )
    return application


def review_queue(*, status: str = PartnerApplication.Status.PENDING) -> QuerySet[PartnerApplication]:
    return (
        PartnerApplication.objects.filter(status=status)
        .select_related("organisation", "organisation__department")
        .order_by("requested_at", "created_at")
    )


def access_application_for_reviewer(*, user: User, public_id: object) -> PartnerApplication:
    if not user.has_perm(REVIEW_PERMISSION):
        raise Http404
    application = (
        PartnerApplication.objects.filter(public_id=public_id)
        .select_related("organisation", "organisation__department", "sandbox_client", "production_client")
        .first()
    )
    if application is None:
        raise Http404
    return application


def _pending_for_decision(application: PartnerApplication) -> PartnerApplication:
    locked = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != PartnerApplication.Status.PENDING:
        raise ApplicationError(_("This request has already been decided."), code="already_decided")
    return locked


def application_approve(
    *,
    application: PartnerApplication,
    by: User,
    hkid_legal_basis: str = "",
    request: HttpRequest | None = None,
) -> PartnerApplication:
    """Creates the production client. A secret, if the application uses one, waits for a member to
    retrieve it. The legal basis for the HKID is recorded only for a department's systems."""
    if not by.has_perm(REVIEW_PERMISSION):
        raise Http404
    hkid_legal_basis = hkid_legal_basis.strip()
    if hkid_legal_basis and application.organisation.department is None:
        raise ApplicationError(
            _("A legal basis for the HKID can be recorded only for a department's system."),
            code="hkid_partner",
        )
    with transaction.atomic():
        application = _pending_for_decision(application)
        client, secret = _client_for(application, environment=PRODUCTION, hkid_legal_basis=hkid_legal_basis)
        if secret is not None:
            # Unusable until a partner member retrieves (and so generates) the real one.
            client.secret = ""
            client.save(update_fields=["secret"])
        application.production_client = client
        application.status = PartnerApplication.Status.APPROVED
        application.decided_at = timezone.now()
        application.decided_by = by
        application.hkid_legal_basis = hkid_legal_basis
        application.save(
            update_fields=["production_client", "status", "decided_at", "decided_by", "hkid_legal_basis"]
        )
        audit_log(
            event_type="oidc.partner_production_approved",
            actor=by,
            request=request,
            data={
                "application": str(application.public_id),
                "production_client_id": client.id,
                "hkid_legal_basis": hkid_legal_basis or None,
            },
        )
        _notify_members(
            application,
            subject=gettext_lazy("Production access approved: %(name)s"),
            body=gettext_lazy(
                "Your application %(name)s may now sign in residents. A member of %(organisation)s can "
                "retrieve the production credentials once on the application's page in the portal."
            ),
        )
    return application


def application_reject(
    *, application: PartnerApplication, by: User, reason: str, request: HttpRequest | None = None
) -> PartnerApplication:
    if not by.has_perm(REVIEW_PERMISSION):
        raise Http404
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the refusal."), code="reason_required")
    with transaction.atomic():
        application = _pending_for_decision(application)
        application.status = PartnerApplication.Status.REJECTED
        application.decided_at = timezone.now()
        application.decided_by = by
        application.rejection_reason = reason
        application.save(update_fields=["status", "decided_at", "decided_by", "rejection_reason"])
        audit_log(
            event_type="oidc.partner_production_rejected",
            actor=by,
            request=request,
            data={"application": str(application.public_id), "reason": reason},
        )
        _notify_members(
            application,
            subject=gettext_lazy("Production access refused: %(name)s"),
            body=gettext_lazy(
                "Production access for %(name)s was refused. Reason given: %(reason)s\n\nYou can ask "
                "again from the application's page in the portal."
            ),
            reason=reason,
        )
    return application


def production_credentials_issue(
    *, application: PartnerApplication, by: User, request: HttpRequest | None = None
) -> Credentials:
    """The production client's id and, once, its secret (generated now, stored only as a keyed hash).

    After the first retrieval the id alone is returned: a lost secret needs a new application or an
    administrator, never a second display."""
    from allauth.idp.oidc.adapter import get_adapter

    if application.status != PartnerApplication.Status.APPROVED or application.production_client is None:
        raise ApplicationError(_("This application is not approved for production."), code="not_approved")
    registration = Registration.from_dict(application.registration)
    with transaction.atomic():
        locked = PartnerApplication.objects.select_for_update().get(pk=application.pk)
        client = locked.production_client
        secret = None
        if registration.uses_secret and locked.production_secret_issued_at is None:
            secret = get_adapter().generate_client_secret()
            client.secret = client_secret_hash(secret)
            client.save(update_fields=["secret"])
            locked.production_secret_issued_at = timezone.now()
            locked.save(update_fields=["production_secret_issued_at"])
            audit_log(
                event_type="oidc.partner_production_secret_issued",
                actor=by,
                request=request,
                data={"application": str(locked.public_id), "client_id": client.id},
            )
    return Credentials(client_id=client.id, secret=secret, environment=PRODUCTION)


def _notify_members(application: PartnerApplication, *, subject: Any, body: Any, reason: str = "") -> None:
    organisation = application.organisation
    for membership in organisation.members.select_related("user"):
        resident_notify(
            user=membership.user,
            department_code=NOTICE_DEPARTMENT,
            notification_type=NOTICE_TYPE,
            subject=subject,
            body=body,
            context={"name": application.name, "organisation": organisation.name, "reason": reason},
        )
