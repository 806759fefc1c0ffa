"""An HKID question keeps eid's keyed hash and the mask, never the number: not in the draft or submission
rows, the CSV export, the API output or the webhook body. Rows written before are rewritten by 0005."""

import copy
import importlib
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from eid.public import hkid_hash
from services.eforms import webhooks
from services.eforms.definition import validate_definition
from services.eforms.fields import display_value
from services.eforms.models import DepartmentWebhook, Draft, Submission
from services.notifications.actions import api_key_create
from services.notifications.public import secret_encrypt
from tests.services.eforms.case_helpers import make_officer, make_submission
from tests.services.eforms.conftest import PARKING, signed_in
from tests.services.eforms.factories import text
from tests.services.eforms.test_journey import BASE, page_url, start

pytestmark = pytest.mark.django_db
SECRET = "a-long-department-secret-123"

TYPED = "a 123456 (3)"
PLAIN = ("A123456(3)", "A1234563", "A123456")  # any form of the number itself
MASKED = "A123***(3)"


def _with_hkid() -> dict:
    definition = copy.deepcopy(PARKING)
    definition["pages"][0]["fields"].append(
        {"key": "id_number", "type": "hkid", "label": text("HKID number"), "required": True}
    )
    return definition


def _fill(client, draft) -> None:
    """fill_to_check with the HKID typed on the first page."""
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    response = client.post(
        page_url(draft, "applicant"), {"phone": "9123 4567", "id_number": TYPED, "action": "continue"}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert client.post(page_url(draft, "vehicle"), {"owner": "me", "plate": "AB123", "action": "continue"})
    assert client.post(page_url(draft, "declaration"), {"declare": "on", "action": "continue"})


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
        return repr(cursor.fetchall())


def _assert_no_plain(text: str) -> None:
    for plain in PLAIN:
        assert plain not in text and plain.lower() not in text


def test_the_number_is_stored_as_hash_and_mask_only(make_form, applicant) -> None:
    version = make_form(definition=_with_hkid())
    client = signed_in(applicant)
    draft = start(client, version)
    _fill(client, draft)
    draft = Draft.objects.get()
    expected = {"hmac": hkid_hash("A1234563"), "masked": MASKED}
    assert draft.answers["id_number"] == expected
    _assert_no_plain(_raw_rows("eforms_draft"))
    # Back on the page: the mask is shown, the number is not; leaving the box empty keeps the answer.
    page = client.get(page_url(draft, "applicant")).content.decode()
    assert MASKED in page
    _assert_no_plain(page)
    assert (
        client.post(page_url(draft, "applicant"), {"phone": "9123 4567", "action": "continue"}).status_code
        == 302
    )
    assert Draft.objects.get().answers["id_number"] == expected
    check = client.get(f"{BASE}/drafts/{draft.public_id}/check/").content.decode()
    assert MASKED in check
    _assert_no_plain(check)
    assert client.post(f"{BASE}/drafts/{draft.public_id}/check/").status_code == 302
    submission = Submission.objects.get()
    assert submission.answers["id_number"] == expected
    _assert_no_plain(_raw_rows("eforms_submission"))
    _assert_no_plain(_raw_rows("eforms_draft"))
    receipt_rows = display_value({"type": "hkid"}, submission.answers["id_number"])
    assert receipt_rows == MASKED


def test_a_wrong_check_digit_is_refused_and_nothing_stored(make_form, applicant) -> None:
    version = make_form(definition=_with_hkid())
    client = signed_in(applicant)
    draft = start(client, version)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    response = client.post(
        page_url(draft, "applicant"), {"phone": "9123 4567", "id_number": "A123456(4)", "action": "continue"}
    )
    assert response.status_code == 400 and "check the digit" in response.content.decode()
    assert "id_number" not in Draft.objects.get().answers


def _case(version, applicant) -> Submission:
    answer = {"hmac": hkid_hash("A1234563"), "masked": MASKED}
    return make_submission(version, applicant, answers={"name": "CHAN Tai Man", "id_number": answer})


def test_csv_export_has_hash_and_mask_only(make_form, applicant, transport) -> None:
    case = _case(make_form(definition=_with_hkid()), applicant)
    officer = make_officer(transport)
    today = timezone.localdate()
    params = {"date_from": (today - timedelta(days=1)).isoformat(), "date_to": today.isoformat()}
    response = signed_in(officer).get(reverse("eforms_cases:export"), params)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert case.reference in body and MASKED in body and hkid_hash("A1234563") in body
    _assert_no_plain(body)
    page = signed_in(officer).get(reverse("eforms_cases:detail", kwargs={"submission_id": case.public_id}))
    assert MASKED in page.content.decode()


def test_api_output_has_hash_and_mask_only(make_form, applicant, transport) -> None:
    cache.clear()
    case = _case(make_form(definition=_with_hkid()), applicant)
    key = api_key_create(department=transport, name="Permit system", key_type="live")[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = client.get(f"/api/v1/eforms/submissions/{case.public_id}/").json()
    assert body["answers"]["id_number"] == {"hmac": hkid_hash("A1234563"), "masked": MASKED}
    _assert_no_plain(json.dumps(body))
    cache.clear()


def test_webhook_body_has_no_number(make_form, applicant, transport, monkeypatch) -> None:
    case = _case(make_form(definition=_with_hkid()), applicant)
    DepartmentWebhook.objects.create(
        department=transport, url="https://hooks.example/eforms", secret=secret_encrypt(SECRET)
    )
    sent: list[bytes] = []
    # The body exactly as webhook_deliver hands it to the SSRF-safe poster (captured, not sent).
    monkeypatch.setattr(webhooks, "signed_post", lambda *, url, body, headers: sent.append(body) or "sent")
    assert webhooks.webhook_deliver(submission_id=case.pk) == "sent"
    assert len(sent) == 1 and case.reference in sent[0].decode()
    _assert_no_plain(sent[0].decode())


def test_the_migration_rewrites_plain_numbers(make_form, applicant) -> None:
    version = make_form(definition=_with_hkid())
    old = make_submission(version, applicant, answers={"name": "CHAN Tai Man", "id_number": "A123456(3)"})
    draft = Draft.objects.create(
        resident=applicant,
        form=version.form,
        version=version,
        answers={"id_number": "a1234563"},
        expires_at=timezone.now() + timedelta(days=1),
    )
    migration = importlib.import_module("services.eforms.migrations.0005_hkid_answers_minimised")
    migration.minimise(apps, None)
    expected = {"hmac": hkid_hash("A1234563"), "masked": MASKED}
    old.refresh_from_db()
    draft.refresh_from_db()
    assert old.answers["id_number"] == expected and old.answers["name"] == "CHAN Tai Man"
    assert draft.answers["id_number"] == expected
    _assert_no_plain(_raw_rows("eforms_submission") + _raw_rows("eforms_draft"))


def test_show_if_on_an_hkid_answer_is_refused() -> None:
    definition = _with_hkid()
    definition["pages"][1]["fields"][0]["show_if"] = {"field": "id_number", "equals": "A123456(3)"}
    with pytest.raises(ValidationError) as error:
        validate_definition(definition)
    assert "cannot depend on an HKID answer" in str(error.value)
