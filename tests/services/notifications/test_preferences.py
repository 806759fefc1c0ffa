"""Opt-outs per channel and topic, the legal override, and the signed one-click unsubscribe link."""

import re

import pytest
from django.core import mail

from services.notifications import actions
from services.notifications.models import DistrictSubscription, Message, OptOut, Status
from tests.services.notifications.conftest import PERSONALISATION


def send(template: object, recipient: object, capture: object, **kwargs: object) -> list:
    with capture(execute=True):
        notifications = actions.notification_send(
            template=template, recipient=recipient, personalisation=PERSONALISATION, **kwargs
        )
    for notification in notifications:
        notification.refresh_from_db()
    return notifications


@pytest.fixture
def signed_in(client: object, resident: object) -> object:
    client.force_login(resident)
    return client


def test_an_opt_out_skips_that_channel_and_topic_only(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    OptOut.objects.create(user=resident, channel="email", topic="applications")
    statuses = {
        n.channel: n.status for n in send(permit_template, resident, django_capture_on_commit_callbacks)
    }
    assert statuses == {"inbox": Status.DELIVERED, "email": Status.OPTED_OUT}
    assert mail.outbox == []
    assert Message.objects.filter(recipient=resident).count() == 1


def test_legally_required_notices_ignore_opt_outs_and_say_so(
    make_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    template = make_template(notification_type="tax_demand", legally_required=True)
    OptOut.objects.create(user=resident, channel="email", topic="applications")
    OptOut.objects.create(user=resident, channel="inbox", topic="applications")
    statuses = {n.channel: n.status for n in send(template, resident, django_capture_on_commit_callbacks)}
    assert statuses == {"inbox": Status.DELIVERED, "email": Status.DELIVERED}
    assert "legally required notice" in mail.outbox[0].body
    assert "legally required notice" in Message.objects.get(recipient=resident).body


def test_every_email_carries_a_signed_unsubscribe_link_that_needs_a_post(
    permit_template: object, resident: object, client: object, django_capture_on_commit_callbacks: object
) -> None:
    send(permit_template, resident, django_capture_on_commit_callbacks, channels=["email"])
    (email,) = mail.outbox
    url = re.search(r"http://\S+/unsubscribe/\S+/", email.body).group(0)
    assert email.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = url.removeprefix("http://127.0.0.1:8000")
    # GET only asks (mail scanners follow links); POST, without a sign-in or a CSRF token, unsubscribes.
    page = client.get(path)
    assert page.status_code == 200 and b"Applications and bookings" in page.content
    assert not OptOut.objects.exists()
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert OptOut.objects.filter(user=resident, channel="email", topic="applications").exists()
    send(permit_template, resident, django_capture_on_commit_callbacks, channels=["email"])
    assert len(mail.outbox) == 1


def test_a_tampered_unsubscribe_link_is_refused(client: object, resident: object) -> None:
    token = actions.unsubscribe_token(channel="email", topic="general", user=resident)
    response = client.post(f"/en/notifications/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 400
    assert not OptOut.objects.exists()


def test_a_bare_address_can_unsubscribe_too(
    permit_template: object, client: object, django_capture_on_commit_callbacks: object
) -> None:
    send(permit_template, "someone@example.test", django_capture_on_commit_callbacks)
    url = re.search(r"http://\S+/unsubscribe/\S+/", mail.outbox[0].body).group(0)
    client.post(url.removeprefix("http://127.0.0.1:8000"))
    (skipped,) = send(permit_template, "someone@example.test", django_capture_on_commit_callbacks)
    assert skipped.status == Status.OPTED_OUT


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_preferences_page_saves_opt_outs_and_districts(
    signed_in: object, resident: object, language: str
) -> None:
    page = signed_in.get(f"/{language}/services/inbox/preferences/")
    assert page.status_code == 200
    assert 'name="receive" value="email:applications"' in page.content.decode()
    wanted = [
        f"{channel}:{topic}" for channel in ("inbox", "email", "sms") for topic in ("account", "general")
    ]
    response = signed_in.post(
        f"/{language}/services/inbox/preferences/",
        {"receive": wanted, "districts": ["sha-tin", "tai-po"], "area_topics": ["road-works"]},
    )
    assert response.status_code == 302
    opted_out = set(OptOut.objects.filter(user=resident).values_list("channel", "topic"))
    assert ("email", "applications") in opted_out and ("email", "account") not in opted_out
    assert len(opted_out) == 3 * 7 - 6
    assert set(DistrictSubscription.objects.filter(user=resident).values_list("district", "topic")) == {
        ("sha-tin", "road-works"),
        ("tai-po", "road-works"),
    }
    again = signed_in.get(f"/{language}/services/inbox/preferences/").content.decode()
    assert re.search(r'id="receive-emailaccount"[^>]* checked>', again)
    assert not re.search(r'id="receive-emailapplications"[^>]* checked>', again)


def test_the_preferences_page_needs_a_sign_in(client: object, db: None) -> None:
    response = client.get("/en/services/inbox/preferences/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_link_is_stable_and_older_timestamped_links_still_work(resident: object) -> None:
    from django.core import signing

    fields = {"channel": "email", "topic": "general", "user": resident}
    assert actions.unsubscribe_token(**fields) == actions.unsubscribe_token(**fields)
    old = signing.dumps(
        {"u": str(resident.public_id), "a": "", "c": "email", "t": "general"},
        salt=actions.UNSUBSCRIBE_SALT,
        compress=True,
    )
    assert actions.unsubscribe_read(token=old)["t"] == "general"
