"""My applications: the resident's submissions with status and history, linked from My portal,
with withdrawal where the department has not decided yet."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from services.eforms import casework
from services.eforms.models import Submission
from tests.factories import UserFactory
from tests.services.eforms.case_helpers import make_officer, make_submission
from tests.services.eforms.conftest import signed_in

S = Submission.Status


def test_lists_own_applications_with_status_and_history(parking, applicant, transport):
    officer = make_officer(transport)
    mine = make_submission(parking, applicant)
    casework.case_transition(submission=mine, to_status=S.IN_REVIEW, by=officer)
    casework.case_message(submission=mine, by=officer, message="We are checking your address.")
    casework.case_message(submission=mine, by=officer, message="Internal only", internal=True)
    decided = make_submission(parking, applicant, status=S.APPROVED)
    someone_elses = make_submission(parking, UserFactory())

    response = signed_in(applicant).get(reverse("eforms:my_applications"))
    assert response.status_code == 200
    text = response.content.decode()
    assert mine.reference in text and decided.reference in text
    assert someone_elses.reference not in text
    assert "In review" in text and "Approved" in text
    assert "Message from the department" in text
    assert "Internal only" not in text
    # Withdraw offered for the undecided application only.
    assert reverse("eforms:withdraw", kwargs={"submission_id": mine.public_id}) in text
    assert reverse("eforms:withdraw", kwargs={"submission_id": decided.public_id}) not in text

    detail = signed_in(applicant).get(
        reverse("eforms:confirmation", kwargs={"submission_id": mine.public_id})
    )
    assert "We are checking your address." in detail.content.decode()
    assert "Internal only" not in detail.content.decode()


def test_linked_from_my_portal(parking, applicant):
    client = signed_in(applicant)
    assert reverse("eforms:my_applications") not in client.get(reverse("my_portal")).content.decode()
    make_submission(parking, applicant)
    page = client.get(reverse("my_portal")).content.decode()
    assert reverse("eforms:my_applications") in page
    assert "My applications" in page


def test_withdraw_from_my_applications(parking, applicant):
    submission = make_submission(parking, applicant, status=S.MORE_INFO_REQUESTED)
    client = signed_in(applicant)
    response = client.post(reverse("eforms:withdraw", kwargs={"submission_id": submission.public_id}))
    assert response.status_code == 302
    assert response["Location"] == reverse("eforms:my_applications")
    submission.refresh_from_db()
    assert submission.status == S.WITHDRAWN
    history = client.get(reverse("eforms:my_applications")).content.decode()
    assert "Withdrawn" in history


def test_query_count_does_not_grow_with_applications(parking, applicant):
    client = signed_in(applicant)
    make_submission(parking, applicant)
    client.get(reverse("eforms:my_applications"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("eforms:my_applications"))
    for _ in range(10):
        make_submission(parking, applicant)
    with CaptureQueriesContext(connection) as eleven:
        client.get(reverse("eforms:my_applications"))
    assert len(eleven) == len(one)


def test_anonymous_visitor_is_sent_to_sign_in(db):
    from django.test import Client

    response = Client().get(reverse("eforms:my_applications"))
    assert response.status_code == 302
