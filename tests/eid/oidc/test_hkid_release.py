"""The full HKID number: sealed at rest, released only to a department's production client whose
approval recorded a legal basis; everyone else (partners, sandbox clients, departments without a
basis) receives the mask. Each release is audited with the mask only."""

import datetime

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet
from django.db import connection
from django.test import Client as BrowserClient
from django.test import override_settings

from eid import verification
from eid.actions import user_deactivate, user_set_assurance_level
from eid.audit.chain import audit_chain_verify
from eid.audit.models import AuditEvent
from eid.checks import hkid_encryption_key_check
from eid.constants import AssuranceLevel
from eid.hkid import hkid_dev_encryption_key, hkid_seal, hkid_unseal
from eid.models import User, VerificationRequest
from eid.oidc import onboarding
from eid.oidc.claims import hkid_release_basis, resident_claims
from eid.oidc.clients import NewClient
from eid.oidc.models import PartnerApplication
from eid.oidc.registration import Registration
from tests.eid.oidc.flow import USERINFO, Authorization, code_for, verify_id_token
from tests.factories import DepartmentFactory, OfficerMembershipFactory, UserFactory
from tests.portal.test_settings import PRODUCTION_ENV, _manage

pytestmark = pytest.mark.django_db

HKID = "A123456(3)"
FULL = "A1234563"  # normalised: what a department receives
MASKED = "A123***(3)"
BASIS = "Road Traffic Ordinance (Cap. 374) s. 111"
SCOPE = "openid profile eid.hkid"


@pytest.fixture
def resident() -> User:
    """A resident verified the real way: a request, then an officer matching the card."""
    registration = DepartmentFactory(code="imm", name_en="Immigration Department", verifies_identity=True)
    officer = OfficerMembershipFactory(department=registration).user
    user = UserFactory(email="chan@example.test", legal_name_en="CHAN Tai Man")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    request = verification.verification_request_submit(
        user=user,
        legal_name_en="CHAN Tai Man",
        legal_name_zh="陳大文",
        date_of_birth=datetime.date(1990, 2, 3),
        raw_hkid=HKID,
    )
    verification.verification_approve(
        verification=request,
        officer=officer,
        document_type=VerificationRequest.Document.HKID_CARD,
        raw_hkid_on_document="a123456 (3)",
        name_matches=True,
        date_of_birth_on_document=datetime.date(1990, 2, 3),
    )
    user.refresh_from_db()
    return user


def onboarded(
    *, department: bool = True, legal_basis: str = BASIS, code: str = "td"
) -> tuple[PartnerApplication, NewClient, NewClient]:
    """An application registered, approved by an administrator (with `legal_basis` for a department)
    and its production secret retrieved: (application, sandbox client, production client)."""
    if department:
        dept = DepartmentFactory(
            code=code, name_en="Transport Department", name_zh_hant="運輸署", name_zh_hans="运输署"
        )
        member = OfficerMembershipFactory(department=dept).user
        organisation = onboarding.organisation_register(
            user=member,
            name="Transport Department",
            business_registration_number="",
            contact_email="it@td.example",
            department=dept,
        )
    else:
        member = UserFactory()
        organisation = onboarding.organisation_register(
            user=member, name="Harbour Bank", business_registration_number="12345678", contact_email="a@b.hk"
        )
    registration = Registration(
        redirect_uris=[f"https://{code}.example/callback"],
        post_logout_redirect_uris=[],
        backchannel_logout_uri="",
        scopes=["openid", "profile", "eid.hkid"],
        fapi=False,
        jwks=None,
        jwks_uri="",
    )
    application, sandbox = onboarding.application_register(
        organisation=organisation,
        by=member,
        name="Driving licences",
        purpose_en="To renew your driving licence.",
        purpose_zh_hant="續領駕駛執照。",
        purpose_zh_hans="续领驾驶执照。",
        registration=registration,
    )
    onboarding.application_request_production(application=application, by=member)
    administrator = UserFactory(is_staff=True, is_superuser=True)
    application = onboarding.application_approve(
        application=application, by=administrator, hkid_legal_basis=legal_basis
    )
    production = onboarding.production_credentials_issue(application=application, by=member)
    application.refresh_from_db()
    return (
        application,
        NewClient(client=application.sandbox_client, secret=sandbox.secret),
        NewClient(client=application.production_client, secret=production.secret),
    )


def _signed_in_claims(web: BrowserClient, new: NewClient, user: User) -> tuple[dict, dict]:
    """The real code flow: (ID token claims, userinfo). Signed in directly: the verified resident's
    password sign-in would continue to their second factor."""
    web.force_login(user)
    authorization = Authorization(new, scope=SCOPE)
    code = code_for(web, authorization)
    response = authorization.token(web, code)
    assert response.status_code == 200, response.content
    tokens = response.json()
    claims = verify_id_token(web, tokens["id_token"], new.client.id, tokens["access_token"])
    info = web.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert info.status_code == 200, info.content
    return claims, info.json()


# At rest ------------------------------------------------------------------------------------------------


def test_the_database_row_holds_no_plain_hkid(resident: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM eid_user WHERE id = %s", [resident.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
        cursor.execute("SELECT * FROM eid_verificationrequest WHERE user_id = %s", [resident.pk])
        request_row = " ".join(str(value) for value in cursor.fetchone())
    for text in (row, request_row):
        assert FULL not in text and "A123456" not in text
    assert resident.hkid_sealed and resident.hkid_sealed != FULL
    assert hkid_unseal(resident.hkid_sealed) == FULL
    events = " ".join(str(data) for data in AuditEvent.objects.values_list("data", flat=True))
    assert "A123456" not in events and MASKED in events


def test_a_token_under_another_key_opens_to_nothing_and_the_mask_is_released(resident: User) -> None:
    _application, _sandbox, production = onboarded()
    other = Fernet.generate_key().decode()
    with override_settings(HKID_ENCRYPTION_KEY=other):
        assert hkid_unseal(resident.hkid_sealed) == ""
        claims = resident_claims(user=resident, scopes=["eid.hkid"], client=production.client)
    assert claims["eid_hkid"] == MASKED
    # Rotation: the new key first, the old one still opens what it sealed.
    with override_settings(HKID_ENCRYPTION_KEY=f"{other},{hkid_dev_encryption_key()}"):
        assert hkid_unseal(resident.hkid_sealed) == FULL
        assert hkid_unseal(hkid_seal(FULL)) == FULL


# Release ------------------------------------------------------------------------------------------------


def test_a_department_with_a_legal_basis_gets_the_full_number_and_it_is_audited(
    web: BrowserClient, resident: User
) -> None:
    application, _sandbox, production = onboarded()
    claims, info = _signed_in_claims(web, production, resident)
    assert claims["eid_hkid"] == FULL
    assert info["eid_hkid"] == FULL

    events = list(AuditEvent.objects.filter(event_type="oidc.hkid_released").order_by("pk"))
    assert [event.data["purpose"] for event in events] == ["id_token", "userinfo"]
    for event in events:
        assert event.subject_id == resident.pk
        assert event.data["client_id"] == production.client.id
        assert event.data["legal_basis"] == BASIS
        assert event.data["application"] == str(application.public_id)
        assert event.data["department"] == "td"
        assert event.data["hkid"] == MASKED
        assert FULL not in str(event.data) and "A123456" not in str(event.data)
    assert audit_chain_verify().ok


def test_a_partner_gets_the_mask(web: BrowserClient, resident: User) -> None:
    _application, _sandbox, production = onboarded(department=False, legal_basis="", code="bank")
    claims, info = _signed_in_claims(web, production, resident)
    assert claims["eid_hkid"] == MASKED and info["eid_hkid"] == MASKED
    assert not AuditEvent.objects.filter(event_type="oidc.hkid_released").exists()


def test_a_department_without_a_legal_basis_gets_the_mask(web: BrowserClient, resident: User) -> None:
    _application, _sandbox, production = onboarded(legal_basis="")
    claims, info = _signed_in_claims(web, production, resident)
    assert claims["eid_hkid"] == MASKED and info["eid_hkid"] == MASKED
    assert not AuditEvent.objects.filter(event_type="oidc.hkid_released").exists()


def test_a_sandbox_client_gets_the_mask_even_of_a_department_with_a_legal_basis(
    web: BrowserClient, resident: User
) -> None:
    _application, sandbox, _production = onboarded()
    onboarding.sandbox_resident_mark(user=resident)  # sandbox clients sign in demo residents only
    claims, info = _signed_in_claims(web, sandbox, resident)
    assert claims["eid_hkid"] == MASKED and info["eid_hkid"] == MASKED
    assert hkid_release_basis(sandbox.client) is None
    assert not AuditEvent.objects.filter(event_type="oidc.hkid_released").exists()


def test_without_the_scope_no_hkid_is_released(resident: User) -> None:
    _application, _sandbox, production = onboarded()
    claims = resident_claims(user=resident, scopes=["openid", "profile"], client=production.client)
    assert "eid_hkid" not in claims
    assert not AuditEvent.objects.filter(event_type="oidc.hkid_released").exists()


def test_a_basis_edited_into_the_clients_json_alone_does_not_release(resident: User) -> None:
    """The application row decides, not `Client.data` (editable in the admin)."""
    _application, _sandbox, production = onboarded(department=False, legal_basis="", code="bank")
    production.client.data = {**production.client.data, "department": "td", "hkid_legal_basis": BASIS}
    production.client.save(update_fields=["data"])
    assert hkid_release_basis(production.client) is None


# Consent ------------------------------------------------------------------------------------------------


def test_the_consent_screen_says_plainly_when_the_full_number_is_shared(resident: User) -> None:
    _application, _sandbox, production = onboarded()
    browser = BrowserClient()
    browser.force_login(resident)
    url = Authorization(production, scope=SCOPE).url()
    html = browser.get(url).content.decode()
    assert "will receive your full HKID number, not a masked one" in html
    assert "Transport Department" in html and BASIS in html
    chinese = browser.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert 'data-testid="full-hkid-notice"' in chinese and "運輸署" in chinese


def test_the_consent_screen_of_a_partner_says_masked(resident: User) -> None:
    _application, _sandbox, production = onboarded(department=False, legal_basis="", code="bank")
    browser = BrowserClient()
    browser.force_login(resident)
    html = browser.get(Authorization(production, scope=SCOPE).url()).content.decode()
    assert "full-hkid-notice" not in html
    assert "Your HKID number (masked)" in html


# Ending -------------------------------------------------------------------------------------------------


def test_closing_the_account_clears_the_sealed_number(resident: User) -> None:
    user_deactivate(user=resident, by=None, reason="resident asked")
    resident.refresh_from_db()
    assert resident.hkid_sealed == ""
    assert resident.hkid_masked == MASKED and resident.hkid_hash  # still blocks a second eID


def test_withdrawing_the_verification_clears_the_sealed_number(resident: User) -> None:
    _application, _sandbox, production = onboarded()
    user_set_assurance_level(user=resident, level=AssuranceLevel.LOW, by=None, reason="card reported stolen")
    resident.refresh_from_db()
    assert resident.hkid_sealed == ""
    claims = resident_claims(user=resident, scopes=["eid.hkid"], client=production.client)
    assert claims["eid_hkid"] == MASKED


# Configuration -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "error_id"),
    [("", "eid.E001"), ("not-a-fernet-key", "eid.E002"), (None, "eid.E003")],
)
def test_production_refuses_a_missing_or_wrong_key(key: str | None, error_id: str) -> None:
    key = hkid_dev_encryption_key() if key is None else key
    with override_settings(PORTAL_ENVIRONMENT="production", HKID_ENCRYPTION_KEY=key):
        errors = hkid_encryption_key_check()
    assert [error.id for error in errors] == [error_id]
    assert all(key not in error.msg for error in errors if key)  # the key is never echoed


def test_a_real_key_passes_the_check() -> None:
    with override_settings(
        PORTAL_ENVIRONMENT="production", HKID_ENCRYPTION_KEY=Fernet.generate_key().decode()
    ):
        assert hkid_encryption_key_check() == []
    with override_settings(PORTAL_ENVIRONMENT="test", HKID_ENCRYPTION_KEY=""):
        assert hkid_encryption_key_check() == []  # dev and test derive one


def test_production_settings_refuse_to_start_without_or_with_a_wrong_key() -> None:
    missing = {k: v for k, v in PRODUCTION_ENV.items() if k != "EID_HKID_ENCRYPTION_KEY"}
    result = _manage("check", env=missing)
    assert result.returncode != 0 and "EID_HKID_ENCRYPTION_KEY" in result.stderr
    result = _manage("check", env={**PRODUCTION_ENV, "EID_HKID_ENCRYPTION_KEY": "wrong"})
    assert result.returncode != 0 and "eid.E002" in result.stderr and "wrong" not in result.stderr
