"""Templates: three languages, ((named)) placeholders validated on send, a new version on every edit."""

import pytest

from eid.public import ApplicationError
from services.notifications import rendering
from services.notifications.actions import notification_send, template_update
from services.notifications.models import Notification
from tests.services.notifications.conftest import CONTENT, PERSONALISATION


def test_placeholders_are_found_in_order_and_rendered() -> None:
    assert rendering.placeholders("Hi ((name)), ((ref)) and (( name ))") == ["name", "ref"]
    assert rendering.render("Hi ((name))!", {"name": "Wong"}) == "Hi Wong!"


def test_a_template_needs_every_language(make_template: object) -> None:
    with pytest.raises(ApplicationError) as error:
        make_template(content={"en": CONTENT["en"], "zh-hant": CONTENT["zh-hant"]})
    assert error.value.code == "missing_language"
    assert "zh-hans" in error.value.message


def test_every_language_uses_the_same_placeholders(make_template: object) -> None:
    content = {**CONTENT, "zh-hans": ("你的许可证", "((name))你好")}
    with pytest.raises(ApplicationError) as error:
        make_template(content=content)
    assert error.value.code == "placeholder_mismatch"


def test_a_missing_placeholder_is_an_error_naming_it(permit_template: object, resident: object) -> None:
    with pytest.raises(ApplicationError) as error:
        notification_send(template=permit_template, recipient=resident, personalisation={"name": "Chan"})
    assert error.value.code == "missing_personalisation"
    assert error.value.extra["missing"] == ["office", "permit"]
    assert "office, permit" in error.value.message
    assert not Notification.objects.exists()


def test_an_edit_makes_a_new_version_and_a_sent_message_records_its_version(
    permit_template: object, resident: object, django_capture_on_commit_callbacks: object
) -> None:
    assert permit_template.current_version == 1
    with django_capture_on_commit_callbacks(execute=True):
        (first,) = notification_send(
            template=permit_template, recipient=resident, personalisation=PERSONALISATION, channels=["inbox"]
        )
    edited = {**CONTENT, "en": ("Permit ((permit)) ready", "Hello ((name)): ((permit)) at ((office)).")}
    version = template_update(template=permit_template, content=edited)
    assert version.version == 2 and permit_template.versions.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        (second,) = notification_send(
            template=permit_template, recipient=resident, personalisation=PERSONALISATION, channels=["inbox"]
        )
    first.refresh_from_db()
    assert first.template_version.version == 1
    assert first.subject == "Your P-1234 is ready"
    assert second.template_version.version == 2
    assert second.subject == "Permit P-1234 ready"
