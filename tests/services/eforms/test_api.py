"""The online forms REST API for department systems: API keys or client-credentials tokens, a
department sees only its own forms and cases (404 otherwise), status changes follow the same
transition table as the back office (400 with the reason otherwise)."""

import base64

import pytest
from django.core.cache import cache
from django.test import Client as WebClient
from django.utils import timezone
from rest_framework.test import APIClient

import eid.public
from services.eforms.models import Submission, SubmissionEvent
from services.notifications.actions import api_key_create
from tests.factories import DepartmentFactory
from tests.services.eforms.case_helpers import PDF, make_attachment, make_submission

S = Submission.Status
BASE = "/api/v1/eforms/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def api(token: str | None = None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def key(transport) -> str:
    return api_key_create(department=transport, name="Permit system", key_type="live")[1]


@pytest.fixture
def housing_key(db) -> str:
    housing = DepartmentFactory(code="hd", name_en="Housing Department")
    return api_key_create(department=housing, name="Housing system", key_type="live")[1]


@pytest.fixture
def case(parking, applicant):
    submission = make_submission(
        parking,
        applicant,
        fee_cents=12000,
        payment_reference="pay-123",
        signature=b"\x30\x82cms",
        signed_payload=b'{"answers":{}}',
        signature_code="SIG-ABC",
        signature_serial="0A1B",
        signature_certificate_pem="-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
        signed_at=timezone.now(),
    )
    attachment = make_attachment(submission, resident=applicant)
    submission.answers = {**submission.answers, "letter": str(attachment.public_id)}
    submission.save()
    return submission


def test_missing_or_invalid_credentials_are_401_with_a_challenge(db):
    response = api().get(f"{BASE}forms/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    response = api("live-td-not-a-real-key").get(f"{BASE}forms/")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    response = api("some-opaque-token").get(f"{BASE}submissions/")
    assert response.status_code == 401


def test_a_test_key_cannot_read_applications(transport):
    test_key = api_key_create(department=transport, name="Trying", key_type="test")[1]
    assert api(test_key).get(f"{BASE}forms/").status_code == 403


def test_a_department_lists_only_its_own_forms(key, housing_key, parking, make_form):
    response = api(key).get(f"{BASE}forms/")
    assert response.status_code == 200
    assert [form["slug"] for form in response.json()] == [parking.form.slug]
    assert response.json()[0]["current_version"] == parking.number
    assert api(housing_key).get(f"{BASE}forms/").json() == []
    form_url = f"{BASE}forms/{parking.form.public_id}/"
    assert api(key).get(form_url).status_code == 200
    assert api(housing_key).get(form_url).status_code == 404


def test_fetch_a_submission_with_answers_attachments_signature_and_payment(key, case, applicant):
    listing = api(key).get(f"{BASE}submissions/", {"status": "submitted"})
    assert listing.status_code == 200
    assert [item["reference"] for item in listing.json()["results"]] == [case.reference]

    response = api(key).get(listing.json()["results"][0]["url"])
    assert response.status_code == 200
    data = response.json()
    assert data["answers"]["plate"] == "AB1234"
    assert data["applicant"]["id"] == str(applicant.public_id)
    assert data["payment"] == {"reference": "pay-123", "fee_cents": 12000}
    assert data["signature"]["code"] == "SIG-ABC"
    assert base64.b64decode(data["signature"]["cms_base64"]) == b"\x30\x82cms"
    assert data["events"][0]["kind"] == "created"
    [attachment] = data["attachments"]
    assert attachment["id"] == data["answers"]["letter"]
    download = api(key).get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_another_department_gets_404_for_cases_files_and_status(key, housing_key, case):
    other = api(housing_key)
    detail = f"{BASE}submissions/{case.public_id}/"
    assert other.get(detail).status_code == 404
    assert other.post(f"{detail}status/", {"status": "in_review"}, format="json").status_code == 404
    attachment = case.attachments.get()
    assert other.get(f"{detail}attachments/{attachment.public_id}/").status_code == 404
    assert other.get(f"{BASE}submissions/").json()["results"] == []
    case.refresh_from_db()
    assert case.status == S.SUBMITTED


def test_a_submission_waiting_for_payment_is_not_visible(key, parking, applicant):
    unpaid = make_submission(parking, applicant, status=S.PAYMENT_PENDING)
    assert api(key).get(f"{BASE}submissions/{unpaid.public_id}/").status_code == 404


def test_status_update_follows_the_transition_table(key, case, django_capture_on_commit_callbacks):
    url = f"{BASE}submissions/{case.public_id}/status/"
    refused = api(key).post(url, {"status": "approved"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_transition"
    assert "cannot be moved" in refused.json()["detail"]
    assert refused.json()["allowed"] == ["in_review"]

    with django_capture_on_commit_callbacks(execute=True):
        moved = api(key).post(url, {"status": "in_review"}, format="json")
    assert moved.status_code == 200
    assert moved.json()["status"] == "in_review"
    no_reason = api(key).post(url, {"status": "rejected"}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["error"] == "reason_required"
    unknown = api(key).post(url, {"status": "teleported"}, format="json")
    assert unknown.status_code == 400
    rejected = api(key).post(url, {"status": "rejected", "reason": "Outside the zone."}, format="json")
    assert rejected.status_code == 200
    event = case.events.filter(kind=SubmissionEvent.Kind.STATUS_CHANGED).last()
    assert event.actor is None
    assert event.message == "Outside the zone."
    assert event.data["via"].startswith("api_key:live-td-")


def test_list_filters_are_validated(key, case):
    assert api(key).get(f"{BASE}submissions/", {"status": "nonsense"}).status_code == 400
    assert api(key).get(f"{BASE}submissions/", {"form": "not-a-uuid"}).status_code == 400
    listed = api(key).get(f"{BASE}submissions/", {"form": str(case.form.public_id)}).json()
    assert listed["count"] == 1


needs_clients = pytest.mark.skipif(
    not hasattr(eid.public, "ClientCredentialsAuthentication"), reason="department OIDC clients not present"
)


@needs_clients
@pytest.mark.parametrize(("scopes", "expected"), [(["eforms.cases"], 200), (["notifications.send"], 403)])
def test_a_department_oidc_client_reads_with_the_eforms_scope(case, scopes, expected):
    from eid.oidc.clients import client_create

    new = client_create(
        name="Permit system", redirect_uris=[], grant="client-credentials", department="td", scopes=scopes
    )
    basic = base64.b64encode(f"{new.client.id}:{new.secret}".encode()).decode()
    token = WebClient().post(
        "/identity/o/api/token",
        {"grant_type": "client_credentials", "scope": " ".join(scopes)},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert token.status_code == 200, token.content
    response = api(token.json()["access_token"]).get(f"{BASE}submissions/{case.public_id}/")
    assert response.status_code == expected


def test_an_api_key_is_rate_limited(key, settings):
    settings.NOTIFICATIONS_API_RATE_LIMIT = 3
    client = api(key)
    statuses = [client.get(f"{BASE}forms/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
