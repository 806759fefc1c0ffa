"""The notifications inbox: the first service on the platform."""

import pytest
from django.urls import reverse
from django.utils import translation

from eid.audit.models import AuditEvent
from tests.factories import DepartmentFactory, MessageFactory, OfficerMembershipFactory, UserFactory


@pytest.fixture
def signed_in(client: object, resident: object) -> object:
    client.force_login(resident)
    return client


def test_the_inbox_lists_only_the_residents_own_messages(signed_in: object, resident: object) -> None:
    MessageFactory(recipient=resident, subject="Your permit is ready")
    MessageFactory(subject="Someone else's letter")
    response = signed_in.get("/en/services/inbox/")
    assert response.status_code == 200
    assert b"Your permit is ready" in response.content
    assert b"Someone else" not in response.content
    assert b"1 unread message" in response.content


def test_opening_a_message_marks_it_read(signed_in: object, resident: object) -> None:
    message = MessageFactory(recipient=resident)
    response = signed_in.get(f"/en/services/inbox/{message.pk}/")
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.read_at is not None


def test_a_message_can_be_marked_unread_again(signed_in: object, resident: object) -> None:
    message = MessageFactory(recipient=resident)
    signed_in.get(f"/en/services/inbox/{message.pk}/")
    response = signed_in.post(f"/en/services/inbox/{message.pk}/mark/", {"state": "unread"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_all_read(signed_in: object, resident: object) -> None:
    MessageFactory.create_batch(3, recipient=resident)
    other = MessageFactory()
    signed_in.post("/en/services/inbox/read-all/")
    assert not resident.inbox_messages.filter(read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_another_residents_message_is_the_same_404_as_a_missing_one(signed_in: object) -> None:
    other = MessageFactory()
    assert signed_in.get(f"/en/services/inbox/{other.pk}/").status_code == 404
    assert signed_in.get("/en/services/inbox/999999/").status_code == 404
    assert signed_in.post(f"/en/services/inbox/{other.pk}/mark/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_marking_needs_post(signed_in: object, resident: object) -> None:
    message = MessageFactory(recipient=resident)
    assert signed_in.get(f"/en/services/inbox/{message.pk}/mark/").status_code == 405


def test_the_inbox_page_costs_a_constant_number_of_queries(
    signed_in: object, resident: object, django_assert_max_num_queries: object
) -> None:
    MessageFactory.create_batch(25, recipient=resident)
    with django_assert_max_num_queries(10):
        assert signed_in.get("/en/services/inbox/").status_code == 200


def test_the_dashboard_item_counts_unread_messages(resident: object) -> None:
    from services.registry import register

    MessageFactory.create_batch(2, recipient=resident)
    with translation.override("en"):
        (item,) = register.get("inbox").dashboard_items(citizen=resident)
    assert item.badge == 2
    assert item.url == reverse("inbox:index")


def test_an_officer_sees_only_their_departments_messages(client: object, db: None) -> None:
    """Department isolation: another department's record is a 404, and opening one's own is audited."""
    imm, td = DepartmentFactory(code="imm"), DepartmentFactory(code="td")
    officer = OfficerMembershipFactory(department=imm).user
    own = MessageFactory(department=imm, subject="Visa approved")
    foreign = MessageFactory(department=td, subject="Licence renewal")
    client.force_login(officer)
    listing = client.get("/en/back-office/messages/")
    assert b"Visa approved" in listing.content and b"Licence renewal" not in listing.content
    assert client.get(f"/en/back-office/messages/{foreign.pk}/").status_code == 404
    assert client.get(f"/en/back-office/messages/{own.pk}/").status_code == 200
    event = AuditEvent.objects.get(event_type="officer.record_opened")
    assert event.actor_id == officer.pk and event.subject_id == own.recipient_id


def test_a_resident_without_a_department_has_no_back_office(client: object, db: None) -> None:
    client.force_login(UserFactory())
    assert client.get("/en/back-office/").status_code == 404
    assert client.get("/en/back-office/messages/").status_code == 404


def test_the_export_lists_the_residents_messages(resident: object) -> None:
    from services.registry import register

    MessageFactory(recipient=resident, subject="Kept")
    exported = register.get("inbox").export_resident_data(citizen=resident)
    assert [m["subject"] for m in exported["messages"]] == ["Kept"]
