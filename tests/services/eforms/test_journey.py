"""The resident's journey: consent, prefill re-read, conditional pages, save/resume, submission."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from eid.public import AssuranceLevel
from services.eforms.actions import drafts_delete_expired, submission_from_draft
from services.eforms.models import Draft, Form, FormVersion, Submission, SubmissionEvent
from services.notifications.models import Message
from tests.factories import UserFactory
from tests.services.eforms.conftest import signed_in

pytestmark = pytest.mark.django_db
BASE = "/en/services/eforms"


def start(client: Client, version: FormVersion) -> Draft:
    response = client.post(f"{BASE}/{version.form.slug}/", {"action": "start"})
    assert response.status_code == 302, response.content[:500]
    return Draft.objects.get(form=version.form)


def page_url(draft: Draft, key: str) -> str:
    return f"{BASE}/drafts/{draft.public_id}/page/{key}/"


def fill_to_check(client: Client, draft: Draft, *, owner: str = "me", consent: str = "yes") -> None:
    assert client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": consent}).status_code == 302
    applicant = {"phone": "9123 4567"}
    if consent == "no":
        applicant.update(name="CHAN Tai Man", address__street="1 Main Street", address__district="sha-tin")
    response = client.post(page_url(draft, "applicant"), {**applicant, "action": "continue"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    vehicle = {"owner": owner, "plate": "AB123", "action": "continue"}
    if owner == "company":
        vehicle["company"] = "ACME Ltd"
    assert client.post(page_url(draft, "vehicle"), vehicle).status_code == 302
    if owner == "company":
        return
    response = client.post(page_url(draft, "declaration"), {"declare": "on", "action": "continue"})
    assert response["Location"] == f"{BASE}/drafts/{draft.public_id}/check/"


def test_the_start_page_shows_expiry_fee_and_signature_up_front(make_form: object, applicant: object) -> None:
    version = make_form(fee_cents=45_000, signature_required=True, draft_retention_days=14)
    page = signed_in(applicant).get(f"{BASE}/{version.form.slug}/").content.decode()
    assert "within 14 days" in page and "HK$450.00" in page and "signing certificate" in page


def test_consent_lists_the_claims_then_prefilled_values_are_read_only(
    parking: FormVersion, applicant: object
) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    consent = client.get(f"{BASE}/drafts/{draft.public_id}/consent/").content.decode()
    assert "Your legal name in English and Chinese" in consent and "Your residential address" in consent
    # Before consenting, the question pages send the resident back to the consent step.
    assert client.get(page_url(draft, "applicant"))["Location"].endswith("/consent/")
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    page = client.get(page_url(draft, "applicant")).content.decode()
    assert "CHAN Tai Man" in page and "Sunshine Court" in page and "From your eID" in page
    assert 'name="name"' not in page and 'name="address__street"' not in page
    assert "Report a wrong value" in page


def test_a_tampered_prefilled_value_is_ignored_and_eid_is_read_again_at_submission(
    parking: FormVersion, applicant: object
) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    client.post(
        page_url(draft, "applicant"), {"name": "EVIL NAME", "phone": "91234567", "action": "continue"}
    )
    draft.refresh_from_db()
    assert "name" not in draft.answers  # the posted copy was never read
    client.post(page_url(draft, "vehicle"), {"owner": "me", "plate": "AB123", "action": "continue"})
    client.post(page_url(draft, "declaration"), {"declare": "on", "action": "continue"})
    # Someone edits the stored draft, and eID changes before submission: eID wins.
    draft.refresh_from_db()
    Draft.objects.filter(pk=draft.pk).update(answers={**draft.answers, "name": "EVIL NAME"})
    applicant.legal_name_en = "CHAN Siu Ming"
    applicant.save()
    response = client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    submission = Submission.objects.get()
    assert response["Location"] == f"{BASE}/applications/{submission.public_id}/"
    assert submission.answers["name"] == "CHAN Siu Ming" == submission.prefilled["name"]
    assert submission.answers["address"]["district"] == "sha-tin"
    assert submission.answers["phone"] == "+85291234567"
    assert re.fullmatch(rf"PPM-{timezone.localdate().year}-000001", submission.reference)
    assert submission.status == Submission.Status.SUBMITTED and submission.submitted_at
    assert SubmissionEvent.objects.filter(submission=submission, kind="created").count() == 1
    assert not Draft.objects.exists()


def test_declining_consent_makes_the_fields_editable(parking: FormVersion, applicant: object) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "no"})
    page = client.get(page_url(draft, "applicant")).content.decode()
    assert 'name="name"' in page and "From your eID" not in page
    response = client.post(page_url(draft, "applicant"), {"phone": "91234567", "action": "continue"})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    fill_to_check(client, draft, consent="no")
    client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    assert Submission.objects.get().prefilled == {}


def test_consent_must_be_chosen(parking: FormVersion, applicant: object) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    assert client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {}).status_code == 400


def test_a_form_without_prefill_skips_the_consent_step(make_form: object, applicant: object) -> None:
    from tests.services.eforms.factories import SIMPLE_DEFINITION

    version = make_form(SIMPLE_DEFINITION)
    client = signed_in(applicant)
    response = client.post(f"{BASE}/{version.form.slug}/", {"action": "start"})
    assert response["Location"].endswith("/page/about/")


def test_conditional_page_and_field_and_hidden_answers_are_discarded(
    parking: FormVersion, applicant: object
) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    fill_to_check(client, draft, owner="company")
    draft.refresh_from_db()
    assert draft.current_page == "company_proof" and draft.answers["company"] == "ACME Ltd"
    # The company name is required once the owner is a company (same-page condition, no JavaScript).
    response = client.post(
        page_url(draft, "vehicle"), {"owner": "company", "plate": "AB123", "action": "continue"}
    )
    assert response.status_code == 400
    # Changing the owner hides the company question and page: their answers go, even if posted.
    client.post(
        page_url(draft, "vehicle"),
        {"owner": "me", "company": "Sneaky Ltd", "plate": "AB123", "action": "continue"},
    )
    draft.refresh_from_db()
    assert "company" not in draft.answers and draft.current_page == "declaration"
    assert client.get(page_url(draft, "company_proof"))["Location"].endswith("/page/declaration/")


def test_field_validation_rules(parking: FormVersion, applicant: object) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    response = client.post(page_url(draft, "applicant"), {"phone": "1234", "action": "continue"})
    assert response.status_code == 400 and "Hong Kong phone number" in response.content.decode()
    client.post(page_url(draft, "applicant"), {"phone": "91234567", "action": "continue"})
    response = client.post(
        page_url(draft, "vehicle"), {"owner": "me", "plate": "ab-123", "action": "continue"}
    )
    assert response.status_code == 400 and "Check the format" in response.content.decode()
    response = client.post(
        page_url(draft, "vehicle"), {"owner": "nobody", "plate": "AB1", "action": "continue"}
    )
    assert response.status_code == 400


def test_check_your_answers_has_change_links_and_refuses_missing_answers(
    parking: FormVersion, applicant: object
) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    client.post(page_url(draft, "applicant"), {"phone": "91234567", "action": "continue"})
    check = client.get(f"{BASE}/drafts/{draft.public_id}/check/")
    assert "Some questions still need an answer" in check.content.decode()
    assert client.post(f"{BASE}/drafts/{draft.public_id}/check/").status_code == 400
    assert not Submission.objects.exists()
    client.post(page_url(draft, "vehicle"), {"owner": "me", "plate": "AB123", "action": "continue"})
    client.post(page_url(draft, "declaration"), {"declare": "on", "action": "continue"})
    page = client.get(f"{BASE}/drafts/{draft.public_id}/check/").content.decode()
    assert "/page/vehicle/?return=check" in page and "AB123" in page
    # A change from check-your-answers comes back to it.
    response = client.post(
        page_url(draft, "vehicle") + "?return=check", {"owner": "me", "plate": "CD45", "action": "continue"}
    )
    assert response["Location"].endswith("/check/")


def test_save_and_resume_on_another_device_after_signing_out(parking: FormVersion, applicant: object) -> None:
    first = signed_in(applicant)
    draft = start(first, parking)
    first.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    first.post(page_url(draft, "applicant"), {"phone": "91234567", "action": "continue"})
    response = first.post(page_url(draft, "vehicle"), {"owner": "me", "plate": "AB1", "action": "save"})
    assert response["Location"].endswith("/saved/")
    saved = first.get(response["Location"]).content.decode()
    assert "No link is emailed" in saved
    first.post("/en/accounts/logout/")
    second = signed_in(applicant)  # a new session: another browser, another device
    index = second.get(f"{BASE}/").content.decode()
    assert f"/drafts/{draft.public_id}/" in index and "saved until" in index
    assert second.get(f"{BASE}/drafts/{draft.public_id}/")["Location"] == page_url(draft, "vehicle")
    assert 'value="AB1"' in second.get(page_url(draft, "vehicle")).content.decode()
    # Starting the form again resumes the same draft.
    assert second.post(f"{BASE}/{parking.form.slug}/", {"action": "continue"}).status_code == 302
    assert Draft.objects.count() == 1


def test_expired_drafts_are_unreachable_and_deleted_by_the_task(
    parking: FormVersion, applicant: object
) -> None:
    from services.eforms.tasks import delete_expired_drafts

    client = signed_in(applicant)
    draft = start(client, parking)
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(f"{BASE}/drafts/{draft.public_id}/").status_code == 404
    assert delete_expired_drafts.delay().get() == 1
    assert not Draft.objects.exists()
    assert drafts_delete_expired() == 0


def test_another_residents_draft_is_404(parking: FormVersion, applicant: object) -> None:
    draft = start(signed_in(applicant), parking)
    intruder = signed_in(UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL))
    for url in (
        f"{BASE}/drafts/{draft.public_id}/",
        f"{BASE}/drafts/{draft.public_id}/consent/",
        page_url(draft, "applicant"),
        f"{BASE}/drafts/{draft.public_id}/check/",
        f"{BASE}/drafts/{draft.public_id}/sign/",
    ):
        assert intruder.get(url).status_code == 404, url
        assert intruder.post(url, {"prefill": "yes", "phone": "91234567"}).status_code == 404, url
    assert intruder.post(f"{BASE}/drafts/{draft.public_id}/submit/").status_code == 404
    assert intruder.post(f"{BASE}/drafts/{draft.public_id}/restart/").status_code == 404
    draft.refresh_from_db()
    assert draft.prefill_consent is None and draft.answers == {}


def test_double_submission_makes_one_submission(parking: FormVersion, applicant: object) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    fill_to_check(client, draft)
    first = client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    second = client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    third = client.post(f"{BASE}/drafts/{draft.public_id}/submit/")
    assert first["Location"] == second["Location"] == third["Location"]
    assert Submission.objects.count() == 1
    assert (
        submission_from_draft(draft_id=draft.public_id, citizen=applicant).pk == Submission.objects.get().pk
    )


def test_a_retired_version_refuses_submission_and_offers_the_current_one(
    parking: FormVersion, applicant: object, make_form: object
) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    fill_to_check(client, draft)
    # The department publishes version 2: version 1 retires.
    parking.status = FormVersion.Status.RETIRED
    parking.retired_at = timezone.now()
    parking.save()
    newer = FormVersion.objects.create(
        form=parking.form,
        number=99,
        definition=parking.definition,
        status=FormVersion.Status.PUBLISHED,
        required_assurance=AssuranceLevel.LOW,
    )
    Form.objects.filter(pk=parking.form.pk).update(published_version=newer)
    response = client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    assert response["Location"].endswith("/closed/")
    assert client.get(response["Location"]).status_code == 409
    assert not Submission.objects.exists()
    # Carry the answers over: the resident checks them again, then sends against version 2.
    response = client.post(f"{BASE}/drafts/{draft.public_id}/closed/")
    draft.refresh_from_db()
    assert draft.version == newer and draft.answers["plate"] == "AB123" and draft.checked_at is None
    client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    assert Submission.objects.get().version == newer


def test_a_form_with_a_higher_level_sends_the_resident_to_step_up(make_form: object) -> None:
    version = make_form(required_assurance=AssuranceLevel.HIGH)
    resident = UserFactory(assurance_level=AssuranceLevel.SUBSTANTIAL)
    response = signed_in(resident).get(f"{BASE}/{version.form.slug}/")
    assert response.status_code == 302 and "/eid/step-up/?level=3" in response["Location"]


def test_confirmation_notifies_in_the_residents_language(
    parking: FormVersion, applicant: object, django_capture_on_commit_callbacks: object
) -> None:
    applicant.preferred_language = "zh-hant"
    applicant.save()
    client = signed_in(applicant)
    draft = start(client, parking)
    fill_to_check(client, draft)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    submission = Submission.objects.get()
    page = client.get(f"{BASE}/applications/{submission.public_id}/").content.decode()
    assert submission.reference in page and "Application sent" in page
    message = Message.objects.get(recipient=applicant)
    assert submission.reference in message.subject
    assert "Apply for a parking permit 繁" in message.body  # the form's title in the resident's language


def test_another_residents_confirmation_is_404(parking: FormVersion, applicant: object) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    fill_to_check(client, draft)
    client.post(f"{BASE}/drafts/{draft.public_id}/check/")
    submission = Submission.objects.get()
    other = signed_in(UserFactory())
    assert other.get(f"{BASE}/applications/{submission.public_id}/").status_code == 404
    assert other.get(f"{BASE}/applications/{submission.public_id}/receipt.pdf").status_code == 404
    # The receipt is read, never written: other methods are 405, not the PDF.
    assert client.post(f"{BASE}/applications/{submission.public_id}/receipt.pdf").status_code == 405


def test_a_wrong_prefilled_value_can_be_reported(parking: FormVersion, applicant: object) -> None:
    from eid.audit.models import AuditEvent

    client = signed_in(applicant)
    draft = start(client, parking)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    url = f"{BASE}/drafts/{draft.public_id}/wrong-value/name/"
    assert "comes from your eID record" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert AuditEvent.objects.filter(event_type="eforms.prefill_reported").count() == 1
    assert client.get(f"{BASE}/drafts/{draft.public_id}/wrong-value/phone/").status_code == 404


def test_save_for_later_keeps_the_valid_answers_of_an_unfinished_page(
    parking: FormVersion, applicant: object
) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    client.post(page_url(draft, "applicant"), {"phone": "91234567", "action": "continue"})
    response = client.post(
        page_url(draft, "vehicle"), {"owner": "me", "plate": "bad plate!", "action": "save"}
    )
    assert response["Location"].endswith("/saved/")
    draft.refresh_from_db()
    assert draft.answers["owner"] == "me" and "plate" not in draft.answers and draft.current_page == "vehicle"


def test_questions_keep_their_order_when_one_depends_on_another_on_the_page(
    parking: FormVersion, applicant: object
) -> None:
    client = signed_in(applicant)
    draft = start(client, parking)
    client.post(f"{BASE}/drafts/{draft.public_id}/consent/", {"prefill": "yes"})
    page = client.get(page_url(draft, "vehicle")).content.decode()
    assert page.index('name="owner"') < page.index('name="company"') < page.index('name="plate"')
    assert "Answer only if" in page
