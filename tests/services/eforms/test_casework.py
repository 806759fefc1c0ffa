"""Department case handling: transitions, isolation, audit, messages, replies, CSV export, inbox."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from eid.audit.models import AuditEvent
from eid.public import ApplicationError, OfficerRole
from services.eforms import casework
from services.eforms.case_selectors import csv_safe
from services.eforms.models import Submission, SubmissionEvent
from services.notifications.models import Message
from tests.factories import DepartmentFactory, UserFactory
from tests.services.eforms.case_helpers import PDF, make_attachment, make_officer, make_submission
from tests.services.eforms.conftest import signed_in

S = Submission.Status


@pytest.fixture
def officer(transport):
    return make_officer(transport, legal_name_en="LEE Officer")


@pytest.fixture
def outsider(db):
    """An officer of another department."""
    return make_officer(DepartmentFactory(code="hd", name_en="Housing Department"))


@pytest.fixture
def case(parking, applicant):
    return make_submission(parking, applicant)


def test_allowed_transitions_walk_the_case_to_approval_with_history_and_notifications(
    case, officer, applicant, django_capture_on_commit_callbacks
):
    """submitted → in review → more information requested → in review → approved, each recorded and told."""
    with django_capture_on_commit_callbacks(execute=True):
        casework.case_transition(submission=case, to_status=S.IN_REVIEW, by=officer)
        casework.case_transition(
            submission=case, to_status=S.MORE_INFO_REQUESTED, by=officer, reason="Send a bill."
        )
        casework.case_transition(submission=case, to_status=S.IN_REVIEW, by=officer)
        casework.case_transition(submission=case, to_status=S.APPROVED, by=officer)

    case.refresh_from_db()
    assert case.status == S.APPROVED
    changes = list(
        case.events.filter(kind=SubmissionEvent.Kind.STATUS_CHANGED).values_list("from_status", "to_status")
    )
    assert changes == [
        (S.SUBMITTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.MORE_INFO_REQUESTED),
        (S.MORE_INFO_REQUESTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.APPROVED),
    ]
    assert AuditEvent.objects.filter(event_type="eforms.case_status", subject=applicant).count() == 4
    notices = Message.objects.filter(recipient=applicant, notification_type="form_status")
    assert notices.count() == 4
    assert any("Send a bill." in notice.body for notice in notices)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.SUBMITTED, S.APPROVED),
        (S.SUBMITTED, S.MORE_INFO_REQUESTED),
        (S.APPROVED, S.IN_REVIEW),
        (S.REJECTED, S.APPROVED),
        (S.WITHDRAWN, S.IN_REVIEW),
        (S.IN_REVIEW, S.WITHDRAWN),  # only the resident withdraws
        (S.IN_REVIEW, S.SUBMITTED),
    ],
)
def test_transitions_outside_the_table_are_refused(parking, applicant, officer, start, target):
    case = make_submission(parking, applicant, status=start)
    with pytest.raises(ApplicationError) as caught:
        casework.case_transition(submission=case, to_status=target, by=officer, reason="x")
    assert caught.value.code == "invalid_transition"
    case.refresh_from_db()
    assert case.status == start
    assert not case.events.filter(kind=SubmissionEvent.Kind.STATUS_CHANGED).exists()


def test_rejection_needs_a_reason(parking, applicant, officer):
    case = make_submission(parking, applicant, status=S.IN_REVIEW)
    with pytest.raises(ApplicationError) as caught:
        casework.case_transition(submission=case, to_status=S.REJECTED, by=officer, reason="  ")
    assert caught.value.code == "reason_required"
    casework.case_transition(
        submission=case, to_status=S.REJECTED, by=officer, reason="Not a resident of the zone."
    )
    case.refresh_from_db()
    assert case.status == S.REJECTED
    assert case.events.last().message == "Not a resident of the zone."


def test_refused_transition_through_the_back_office_is_a_400_with_the_reason(case, officer):
    client = signed_in(officer)
    response = client.post(
        reverse("eforms_cases:status", kwargs={"submission_id": case.public_id}), {"to_status": S.APPROVED}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    response = client.post(
        reverse("eforms_cases:status", kwargs={"submission_id": case.public_id}), {"to_status": S.IN_REVIEW}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.IN_REVIEW
    response = client.post(
        reverse("eforms_cases:status", kwargs={"submission_id": case.public_id}), {"to_status": S.REJECTED}
    )
    assert response.status_code == 400
    assert "Say why the application is rejected." in response.content.decode()


def test_an_officer_cannot_decide_their_own_application(parking, officer, transport):
    """Separation of duties: the officer applied as a resident; a colleague decides, not they."""
    own = make_submission(parking, officer, status=S.IN_REVIEW)
    url = reverse("eforms_cases:status", kwargs={"submission_id": own.public_id})
    response = signed_in(officer).post(url, {"to_status": S.APPROVED})
    assert response.status_code == 400
    assert "You cannot decide your own application." in response.content.decode()
    with pytest.raises(ApplicationError) as caught:
        casework.case_transition(submission=own, to_status=S.APPROVED, by=officer)
    assert caught.value.code == "own_application"
    own.refresh_from_db()
    assert own.status == S.IN_REVIEW
    assert not own.events.filter(kind=SubmissionEvent.Kind.STATUS_CHANGED).exists()
    colleague = make_officer(transport)
    assert signed_in(colleague).post(url, {"to_status": S.APPROVED}).status_code == 302
    own.refresh_from_db()
    assert own.status == S.APPROVED


def test_resident_withdraws_an_undecided_application_but_not_a_decided_one(parking, applicant, officer):
    case = make_submission(parking, applicant, status=S.IN_REVIEW)
    client = signed_in(applicant)
    url = reverse("eforms:withdraw", kwargs={"submission_id": case.public_id})
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    case.refresh_from_db()
    assert case.status == S.WITHDRAWN
    # Withdrawn is final: neither the resident nor an officer moves it again.
    assert client.post(url).status_code == 400
    with pytest.raises(ApplicationError):
        casework.case_transition(submission=case, to_status=S.IN_REVIEW, by=officer)
    decided = make_submission(parking, applicant, status=S.APPROVED)
    response = client.post(reverse("eforms:withdraw", kwargs={"submission_id": decided.public_id}))
    assert response.status_code == 400
    decided.refresh_from_db()
    assert decided.status == S.APPROVED


def test_another_residents_application_cannot_be_withdrawn(case):
    other = UserFactory()
    response = signed_in(other).post(reverse("eforms:withdraw", kwargs={"submission_id": case.public_id}))
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == S.SUBMITTED


def test_officer_of_another_department_gets_404_everywhere(case, outsider, officer):
    attachment = make_attachment(case)
    client = signed_in(outsider)
    kwargs = {"submission_id": case.public_id}
    assert client.get(reverse("eforms_cases:detail", kwargs=kwargs)).status_code == 404
    assert (
        client.post(reverse("eforms_cases:status", kwargs=kwargs), {"to_status": "in_review"}).status_code
        == 404
    )
    assert client.post(reverse("eforms_cases:assign", kwargs=kwargs), {"officer": ""}).status_code == 404
    assert client.post(reverse("eforms_cases:message", kwargs=kwargs), {"message": "hi"}).status_code == 404
    attachment_url = reverse(
        "eforms_cases:attachment", kwargs={**kwargs, "attachment_id": attachment.public_id}
    )
    assert client.get(attachment_url).status_code == 404
    # E's resident-side download also refuses them.
    assert (
        client.get(reverse("eforms:attachment", kwargs={"attachment_id": attachment.public_id})).status_code
        == 404
    )
    inbox = client.get(reverse("eforms_cases:inbox"))
    assert inbox.status_code == 200
    assert case.reference not in inbox.content.decode()
    # The own department's officer gets the file.
    response = signed_in(officer).get(attachment_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert not AuditEvent.objects.filter(event_type="officer.record_opened", actor=outsider).exists()


def test_a_resident_is_not_an_officer(case, applicant):
    client = signed_in(applicant)
    assert client.get(reverse("eforms_cases:inbox")).status_code == 404
    assert (
        client.get(reverse("eforms_cases:detail", kwargs={"submission_id": case.public_id})).status_code
        == 404
    )


def test_a_submission_waiting_for_payment_is_not_yet_a_case(parking, applicant, officer):
    unpaid = make_submission(parking, applicant, status=S.PAYMENT_PENDING)
    client = signed_in(officer)
    assert (
        client.get(reverse("eforms_cases:detail", kwargs={"submission_id": unpaid.public_id})).status_code
        == 404
    )
    assert unpaid.reference not in client.get(reverse("eforms_cases:inbox")).content.decode()


def test_opening_a_case_is_audited_with_the_resident_as_subject(case, officer, applicant):
    response = signed_in(officer).get(
        reverse("eforms_cases:detail", kwargs={"submission_id": case.public_id})
    )
    assert response.status_code == 200
    assert "AB1234" in response.content.decode()
    event = AuditEvent.objects.get(event_type="officer.record_opened", actor=officer)
    assert event.subject == applicant
    assert event.data["reference"] == case.reference


def test_assignment_only_to_an_officer_of_the_department(case, officer, outsider, transport):
    colleague = make_officer(transport, legal_name_en="WONG Colleague")
    client = signed_in(officer)
    url = reverse("eforms_cases:assign", kwargs={"submission_id": case.public_id})
    assert client.post(url, {"officer": str(colleague.public_id)}).status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == colleague
    # An officer of another department is not among the choices: a 400, nothing changes.
    assert client.post(url, {"officer": str(outsider.public_id)}).status_code == 400
    case.refresh_from_db()
    assert case.assigned_to == colleague
    with pytest.raises(ApplicationError):
        casework.case_assign(submission=case, officer=outsider, by=officer)
    event = case.events.get(kind=SubmissionEvent.Kind.ASSIGNED)
    assert not event.visible_to_resident
    assigned_to_me = signed_in(colleague).get(reverse("eforms_cases:inbox"), {"assigned": "me"})
    assert case.reference in assigned_to_me.content.decode()


def test_message_reaches_the_residents_page_and_inbox_in_their_language_but_a_note_does_not(
    case, officer, applicant, django_capture_on_commit_callbacks
):
    applicant.preferred_language = "zh-hant"
    applicant.save()
    client = signed_in(officer)
    url = reverse("eforms_cases:message", kwargs={"submission_id": case.public_id})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"message": "Please bring the original."}).status_code == 302
        assert client.post(url, {"message": "Looks fine to me.", "internal": "on"}).status_code == 302

    page = signed_in(applicant).get(reverse("eforms:confirmation", kwargs={"submission_id": case.public_id}))
    text = page.content.decode()
    assert "Please bring the original." in text
    assert "Looks fine to me." not in text
    notice = Message.objects.get(recipient=applicant, notification_type="form_status")
    assert "Please bring the original." in notice.body
    assert case.reference in notice.subject
    # In the resident's language: the department's name as they read it.
    assert case.department.name_zh_hant in notice.body


def test_resident_replies_with_a_file_when_more_information_is_requested(case, officer, applicant, outsider):
    casework.case_transition(submission=case, to_status=S.IN_REVIEW, by=officer)
    casework.case_transition(
        submission=case, to_status=S.MORE_INFO_REQUESTED, by=officer, reason="Send your vehicle licence."
    )
    client = signed_in(applicant)
    my_list = client.get(reverse("eforms:my_applications")).content.decode()
    assert reverse("eforms:reply", kwargs={"submission_id": case.public_id}) in my_list
    url = reverse("eforms:reply", kwargs={"submission_id": case.public_id})
    page = client.get(url)
    assert "Send your vehicle licence." in page.content.decode()

    # A file whose name lies about its content is refused; nothing is saved.
    fake = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {"message": "Here it is", "files": [fake]})
    assert response.status_code == 400
    assert not case.attachments.exists()
    case.refresh_from_db()
    assert case.status == S.MORE_INFO_REQUESTED

    upload = SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"message": "Here it is", "files": [upload]})
    assert response.status_code == 302, response.content.decode()[-3000:]
    case.refresh_from_db()
    assert case.status == S.IN_REVIEW
    attachment = case.attachments.get()
    assert attachment.field == casework.REPLY_FIELD
    assert attachment.content_type == "application/pdf"
    reply = case.events.get(kind=SubmissionEvent.Kind.MESSAGE, actor=applicant)
    assert reply.message == "Here it is"
    assert reply.data["attachments"][0]["id"] == str(attachment.public_id)

    # The department's officer sees the reply and downloads the file; another department cannot.
    detail = signed_in(officer).get(reverse("eforms_cases:detail", kwargs={"submission_id": case.public_id}))
    assert "Here it is" in detail.content.decode()
    file_url = reverse(
        "eforms_cases:attachment",
        kwargs={"submission_id": case.public_id, "attachment_id": attachment.public_id},
    )
    assert signed_in(officer).get(file_url).status_code == 200
    assert signed_in(outsider).get(file_url).status_code == 404
    # No second reply without a new request.
    assert client.post(url, {"message": "again"}).status_code == 302
    assert case.events.filter(kind=SubmissionEvent.Kind.MESSAGE, actor=applicant).count() == 1


def test_inbox_filters_and_search(parking, applicant, officer):
    other_applicant = UserFactory(legal_name_en="WONG Siu Ming", legal_name_zh="王小明")
    first = make_submission(parking, applicant)
    second = make_submission(parking, other_applicant, status=S.IN_REVIEW)
    old = make_submission(parking, applicant, submitted_at=timezone.now() - timedelta(days=40))
    client = signed_in(officer)
    url = reverse("eforms_cases:inbox")

    def listed(params: dict) -> set[str]:
        text = client.get(url, params).content.decode()
        return {case.reference for case in (first, second, old) if case.reference in text}

    assert listed({}) == {first.reference, second.reference, old.reference}
    assert listed({"q": second.reference}) == {second.reference}
    assert listed({"q": "wong siu"}) == {second.reference}
    assert listed({"q": "王小明"}) == {second.reference}
    assert listed({"status": S.IN_REVIEW}) == {second.reference}
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert listed({"date_from": since}) == {first.reference, second.reference}
    assert listed({"form": str(parking.form.public_id), "date_to": since}) == {old.reference}
    bad = client.get(url, {"date_from": "2026-02-30"})
    assert bad.status_code == 400


def test_inbox_query_count_does_not_grow_with_the_cases(parking, officer):
    client = signed_in(officer)
    url = reverse("eforms_cases:inbox")
    make_submission(parking, UserFactory())
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, {"status": S.SUBMITTED}).status_code == 200
    for _ in range(29):
        make_submission(parking, UserFactory(), assigned_to=officer)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url, {"status": S.SUBMITTED})
    assert response.content.decode().count("/back-office/applications/") >= 25
    assert len(thirty) == len(one), [query["sql"] for query in thirty.captured_queries]


def test_csv_export_of_a_date_range_is_streamed_and_safe_from_formulas(parking, officer, outsider):
    mischief = UserFactory(legal_name_en='=HYPERLINK("http://evil.example")', legal_name_zh="+SUM(1)")
    inside = make_submission(parking, mischief, answers={"plate": "@cmd", "note": "-2+3", "name": "陳大文"})
    outside = make_submission(parking, mischief, submitted_at=timezone.now() - timedelta(days=100))
    today = timezone.localdate()
    params = {"date_from": (today - timedelta(days=30)).isoformat(), "date_to": today.isoformat()}
    response = signed_in(officer).get(reverse("eforms_cases:export"), params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "reference"
    assert [row[0] for row in rows[1:]] == [inside.reference]
    assert outside.reference not in body
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["applicant"] == '\'=HYPERLINK("http://evil.example")'
    assert row["applicant_zh"] == "'+SUM(1)"
    assert "陳大文" in row["answers"]
    # No cell starts with a character a spreadsheet would evaluate.
    for cells in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert AuditEvent.objects.filter(event_type="eforms.cases_exported", actor=officer).exists()
    # Another department's officer exports nothing of this department.
    other = signed_in(outsider).get(reverse("eforms_cases:export"), params)
    assert inside.reference not in b"".join(other.streaming_content).decode("utf-8-sig")


def test_csv_export_refuses_a_reversed_or_missing_range(officer):
    client = signed_in(officer)
    today = timezone.localdate()
    response = client.get(
        reverse("eforms_cases:export"),
        {"date_from": today.isoformat(), "date_to": (today - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400
    assert client.get(reverse("eforms_cases:export"), {"date_from": today.isoformat()}).status_code == 400
    assert client.get(reverse("eforms_cases:export")).status_code == 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM", "'@SUM"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_webhook_settings_for_department_managers_only(transport, officer):
    manager = make_officer(transport, role=OfficerRole.MANAGER)
    assert signed_in(officer).get(reverse("eforms_cases:webhooks")).status_code == 404
    edit = reverse("eforms_cases:webhook_edit", kwargs={"department_code": transport.code})
    assert signed_in(officer).get(edit).status_code == 404
    client = signed_in(manager)
    assert client.get(reverse("eforms_cases:webhooks")).status_code == 200
    response = client.post(edit, {"url": "https://10.0.0.5/hook", "secret": "s" * 20})
    assert response.status_code == 400
    assert "public https address" in response.content.decode()


def test_a_big_inbox_counts_up_to_the_cap_and_says_so(parking, officer, monkeypatch):
    from services.eforms import case_selectors

    monkeypatch.setattr(case_selectors, "INBOX_COUNT_CAP", 3)
    for _ in range(5):
        make_submission(parking, UserFactory())
    text = signed_in(officer).get(reverse("eforms_cases:inbox")).content.decode()
    assert "More than 3 applications" in text


def test_search_by_reference_is_case_insensitive(case, officer):
    text = (
        signed_in(officer).get(reverse("eforms_cases:inbox"), {"q": case.reference.lower()}).content.decode()
    )
    assert case.reference in text


@pytest.mark.parametrize("language", ["zh-hant", "zh-hans"])
def test_pages_render_in_chinese(case, officer, applicant, language):
    from django.utils import translation

    with translation.override(language):
        officer_pages = [
            reverse("eforms_cases:inbox"),
            reverse("eforms_cases:detail", kwargs={"submission_id": case.public_id}),
            reverse("eforms_cases:export"),
        ]
        resident_pages = [
            reverse("eforms:my_applications"),
            reverse("eforms:withdraw", kwargs={"submission_id": case.public_id}),
        ]
    assert all(url.startswith(f"/{language}/") for url in officer_pages + resident_pages)
    for url in officer_pages:
        assert signed_in(officer).get(url).status_code == 200, url
    for url in resident_pages:
        assert signed_in(applicant).get(url).status_code == 200, url
