"""Partner onboarding: an organisation signs up, registers an application, gets sandbox credentials
that work only with demo residents, and production credentials once an administrator approves."""

import json

import pytest
from allauth.idp.oidc.models import Client
from django.contrib.auth.models import Permission
from django.test import Client as BrowserClient

from eid.audit.models import AuditEvent
from eid.oidc import onboarding
from eid.oidc.clients import NewClient, client_profile
from eid.oidc.models import PartnerApplication, PartnerOrganisation
from eid.oidc.subjects import client_sector
from services.notifications.models import Message
from tests.eid.oidc.flow import Authorization, code_for
from tests.factories import TEST_PASSWORD, DepartmentFactory, OfficerMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PARTNERS = "/en/eid/partners/"
QUEUE = "/en/back-office/partners/"
APPLICATION_FORM = {
    "name": "Harbour Bank Online",
    "purpose_en": "To open your bank account online.",
    "purpose_zh_hant": "在網上開設銀行帳戶。",
    "purpose_zh_hans": "在网上开设银行账户。",
    "redirect_uris": "https://bank.example/callback\nhttps://bank.example/callback2",
    "post_logout_redirect_uris": "https://bank.example/bye",
    "backchannel_logout_uri": "https://bank.example/backchannel-logout",
    "key_type": "secret",
    "scopes": ["openid", "profile", "email", "address", "eid.assurance"],
}
PUBLIC_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    "kid": "bank-1",
}


def signed_in(user: object) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def register_organisation(web: BrowserClient, **overrides: str) -> PartnerOrganisation:
    data = {
        "name": "Harbour Bank",
        "business_registration_number": "12345678",
        "contact_email": "dev@bank.example",
        **overrides,
    }
    response = web.post(f"{PARTNERS}organisations/new/", data)
    assert response.status_code == 302, response.content[:1000]
    return PartnerOrganisation.objects.get(name=data["name"])


def register_application(
    web: BrowserClient, organisation: PartnerOrganisation, **overrides: object
) -> tuple[PartnerApplication, NewClient]:
    """Registers through the form; returns the application and its sandbox credentials, read
    from the one page that shows the secret."""
    response = web.post(
        f"{PARTNERS}organisations/{organisation.public_id}/applications/new/",
        {**APPLICATION_FORM, **overrides},
    )
    assert response.status_code == 302, response.content[:2000]
    page = web.get(response["Location"])
    assert page.status_code == 200
    shown = page.context["new"]
    application = PartnerApplication.objects.get(public_id=shown["application"])
    assert shown["client_id"] == application.sandbox_client.pk
    return application, NewClient(client=application.sandbox_client, secret=shown["secret"])


def reviewer() -> BrowserClient:
    return signed_in(UserFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def partner() -> object:
    return UserFactory(email="dev@bank.example")


@pytest.fixture
def demo_resident() -> object:
    user = UserFactory(email="low@demo.local")
    onboarding.sandbox_resident_mark(user=user)
    return user


def test_the_whole_path_from_sign_up_to_production(
    partner: object, demo_resident: object, resident: object
) -> None:
    # Given a signed-in person who signs up their organisation and registers an application
    web = signed_in(partner)
    organisation = register_organisation(web)
    application, sandbox = register_application(web, organisation)
    assert application.status == PartnerApplication.Status.SANDBOX
    assert sandbox.secret
    # The secret is shown once: the page no longer carries it.
    again = web.get(f"{PARTNERS}applications/{application.public_id}/")
    assert again.context["new"] is None and sandbox.secret not in again.content.decode()
    profile = client_profile(sandbox.client)
    assert profile["environment"] == "sandbox"
    assert profile["backchannel_logout_uri"] == "https://bank.example/backchannel-logout"
    assert sandbox.client.get_post_logout_redirect_uris() == ["https://bank.example/bye"]
    assert sandbox.client.get_redirect_uris() == APPLICATION_FORM["redirect_uris"].split("\n")

    # Then the sandbox client signs in a demo resident ...
    demo_browser = signed_in(demo_resident)
    authorization = Authorization(sandbox)
    tokens = authorization.token(demo_browser, code_for(demo_browser, authorization))
    assert tokens.status_code == 200 and "id_token" in tokens.json()
    # ... and refuses a real resident with a clear page, not a redirect.
    refused = signed_in(resident).get(Authorization(sandbox).url())
    assert refused.status_code == 403
    assert "Location" not in refused
    assert "can sign in only the portal's demo residents" in refused.content.decode()

    # When the partner asks for production access and an administrator approves it
    response = web.post(f"{PARTNERS}applications/{application.public_id}/request-production/")
    assert response.status_code == 302
    admin = reviewer()
    queue = admin.get(QUEUE)
    assert queue.status_code == 200 and "Harbour Bank Online" in queue.content.decode()
    detail = admin.get(f"{QUEUE}{application.public_id}/")
    assert detail.status_code == 200 and "bank.example/callback" in detail.content.decode()
    assert admin.post(f"{QUEUE}{application.public_id}/", {"action": "approve"}).status_code == 302

    # Then a production client exists, the partner hears of it, and retrieves the secret once
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.APPROVED
    production_client = application.production_client
    assert client_profile(production_client)["environment"] == "production"
    assert Message.objects.filter(recipient=partner, subject__contains="approved").exists()
    credentials_url = f"{PARTNERS}applications/{application.public_id}/production-credentials/"
    # A production secret needs the password confirmed first; allauth keeps the POST meanwhile.
    asked = web.post(credentials_url)
    assert asked.status_code == 302 and asked["Location"].startswith("/en/accounts/reauthenticate/")
    assert not AuditEvent.objects.filter(event_type="oidc.partner_production_secret_issued").exists()
    retrieved = web.post(asked["Location"], {"password": TEST_PASSWORD})
    assert retrieved.status_code == 200
    credentials = retrieved.context["production"]
    assert credentials.client_id == production_client.pk and credentials.secret
    second = web.post(credentials_url)
    assert second.context["production"].secret is None

    # And the production client signs in a real resident
    resident_browser = signed_in(resident)
    production = Authorization(NewClient(client=production_client, secret=credentials.secret))
    tokens = production.token(resident_browser, code_for(resident_browser, production))
    assert tokens.status_code == 200 and "id_token" in tokens.json()

    events = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {
        "oidc.partner_registered",
        "oidc.partner_application_registered",
        "oidc.partner_production_requested",
        "oidc.partner_production_approved",
        "oidc.partner_production_secret_issued",
    } <= events


def test_a_refused_request_is_explained_and_may_be_made_again(partner: object) -> None:
    web = signed_in(partner)
    application, _sandbox = register_application(web, register_organisation(web))
    web.post(f"{PARTNERS}applications/{application.public_id}/request-production/")
    admin = reviewer()
    empty_reason = admin.post(f"{QUEUE}{application.public_id}/", {"action": "reject", "reason": ""})
    assert empty_reason.status_code == 400
    response = admin.post(
        f"{QUEUE}{application.public_id}/", {"action": "reject", "reason": "The purpose is too vague."}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.REJECTED
    assert application.production_client is None
    notice = Message.objects.get(recipient=partner, subject__contains="refused")
    assert "The purpose is too vague." in notice.body
    assert AuditEvent.objects.filter(event_type="oidc.partner_production_rejected").exists()
    page = web.get(f"{PARTNERS}applications/{application.public_id}/")
    assert "The purpose is too vague." in page.content.decode()
    # No production credentials for a refused application.
    web.post(f"{PARTNERS}applications/{application.public_id}/production-credentials/")
    assert not Client.objects.exclude(pk=application.sandbox_client_id).exists()
    web.post(f"{PARTNERS}applications/{application.public_id}/request-production/")
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.PENDING


def test_only_reviewers_see_the_queue(partner: object, user_factory: type) -> None:
    web = signed_in(partner)
    application, _sandbox = register_application(web, register_organisation(web))
    web.post(f"{PARTNERS}applications/{application.public_id}/request-production/")
    officer = OfficerMembershipFactory().user
    for user in (partner, officer, user_factory(is_staff=True)):
        browser = signed_in(user)
        assert browser.get(QUEUE).status_code == 404
        assert browser.get(f"{QUEUE}{application.public_id}/").status_code == 404
        assert browser.post(f"{QUEUE}{application.public_id}/", {"action": "approve"}).status_code == 404
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.PENDING
    # The permission alone (no superuser) is enough.
    holder = user_factory()
    holder.user_permissions.add(Permission.objects.get(codename="review_partnerapplication"))
    assert signed_in(holder).get(QUEUE).status_code == 200
    assert "/accounts/login/" in BrowserClient().get(QUEUE)["Location"]


def test_another_organisations_member_cannot_see_or_act_on_an_application(
    partner: object, user_factory: type
) -> None:
    web = signed_in(partner)
    organisation = register_organisation(web)
    application, _sandbox = register_application(web, organisation)
    stranger = signed_in(user_factory())
    register_organisation(stranger, name="Kowloon Shop")
    assert stranger.get(f"{PARTNERS}organisations/{organisation.public_id}/").status_code == 404
    assert stranger.get(f"{PARTNERS}applications/{application.public_id}/").status_code == 404
    new_app = f"{PARTNERS}organisations/{organisation.public_id}/applications/new/"
    assert stranger.post(new_app, APPLICATION_FORM).status_code == 404
    assert (
        stranger.post(f"{PARTNERS}applications/{application.public_id}/request-production/").status_code
        == 404
    )
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.SANDBOX
    assert "Harbour Bank" not in stranger.get(PARTNERS).content.decode()


PRIVATE_JWK = {**PUBLIC_JWK, "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"redirect_uris": "ftp://bank.example/cb"}, "redirect_uris"),
        ({"redirect_uris": "http://bank.example/cb"}, "redirect_uris"),
        ({"redirect_uris": "https://bank.example/cb#fragment"}, "redirect_uris"),
        ({"redirect_uris": ""}, "redirect_uris"),
        ({"post_logout_redirect_uris": "not a uri"}, "post_logout_redirect_uris"),
        ({"backchannel_logout_uri": "http://bank.example/bcl"}, "backchannel_logout_uri"),
        ({"key_type": "jwks", "jwks": json.dumps({"keys": [PRIVATE_JWK]})}, "jwks"),
        ({"key_type": "jwks", "jwks": json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})}, "jwks"),
        ({"key_type": "jwks", "jwks": "{not json"}, "jwks"),
        ({"key_type": "jwks", "jwks": json.dumps({"keys": [{**PUBLIC_JWK, "crv": "P-384"}]})}, "jwks"),
        ({"key_type": "jwks", "jwks": json.dumps({"keys": []})}, "jwks"),
        ({"key_type": "jwks_uri", "jwks_uri": ""}, "jwks_uri"),
        ({"scopes": ["openid", "eid.everything"]}, "scopes"),
        ({"fapi": "on"}, "jwks"),  # FAPI with a client secret
        ({"purpose_zh_hans": ""}, "purpose_zh_hans"),
    ],
)
def test_invalid_registrations_are_form_errors_and_nothing_is_saved(
    partner: object, overrides: dict, field: str
) -> None:
    web = signed_in(partner)
    organisation = register_organisation(web)
    clients_before = Client.objects.count()
    response = web.post(
        f"{PARTNERS}organisations/{organisation.public_id}/applications/new/",
        {**APPLICATION_FORM, **overrides},
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert "There is a problem" in response.content.decode()
    assert not PartnerApplication.objects.exists()
    assert Client.objects.count() == clients_before


def test_public_keys_register_a_private_key_jwt_client_without_a_secret(partner: object) -> None:
    web = signed_in(partner)
    application, sandbox = register_application(
        web,
        register_organisation(web),
        key_type="jwks",
        jwks=json.dumps({"keys": [PUBLIC_JWK]}),
        fapi="on",
    )
    profile = client_profile(sandbox.client)
    assert profile["fapi"] is True
    assert profile["jwks"] == {"keys": [PUBLIC_JWK]}
    assert profile["token_endpoint_auth_method"] == "private_key_jwt"
    assert application.registration["fapi"] is True


def test_organisation_sign_up_needs_a_business_registration_number(partner: object) -> None:
    web = signed_in(partner)
    for number in ("", "1234", "ABCDEFGH"):
        response = web.post(
            f"{PARTNERS}organisations/new/",
            {"name": "Harbour Bank", "business_registration_number": number, "contact_email": "a@b.example"},
        )
        assert response.status_code == 400
        assert response.context["form"].errors["business_registration_number"]
    assert not PartnerOrganisation.objects.exists()


def test_a_departments_systems_share_one_subject_and_record_the_hkid_legal_basis(
    resident: object,
) -> None:
    """A department's organisation: stable per-department `sub`; the legal basis recorded on approval."""
    department = DepartmentFactory(code="td")
    officer = OfficerMembershipFactory(department=department).user
    web = signed_in(officer)
    organisation = register_organisation(
        web,
        name="Transport Department systems",
        business_registration_number="",
        department=str(department.pk),
    )
    assert organisation.department == department
    licensing, _ = register_application(web, organisation, scopes=["openid", "eid.hkid"])
    parking, _ = register_application(
        web, organisation, name="Parking", redirect_uris="https://parking.td.example/cb"
    )
    for application in (licensing, parking):
        web.post(f"{PARTNERS}applications/{application.public_id}/request-production/")
    admin = reviewer()
    response = admin.post(
        f"{QUEUE}{licensing.public_id}/",
        {"action": "approve", "hkid_legal_basis": "Road Traffic Ordinance (Cap. 374) s. 111"},
    )
    assert response.status_code == 302
    admin.post(f"{QUEUE}{parking.public_id}/", {"action": "approve"})
    licensing.refresh_from_db()
    parking.refresh_from_db()
    profile = client_profile(licensing.production_client)
    assert profile["department"] == "td"
    assert profile["hkid_legal_basis"] == "Road Traffic Ordinance (Cap. 374) s. 111"
    assert licensing.hkid_legal_basis == profile["hkid_legal_basis"]
    # Different hosts, one department: one sector, so one `sub` per resident.
    assert (
        client_sector(licensing.production_client)
        == client_sector(parking.production_client)
        == "department:td"
    )
    from allauth.idp.oidc.adapter import get_adapter

    adapter = get_adapter()
    assert adapter.get_user_sub(licensing.production_client, resident) == adapter.get_user_sub(
        parking.production_client, resident
    )


def test_a_partner_cannot_be_given_an_hkid_legal_basis(partner: object) -> None:
    web = signed_in(partner)
    application, _sandbox = register_application(web, register_organisation(web))
    web.post(f"{PARTNERS}applications/{application.public_id}/request-production/")
    response = reviewer().post(
        f"{QUEUE}{application.public_id}/", {"action": "approve", "hkid_legal_basis": "Some ordinance"}
    )
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.PENDING


def test_only_an_officer_may_register_a_departments_organisation(partner: object) -> None:
    department = DepartmentFactory()
    form_page = signed_in(partner).get(f"{PARTNERS}organisations/new/")
    assert "department" not in form_page.context["form"].fields
    with pytest.raises(onboarding.ApplicationError):
        onboarding.organisation_register(
            user=partner,
            name="Fake",
            business_registration_number="",
            contact_email="a@b.example",
            department=department,
        )


def test_a_departments_organisation_takes_only_that_departments_officers(user_factory: type) -> None:
    """The bug: any member could add anyone, who then acted for the department (its subject space,
    its HKID release) without being its officer."""
    department = DepartmentFactory()
    officer = OfficerMembershipFactory(department=department).user
    web = signed_in(officer)
    organisation = register_organisation(
        web, name="Department systems", business_registration_number="", department=str(department.pk)
    )
    page = f"{PARTNERS}organisations/{organisation.public_id}/"
    resident = user_factory(email="contractor@example.org")
    other_departments_officer = OfficerMembershipFactory(user=user_factory(email="other@example.org")).user
    colleague = OfficerMembershipFactory(
        department=department, user=user_factory(email="colleague@example.org")
    ).user

    for outsider in (resident, other_departments_officer):
        refused = web.post(page, {"email": outsider.email})
        assert refused.status_code == 400
        assert "Only officers of the department" in str(refused.context["member_form"].errors["email"])
        assert not organisation.members.filter(user=outsider).exists()
    assert web.post(page, {"email": colleague.email}).status_code == 302
    assert organisation.members.filter(user=colleague).exists()


def test_seed_demo_marks_the_demo_residents_as_sandbox_residents() -> None:
    from portal.demo import seed_demo_data

    seed_demo_data()
    from eid.models import User

    for email in ("low@demo.local", "substantial@demo.local", "high@demo.local"):
        assert onboarding.is_sandbox_resident(User.objects.get(email=email))


def test_the_partner_pages_are_linked_from_the_account_menu(partner: object) -> None:
    page = signed_in(partner).get(PARTNERS)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/en/eid/partners/organisations/new/"' in html
    assert "Login with eID for your organisation" in html


def test_the_consent_screen_names_the_organisation_and_its_purpose(
    partner: object, demo_resident: object
) -> None:
    web = signed_in(partner)
    _application, sandbox = register_application(web, register_organisation(web))
    browser = signed_in(demo_resident)
    page = browser.get(Authorization(sandbox).url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "Harbour Bank" in html and "To open your bank account online." in html
    chinese = browser.get(Authorization(sandbox).url(), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert "在網上開設銀行帳戶。" in chinese.content.decode()


def test_members_add_colleagues_who_then_see_the_applications(partner: object, user_factory: type) -> None:
    web = signed_in(partner)
    organisation = register_organisation(web)
    application, _sandbox = register_application(web, organisation)
    colleague = user_factory(email="ops@bank.example")
    page = f"{PARTNERS}organisations/{organisation.public_id}/"

    unknown = web.post(page, {"email": "nobody@bank.example"})
    assert unknown.status_code == 400 and unknown.context["member_form"].errors["email"]
    assert web.post(page, {"email": "OPS@bank.example"}).status_code == 302
    assert web.post(page, {"email": "ops@bank.example"}).status_code == 400  # already a member
    assert signed_in(colleague).get(f"{PARTNERS}applications/{application.public_id}/").status_code == 200
    assert AuditEvent.objects.filter(event_type="oidc.partner_member_added", subject_id=colleague.pk).exists()

    # A stranger cannot remove anyone; a member can, but never the last one.
    membership = organisation.members.get(user=colleague)
    stranger = signed_in(user_factory())
    assert stranger.post(f"{page}members/{membership.pk}/remove/").status_code == 404
    assert web.post(f"{page}members/{membership.pk}/remove/").status_code == 302
    assert signed_in(colleague).get(f"{PARTNERS}applications/{application.public_id}/").status_code == 404
    last = organisation.members.get(user=partner)
    web.post(f"{page}members/{last.pk}/remove/")
    assert organisation.members.filter(user=partner).exists()
